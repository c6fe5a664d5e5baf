"""Characters that are not digits: Omniglot's handwritten characters of other alphabets, drawn on
the app's pad.

2,720 characters of five alphabets, each drawn by 20 people in a browser and kept as the pen's
trajectories (the "background small 1" strokes of B. M. Lake, R. Salakhutdinov, J. B. Tenenbaum,
Science 350, 2015; MIT License). Replayed with the pad's pen at the sizes and places people draw
digits at, and preprocessed as the app does, they are what a model is shown as "not a digit"
(outlier exposure) and what measures whether it can tell one.

Some characters look like digits (Latin O, I, S, ...): ``DIGIT_LIKE`` lists them, so that they
can be kept out of training and reported apart. Each rendering is seeded by the drawing itself,
so a set comes out the same on every run whichever other characters were asked for.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mnist_models.datasets.pendigits import HEIGHT_RANGE, place_strokes_on_pad
from mnist_models.pad import CANVAS, PEN_WIDTH, render_strokes
from mnist_models.reading.preprocess import DrawingError, preprocess

OMNIGLOT_DIR_ENV = "OMNIGLOT_DIR"
FILE_NAME = "omniglot-strokes-dev.zip"

# Split by alphabet: the validation alphabets are never trained on, so they measure whether
# "not a digit" carries over to scripts the model has not seen, as a child's scribble is.
TRAINING_ALPHABETS = ("Balinese", "Korean", "Latin")
VALIDATION_ALPHABETS = ("Early_Aramaic", "Greek")
# Within the training alphabets, split by drawer: a recipe is chosen on drawers the model was
# not trained on, so the validation alphabets never choose anything.
TRAINING_DRAWERS = tuple(range(1, 16))
TUNING_DRAWERS = tuple(range(16, 21))

# The characters that look like a digit, or like a digit written mirrored as children do, decided
# by looking at every character drawn by several people: a model must not learn that a drawn 0 or
# 1 is "not a digit", so these stay out of training and are reported apart. Keyed by alphabet and
# the zip's characterNN number; the value says what the character looks like.
DIGIT_LIKE: dict[tuple[str, int], str] = {
    ("Latin", 2): "b, a 6",
    ("Latin", 7): "g, a 9",
    ("Latin", 9): "i, a 1",
    ("Latin", 12): "l, a 1",
    ("Latin", 15): "o, a 0",
    ("Latin", 17): "q, a 9",
    ("Latin", 19): "s, a 5",
    ("Latin", 26): "z, a 2",
    ("Greek", 2): "beta, an 8",
    ("Greek", 4): "delta, a 6 or an 8",
    ("Greek", 5): "epsilon, a mirrored 3",
    ("Greek", 6): "zeta, a flat-topped 3",
    ("Greek", 8): "theta, a barred 0",
    ("Greek", 9): "iota, a 1",
    ("Greek", 14): "xi, a 3",
    ("Greek", 15): "omicron, a 0",
    ("Greek", 18): "sigma, a 0 or a 6",
    ("Early_Aramaic", 2): "a 9",
    ("Early_Aramaic", 3): "a 7",
    ("Early_Aramaic", 4): "a 4 or a 9",
    ("Early_Aramaic", 5): "an angular 3",
    ("Early_Aramaic", 6): "an open 4",
    ("Early_Aramaic", 7): "I, a 1 with serifs",
    ("Early_Aramaic", 10): "a barred z, a 2",
    ("Early_Aramaic", 11): "a 7",
    ("Early_Aramaic", 12): "an open 6",
    ("Early_Aramaic", 14): "a 9 or a 5",
    ("Early_Aramaic", 16): "a 0",
    ("Early_Aramaic", 17): "a 7",
    ("Early_Aramaic", 20): "a 4 or a 9",
    ("Korean", 7): "yeo, an angular 3",
    ("Korean", 21): "i, a 1",
    ("Korean", 22): "giyeok, a 7",
    ("Korean", 27): "rieul, an angular 2",
    ("Korean", 33): "ieung, a 0",
    ("Korean", 37): "kieuk, a barred 7 or an angular 3",
    ("Balinese", 5): "a 7",
    ("Balinese", 14): "a 7 or a 2",
}

# A drawing's path inside the zip: ALPHABET/characterNN/IIII_DD.txt, DD the drawer.
DRAWING_PATH = re.compile(r"(?:^|/)([^/]+)/character(\d+)/\d+_(\d+)\.txt$")


class OmniglotDataError(RuntimeError):
    """The Omniglot strokes file is missing or not in the expected format."""


@dataclass(frozen=True)
class Character:
    """One drawing of a character: strokes of (x, y) points, y pointing up as in the file."""

    alphabet: str
    character: int
    drawer: int
    strokes: tuple[np.ndarray, ...]


@dataclass(frozen=True)
class OmniglotData:
    characters: list[Character]
    sha256: str  # of the zip
    path: Path

    def select(self, alphabets: Iterable[str], drawers: Iterable[int] | None = None) -> list[Character]:
        """The drawings of ``alphabets``, by ``drawers`` only if given, in the file's order."""
        alphabets = set(alphabets)
        drawers = set(drawers) if drawers is not None else None
        return [
            character
            for character in self.characters
            if character.alphabet in alphabets and (drawers is None or character.drawer in drawers)
        ]


def is_digit_like(character: Character) -> bool:
    return (character.alphabet, character.character) in DIGIT_LIKE


def parse_drawing(text: str) -> tuple[np.ndarray, ...]:
    """The strokes of one drawing's text: ``START``, then ``x,y,time`` lines, ``BREAK`` after each
    stroke. Points that are not finite and strokes left with no points are dropped."""
    strokes: list[np.ndarray] = []
    points: list[tuple[float, float]] = []

    def finish() -> None:
        stroke = np.array(points, dtype=np.float64).reshape(-1, 2)
        stroke = stroke[np.isfinite(stroke).all(1)]
        if len(stroke):
            strokes.append(stroke)
        points.clear()

    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line == "START":
            continue
        if line == "BREAK":
            finish()
            continue
        try:
            x, y, *_ = line.split(",")
            points.append((float(x), float(y)))
        except ValueError as error:
            raise OmniglotDataError(f"line {number} cannot be read: {line!r} ({error})") from error
    finish()  # a last stroke the pen never lifted from
    return tuple(strokes)


def find_omniglot_file(folder: str | Path | None = None) -> Path:
    """``omniglot-strokes-dev.zip`` in ``folder`` (the commands' ``--omniglot-dir``, or ``$OMNIGLOT_DIR``)."""
    folder = Path(folder) if folder is not None else None
    if folder is not None and (folder / FILE_NAME).is_file():
        return folder / FILE_NAME
    where = f"in {folder}" if folder is not None else f"(no folder given and ${OMNIGLOT_DIR_ENV} is not set)"
    raise OmniglotDataError(
        f"The Omniglot strokes file {FILE_NAME} was not found {where}. It holds the pen trajectories of "
        f'Omniglot\'s "background small 1" split (https://github.com/brendenlake/omniglot, '
        f"strokes_background_small1), zipped: put it in a folder and pass the folder, or name the folder "
        f"in the {OMNIGLOT_DIR_ENV} environment variable."
    )


def load_omniglot(folder: str | Path | None = None) -> OmniglotData:
    """Every drawing in the zip in ``folder`` (see ``find_omniglot_file``), read without unpacking
    it. Drawings with no points are left out; files that are not drawings (.DS_Store) are ignored."""
    path = find_omniglot_file(folder)
    try:
        raw = path.read_bytes()
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (OSError, zipfile.BadZipFile) as error:
        raise OmniglotDataError(f"{path}: cannot read ({error})") from error
    characters = []
    with archive:
        for name in sorted(archive.namelist()):
            match = DRAWING_PATH.search(name)
            if match is None:
                continue
            alphabet, character, drawer = match.group(1), int(match.group(2)), int(match.group(3))
            try:
                strokes = parse_drawing(archive.read(name).decode("ascii"))
            except (OmniglotDataError, UnicodeDecodeError, zipfile.BadZipFile) as error:
                raise OmniglotDataError(f"{path}: {name}: {error}") from None
            if strokes:
                characters.append(Character(alphabet, character, drawer, strokes))
    if not characters:
        raise OmniglotDataError(f"{path}: no drawings found")
    return OmniglotData(characters, hashlib.sha256(raw).hexdigest(), path)


def rendering_rng(character: Character, seed: int, rendering: int) -> np.random.Generator:
    # crc32, not hash(): Python salts the hash of a string differently in every process.
    alphabet = zlib.crc32(character.alphabet.encode())
    return np.random.default_rng([seed, alphabet, character.character, character.drawer, rendering])


def height_for_size(strokes: tuple[np.ndarray, ...], size: float, canvas: int = CANVAS, pen_width=PEN_WIDTH) -> float:
    """The ink height, as a fraction of the canvas, at which the drawing's longer side is ``size``
    of the canvas: a wide character is drawn as wide as a digit is tall, not wider than the pad."""
    span = np.maximum(np.ptp(np.concatenate(strokes), 0), 1.0)
    return ((size * canvas - pen_width) * span[1] / span.max() + pen_width) / canvas


def pad_strokes(character: Character, seed: int, rendering: int, renderings: int) -> list[np.ndarray]:
    """Rendering number ``rendering`` of ``renderings`` of ``character``, as strokes in pad pixels:
    its longer side drawn from the rendering's equal part of HEIGHT_RANGE (the sizes people draw
    a digit at), its place anywhere it fits; seeded by the drawing alone."""
    rng = rendering_rng(character, seed, rendering)
    low, high = HEIGHT_RANGE
    part = (high - low) / renderings
    size = low + part * (rendering + rng.uniform())
    return place_strokes_on_pad(character.strokes, height_for_size(character.strokes, size), rng)


def draw_on_pad(character: Character, seed: int, rendering: int, renderings: int) -> Image.Image:
    """The pad's picture of ``pad_strokes(character, seed, rendering, renderings)``."""
    return render_strokes(pad_strokes(character, seed, rendering, renderings))


@dataclass(frozen=True)
class NondigitSet:
    """Drawings as the models see them: images (N, 1, 28, 28) after preprocessing, the character
    of each image, and how many renderings preprocessing refused (and so are not in it)."""

    images: torch.Tensor
    characters: list[Character]
    refused: int

    def __len__(self) -> int:
        return len(self.characters)


def nondigit_set(characters: Iterable[Character], renderings: int, seed: int) -> NondigitSet:
    """Every character drawn ``renderings`` times on the pad, each picture preprocessed as the app
    does; a picture the app would refuse (``DrawingError``) is counted, not kept."""
    images, kept, refused = [], [], 0
    for character in characters:
        for rendering in range(renderings):
            try:
                images.append(preprocess(draw_on_pad(character, seed, rendering, renderings)))
            except DrawingError:
                refused += 1
                continue
            kept.append(character)
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
    return NondigitSet(torch.from_numpy(stacked).unsqueeze(1), kept, refused)


def nondigit_images(characters: Iterable[Character], renderings: int, seed: int) -> torch.Tensor:
    """``nondigit_set(...).images``: (N, 1, 28, 28) float32, ink 1.0."""
    return nondigit_set(characters, renderings, seed).images
