"""Doodles people drew in a web browser: Quick, Draw!'s everyday things, drawn on the app's pad.

7,750 doodles of 310 things ("airplane", "alarm clock", ..., "yoga"), 25 a thing, each drawn in
under 20 seconds with a mouse or a finger for Google's game Quick, Draw! (Google Creative Lab,
"The Quick, Draw! Dataset", CC BY 4.0), kept as simplified strokes. Replayed with the pad's pen
at the sizes people draw at and preprocessed as the app does, they are the pictures a visitor
draws when not writing a digit: what a model is shown as "not a digit" (outlier exposure) and
what measures whether it can tell one.

Split by thing (``QuickDrawData.split``): a model trains on some things, its settings are chosen on others,
and its figures are reported on a third group, so that "not a digit" is measured on things it
never saw. Things that can look like a digit (a donut, a hockey stick) are kept out of training
and reported apart (``DIGIT_LIKE``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mnist_models.datasets.omniglot import height_for_size
from mnist_models.datasets.pendigits import place_strokes_on_pad
from mnist_models.pad import render_strokes
from mnist_models.reading.preprocess import DrawingError, preprocess

QUICKDRAW_DIR_ENV = "QUICKDRAW_DIR"
FILE_NAME = "quickdraw-dev.ndjson.gz"
# A doodle's longer side as a share of the pad: from the size of a digit to nearly the whole pad.
SIZE_RANGE = (0.35, 0.95)
# The things that can be drawn like a digit, decided by looking at all 25 doodles of each: a model
# must not learn that a drawn 0 or 1 is "not a digit", so they stay out of training and are
# reported apart. The value says which digit they can look like.
DIGIT_LIKE: dict[str, str] = {
    "baseball": "a circle, a 0",
    "baseball bat": "a tall bar, a 1 or a 0",
    "blueberry": "a circle, a 0",
    "bottlecap": "a circle, a 0",
    "bracelet": "a ring, a 0",
    "cookie": "a circle, a 0",
    "crayon": "a tall bar, a 1 or a 0",
    "donut": "a ring, a 0",
    "ear": "a hook, a 3, a 2 or a 6",
    "golf club": "a hooked stick, a 1 or a 6",
    "hexagon": "a closed outline, a 0",
    "hockey stick": "a hooked stick, a 1",
    "lipstick": "a tall bar, a 0 or a 1",
    "lollipop": "a loop on a stick, a 9",
    "matches": "a bar, a 1",
    "nail": "a bar, a 1",
    "necklace": "a loop, a 0",
    "octagon": "a closed outline, a 0",
    "paper clip": "a long loop, a 0",
    "peanut": "two loops, an 8",
    "pencil": "a tall bar, a 1",
    "potato": "an oval, a 0",
    "snail": "a spiral, a 6",
    "spoon": "a loop on a stick, a 9",
    "string bean": "a bar, a 1",
    "swan": "a neck and a body, a 2",
    "wheel": "a ring, a 0",
}
# The split by thing: every thing but the digit-like ones, in alphabetical order, goes to the
# SPLITS entry of its index modulo 5: three in five trained on, one tunes, one measures.
SPLITS = ("train", "train", "train", "tuning", "validation")


class QuickDrawDataError(RuntimeError):
    """The doodles file is missing or not in the expected format."""


@dataclass(frozen=True)
class Doodle:
    """One doodle: the thing it shows, its number among that thing's doodles, and its strokes of
    (x, y) points with y pointing up (as pen tablets give them; the file's y points down)."""

    word: str
    number: int
    strokes: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class QuickDrawData:
    doodles: list[Doodle]
    sha256: str  # of the gzipped file
    path: Path

    @property
    def words(self) -> list[str]:
        return sorted({doodle.word for doodle in self.doodles})

    def of(self, words: Iterable[str]) -> list[Doodle]:
        """The doodles of ``words``, in the file's order."""
        words = set(words)
        return [doodle for doodle in self.doodles if doodle.word in words]

    def split(self, name: str) -> list[str]:
        """The things of split ``name`` ("train", "tuning", "validation" or "digit-like")."""
        if name == "digit-like":
            return [word for word in self.words if word in DIGIT_LIKE]
        others = [word for word in self.words if word not in DIGIT_LIKE]  # self.words is sorted
        return [word for index, word in enumerate(others) if SPLITS[index % len(SPLITS)] == name]


def parse_doodle(line: str, number: int) -> Doodle:
    """One line of the file: ``{"word": ..., "drawing": [[[x0, x1, ...], [y0, y1, ...]], ...]}``.
    Points that are not finite and strokes with no points are dropped."""
    record = json.loads(line)
    strokes = []
    for xs, ys, *_ in record["drawing"]:
        stroke = np.array([xs, ys], dtype=np.float64).T.reshape(-1, 2)
        stroke = stroke[np.isfinite(stroke).all(1)]
        if len(stroke):
            stroke[:, 1] = -stroke[:, 1]  # y up, as place_strokes_on_pad takes strokes
            strokes.append(stroke)
    return Doodle(str(record["word"]), number, tuple(strokes))


def find_quickdraw_file(folder: str | Path | None = None) -> Path:
    """``quickdraw-dev.ndjson.gz`` in ``folder`` (the commands' ``--quickdraw-dir``, or ``$QUICKDRAW_DIR``)."""
    if folder is not None and (Path(folder) / FILE_NAME).is_file():
        return Path(folder) / FILE_NAME
    where = f"in {folder}" if folder is not None else f"(no folder given and ${QUICKDRAW_DIR_ENV} is not set)"
    raise QuickDrawDataError(
        f"The doodles file {FILE_NAME} was not found {where}. It holds the first 25 doodles of each of 310 "
        f"things from Quick, Draw!'s simplified files (https://github.com/googlecreativelab/quickdraw-dataset), "
        f"one JSON object a line, gzipped: put it in a folder and pass the folder, or name the folder in the "
        f"{QUICKDRAW_DIR_ENV} environment variable."
    )


def load_quickdraw(folder: str | Path | None = None) -> QuickDrawData:
    """Every doodle in the file in ``folder`` (see ``find_quickdraw_file``); doodles with no points
    are left out."""
    path = find_quickdraw_file(folder)
    try:
        raw = path.read_bytes()
        lines = gzip.decompress(raw).decode("utf-8").splitlines()
    except (OSError, EOFError, gzip.BadGzipFile, UnicodeDecodeError) as error:
        raise QuickDrawDataError(f"{path}: cannot read ({error})") from error
    doodles, counts = [], {}
    for index, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            doodle = parse_doodle(line, 0)
        except (ValueError, KeyError, TypeError) as error:
            raise QuickDrawDataError(f"{path}: line {index} cannot be read: {error}") from None
        if doodle.strokes:
            number = counts[doodle.word] = counts.get(doodle.word, -1) + 1
            doodles.append(Doodle(doodle.word, number, doodle.strokes))
    if not doodles:
        raise QuickDrawDataError(f"{path}: no doodles found")
    return QuickDrawData(doodles, hashlib.sha256(raw).hexdigest(), path)


def pad_strokes(doodle: Doodle, seed: int, rendering: int, renderings: int) -> list[np.ndarray]:
    """Rendering number ``rendering`` of ``renderings`` of ``doodle``, as strokes in pad pixels: its
    longer side drawn from the rendering's equal part of SIZE_RANGE, its place anywhere it fits;
    seeded by the doodle alone (crc32, not hash(): the same in every process)."""
    rng = np.random.default_rng([seed, zlib.crc32(doodle.word.encode()), doodle.number, rendering])
    low, high = SIZE_RANGE
    size = low + (high - low) / renderings * (rendering + rng.uniform())
    return place_strokes_on_pad(doodle.strokes, height_for_size(doodle.strokes, size), rng)


def draw_on_pad(doodle: Doodle, seed: int, rendering: int, renderings: int) -> Image.Image:
    """The pad's picture of ``pad_strokes(doodle, seed, rendering, renderings)``."""
    return render_strokes(pad_strokes(doodle, seed, rendering, renderings))


def doodle_images(doodles: Iterable[Doodle], renderings: int, seed: int) -> torch.Tensor:
    """Each doodle drawn ``renderings`` times on the pad and preprocessed as the app does,
    (N, 1, 28, 28) float32, ink 1.0; a picture the app would refuse (``DrawingError``) is left out."""
    images = []
    for doodle in doodles:
        for rendering in range(renderings):
            try:
                images.append(preprocess(draw_on_pad(doodle, seed, rendering, renderings)))
            except DrawingError:
                continue
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
    return torch.from_numpy(stacked).unsqueeze(1)
