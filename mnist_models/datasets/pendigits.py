"""Real pen-drawn digits: the UCI "Pen-Based Recognition of Handwritten Digits" trajectories,
drawn on the app's pad.

7,494 digits written by 30 people on a tablet, kept stroke by stroke (E. Alpaydin, F. Alimoglu,
1998; CC BY 4.0). Replaying a person's strokes with the pad's pen (``pad.render_strokes``), at
the sizes and places people draw at, gives the picture the app would have received had that
person drawn on it; the picture then goes through the app's own preprocessing.

The file is split by writer: writers 1-24 may be trained on, writers 25-30 are only measured.
Each rendering is seeded by the digit's writer and sample number, so a set comes out the same
on every run and does not depend on which other digits were asked for.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mnist_models.pad import CANVAS, PEN_WIDTH, render_strokes
from mnist_models.reading.preprocess import preprocess

PENDIGITS_DIR_ENV = "PENDIGITS_DIR"
FILE_NAME = "pendigits-orig.tra"
TRAINING_WRITERS = tuple(range(1, 25))
VALIDATION_WRITERS = tuple(range(25, 31))
# For choosing a recipe: train on the other training writers and measure on these, so that the
# validation writers never choose anything (python -m mnist_models.training --tuning).
TUNING_WRITERS = tuple(range(21, 25))
# People draw a digit between about a third and four fifths of the pad's height: the ink's
# height, pen included, as a fraction of the canvas side.
HEIGHT_RANGE = (0.35, 0.80)
# The fixed validation set: every digit of the validation writers drawn this many times, once in
# each equal part of HEIGHT_RANGE (small, medium, large), each at a random place.
VALIDATION_RENDERINGS = 3
VALIDATION_SEED = 2025


class PenDataError(RuntimeError):
    """The pen file is missing or not in the expected format."""


@dataclass(frozen=True)
class PenDigit:
    """One digit as its writer drew it: strokes of (x, y) points in tablet units, y pointing up."""

    label: int
    writer: int
    sample: int
    strokes: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class PenData:
    digits: list[PenDigit]
    sha256: str  # of the uncompressed file
    path: Path

    def by_writers(self, writers) -> list[PenDigit]:
        writers = set(writers)
        return [digit for digit in self.digits if digit.writer in writers]


def parse_pendigits(text: str) -> list[PenDigit]:
    """Digits from UNIPEN-style text: a header, then per digit ``.SEGMENT DIGIT n ? "label"``,
    ``.COMMENT label writer sample`` and strokes between ``.PEN_DOWN`` and ``.PEN_UP``."""
    digits: list[PenDigit] = []
    label = writer = sample = None
    strokes: list[np.ndarray] = []
    points: list[tuple[int, int]] | None = None

    def finish() -> None:
        if label is not None:
            if not strokes:
                raise PenDataError(f"digit {label} (writer {writer}, sample {sample}) has no strokes")
            digits.append(PenDigit(label, writer, sample, tuple(strokes)))

    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words:
            continue
        keyword = words[0]
        try:
            if keyword == ".SEGMENT":
                if points is not None:
                    raise PenDataError("a digit starts inside a stroke")
                finish()
                label, writer, sample, strokes = int(words[-1].strip('"')), None, None, []
            elif keyword == ".COMMENT" and label is not None:
                if int(words[1]) != label:
                    raise PenDataError(f"the comment's label {words[1]} is not the segment's {label}")
                writer, sample = int(words[2]), int(words[3])
            elif keyword == ".PEN_DOWN":
                points = []
            elif keyword == ".PEN_UP":
                if not points:
                    raise PenDataError("a stroke with no points")
                strokes.append(np.array(points, dtype=np.float64))
                points = None
            elif keyword.startswith("."):
                continue  # the header (.INCLUDE, .LEXICON, .HIERARCHY) and timing (.DT)
            elif points is not None:
                x, y = words
                points.append((int(x), int(y)))
            else:
                raise PenDataError("a point outside a stroke")
        except (ValueError, IndexError) as error:
            raise PenDataError(f"line {number} cannot be read: {line!r} ({error})") from error
        except PenDataError as error:
            raise PenDataError(f"line {number}: {error}") from None
    finish()
    if any(digit.writer is None for digit in digits):
        raise PenDataError("a digit has no .COMMENT line naming its writer")
    return digits


def find_pen_file(folder: str | Path | None = None) -> Path:
    """``pendigits-orig.tra`` (or ``.gz``) in ``folder`` (the commands' ``--pen-dir``, or
    ``$PENDIGITS_DIR``)."""
    folder = Path(folder) if folder is not None else None
    if folder is not None:
        for name in (FILE_NAME, FILE_NAME + ".gz"):
            if (folder / name).is_file():
                return folder / name
    where = f"in {folder}" if folder is not None else f"(no --pen-dir given and ${PENDIGITS_DIR_ENV} is not set)"
    raise PenDataError(
        f"The pen-drawn digits file {FILE_NAME}[.gz] was not found {where}. It is the original "
        f"UNIPEN-style file of the UCI Machine Learning Repository's \"Pen-Based Recognition of "
        f'Handwritten Digits" data set (https://archive.ics.uci.edu/dataset/81, in pendigits-orig): '
        f"put it in a folder and pass the folder with --pen-dir or the {PENDIGITS_DIR_ENV} environment "
        f"variable, or train on MNIST alone with --data mnist."
    )


def load_pendigits(folder: str | Path | None = None) -> PenData:
    """Read the pen file (plain or gzip) from ``folder`` (see ``find_pen_file``)."""
    path = find_pen_file(folder)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as error:
        raise PenDataError(f"{path}: cannot read ({error})") from error
    digits = parse_pendigits(raw.decode("ascii", errors="replace"))
    if not digits:
        raise PenDataError(f"{path}: no digits found")
    return PenData(digits, hashlib.sha256(raw).hexdigest(), path)


def place_on_pad(
    digit: PenDigit, height: float, rng: np.random.Generator, canvas: int = CANVAS, pen_width: float = PEN_WIDTH
) -> list[np.ndarray]:
    """The digit's strokes in pad pixels (y down), scaled so its ink is ``height`` of the canvas
    tall (narrowed if it would not fit across) and put at a random place where all of it fits."""
    return place_strokes_on_pad(digit.strokes, height, rng, canvas, pen_width)


def place_strokes_on_pad(
    strokes: tuple[np.ndarray, ...],
    height: float,
    rng: np.random.Generator,
    canvas: int = CANVAS,
    pen_width: float = PEN_WIDTH,
) -> list[np.ndarray]:
    """``place_on_pad`` for any pen strokes of (x, y) points with y pointing up."""
    points = np.concatenate(strokes)
    low, high = points.min(0), points.max(0)
    span = np.maximum(high - low, 1.0)
    # The ink reaches half a pen beyond the path on every side.
    scale = (height * canvas - pen_width) / span[1]
    scale = min(scale, (canvas - 1.0 - pen_width) / span[0])
    size = span * scale + pen_width
    corner = rng.uniform(0, 1, 2) * (canvas - size) + pen_width / 2
    placed = []
    for stroke in strokes:
        x = (stroke[:, 0] - low[0]) * scale + corner[0]
        y = (high[1] - stroke[:, 1]) * scale + corner[1]  # the tablet's y points up, a canvas's down
        placed.append(np.stack([x, y], 1))
    return placed


def rendering_rng(digit: PenDigit, seed: int, rendering: int) -> np.random.Generator:
    return np.random.default_rng([seed, digit.writer, digit.sample, rendering])


def pad_strokes(digit: PenDigit, seed: int, rendering: int, renderings: int) -> list[np.ndarray]:
    """Rendering number ``rendering`` of ``renderings`` of ``digit``, as strokes in pad pixels: its
    height is drawn from the rendering's equal part of HEIGHT_RANGE, its place anywhere it fits;
    seeded by the digit, so the same digit always lands at the same size and place."""
    rng = rendering_rng(digit, seed, rendering)
    low, high = HEIGHT_RANGE
    part = (high - low) / renderings
    height = low + part * (rendering + rng.uniform())
    return place_on_pad(digit, height, rng)


def draw_on_pad(digit: PenDigit, seed: int, rendering: int, renderings: int) -> Image.Image:
    """The pad's picture of ``pad_strokes(digit, seed, rendering, renderings)``."""
    return render_strokes(pad_strokes(digit, seed, rendering, renderings))


@dataclass(frozen=True)
class PenSet:
    """Pen digits as the models see them: images (N, 1, 28, 28) after preprocessing, labels and writers."""

    images: torch.Tensor
    labels: torch.Tensor
    writers: torch.Tensor

    def __len__(self) -> int:
        return len(self.labels)


def pen_set(digits: list[PenDigit], renderings: int, seed: int) -> PenSet:
    """Every digit drawn ``renderings`` times on the pad, each picture preprocessed as the app does."""
    images, labels, writers = [], [], []
    for digit in digits:
        for rendering in range(renderings):
            images.append(preprocess(draw_on_pad(digit, seed, rendering, renderings)))
            labels.append(digit.label)
            writers.append(digit.writer)
    return PenSet(torch.from_numpy(np.stack(images)).unsqueeze(1), torch.tensor(labels), torch.tensor(writers))


def validation_set(data: PenData, writers=VALIDATION_WRITERS) -> PenSet:
    """The one fixed validation set: writers 25-30 (or ``writers``), each digit small, medium and large."""
    return pen_set(data.by_writers(writers), VALIDATION_RENDERINGS, VALIDATION_SEED)
