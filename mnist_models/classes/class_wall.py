"""One class's wall: what a card on it holds, the wall's figures, and how fast drawings may come.

Each entry holds the 28x28 image both models read, a small PNG of the drawing, the digit the
student meant, both models' answers with their probabilities (and whether each took it for a digit
at all), when it came and an opaque key for the page it came from (no names). The caller reads the
drawing (``Classifier.read``) and makes the entry with ``Entry.of_reading``; the wall itself is
kept by ``store.ClassStore``, the one truth. Each page, and each address, may add only so fast
(``WallLimits``). From the wall: counts per digit, each model's accuracy and confusion matrix
(``wall_stats``). Exported by ``archive``; a fine-tuned copy of a model trained on it:
``mnist_models.training.fine_tuning``.
"""

from __future__ import annotations

import io
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from mnist_models.limits import TokenBuckets
from mnist_models.models.checkpoints import MODEL_NAMES
from mnist_models.reading.preprocess import decode_data_url, open_image

# docs/classroom.md "The class wall" says why these numbers.
CAPACITY = 1000
RATE_PER_S = 1.0
BURST = 5
# Per address, whatever page a drawing says it came from: a class of 30 behind one school router,
# each drawing every 10 s, sends 3 a second; a script inventing pages gets no more.
ADDRESS_RATE_PER_S = 3.2
ADDRESS_BURST = 8
THUMBNAIL = 64


class WallError(ValueError):
    """A drawing the wall does not take; ``reason`` says why ("digit", "rate", "rate_network",
    "full", and for a class: "paused", "unknown_class", "expired", "not_teacher", ...)."""

    def __init__(self, message: str, reason: str, **details: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


@dataclass(frozen=True)
class Entry:
    number: int  # 1, 2, ... in order of arrival, never reused (also after a clear)
    image: np.ndarray  # the 28x28 float32 input both models read (ink 1.0, paper 0.0)
    thumbnail: bytes  # PNG, the drawing as sent, at most THUMBNAIL px a side, dark ink on white
    label: int  # the digit the student meant
    answers: dict[str, int]  # model name -> its answer
    time: float  # seconds since the epoch
    key: str  # opaque: a keyed hash of the page's session, not the session itself
    is_digit: dict[str, bool] | None = None  # model name -> its Prediction.is_digit (None: all True)
    probabilities: dict[str, list[float]] | None = None  # model name -> its ten probabilities

    @classmethod
    def of_reading(cls, predictions: Mapping[str, Any], pad_value: object, label: int) -> Entry:
        """A card for the wall from a drawing already read: ``predictions`` is what
        ``Classifier.read`` gave for every model, ``pad_value`` the picture as the pad sent it.
        The store gives it its number, its key and its time."""
        if set(predictions) != set(MODEL_NAMES):
            raise ValueError(f"predictions must name {', '.join(MODEL_NAMES)}")
        # The card shows the drawing as it was sent, not the 28x28 the models read: a second
        # decoding of a small PNG that has already been read once.
        thumbnail = thumbnail_png(open_image(decode_data_url(pad_value)))
        return cls(
            number=0,
            image=np.asarray(next(iter(predictions.values())).image, np.float32).reshape(28, 28),
            thumbnail=thumbnail,
            label=check_digit(label),
            answers={name: p.digit for name, p in predictions.items()},
            time=0.0,
            key="",
            is_digit={name: p.is_digit for name, p in predictions.items()},
            probabilities={name: [float(x) for x in p.probabilities] for name, p in predictions.items()},
        )

    def is_digit_for(self, model: str) -> bool:
        """Whether ``model`` took the drawing for a digit at all (``Prediction.is_digit``)."""
        return self.is_digit is None or self.is_digit[model]

    def missed_by(self, model: str) -> bool:
        return self.answers[model] != self.label


@dataclass(frozen=True)
class WallStats:
    total: int
    counts: list[int]  # per digit meant, 0-9
    accuracy: dict[str, float | None]  # per model; None on an empty wall
    confusion: dict[str, list[list[int]]]  # per model: digit meant down, answer across


def check_digit(value: object) -> int:
    """The digit meant, 0-9, from a value sent by a client (an int, or its text); else WallError."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise WallError("The digit you meant must be one of 0-9.", "digit")
    if isinstance(value, str):
        value = value.strip()
        if len(value) != 1 or not value.isdigit() or not value.isascii():
            raise WallError("The digit you meant must be one of 0-9.", "digit")
        value = int(value)
    if not 0 <= value <= 9:
        raise WallError("The digit you meant must be one of 0-9.", "digit")
    return value


def tenths(seconds: float) -> float:
    """Seconds rounded up to a tenth: a wait said as "0.0 s" would be no wait."""
    return math.ceil(seconds * 10) / 10


def thumbnail_png(picture: Image.Image, side: int = THUMBNAIL) -> bytes:
    """The drawing as a small greyscale PNG, dark ink on white (a transparent pad's too)."""
    paper = Image.new("RGBA", picture.size, (255, 255, 255, 255))
    paper.alpha_composite(picture.convert("RGBA"))
    small = paper.convert("L")
    small.thumbnail((side, side), Image.Resampling.BOX)
    buffer = io.BytesIO()
    small.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def mnist_png(image: np.ndarray) -> bytes:
    """A 28x28 input as MNIST stores its digits: white ink (255) on black."""
    buffer = io.BytesIO()
    Image.fromarray((np.clip(image, 0, 1) * 255).round().astype(np.uint8), "L").save(buffer, "PNG")
    return buffer.getvalue()


def wall_stats(entries: list[Entry]) -> WallStats:
    """Counts per digit meant, and each model's accuracy and confusion matrix, over ``entries``."""
    counts = [0] * 10
    confusion = {name: [[0] * 10 for _ in range(10)] for name in MODEL_NAMES}
    for entry in entries:
        counts[entry.label] += 1
        for name in MODEL_NAMES:
            confusion[name][entry.label][entry.answers[name]] += 1
    accuracy = {
        name: (sum(confusion[name][d][d] for d in range(10)) / len(entries) if entries else None)
        for name in MODEL_NAMES
    }
    return WallStats(len(entries), counts, accuracy, confusion)


class WallLimits:
    """How fast one class's wall takes drawings, in this process: each page (by its key) and each
    address spends a token a drawing. Limits, not data: a restart forgets them."""

    def __init__(
        self,
        rate_per_s: float = RATE_PER_S,
        burst: int = BURST,
        address_rate_per_s: float = ADDRESS_RATE_PER_S,
        address_burst: int = ADDRESS_BURST,
        clock=time.monotonic,
        max_keys: int = 4 * CAPACITY,
    ) -> None:
        self._pages = TokenBuckets(rate_per_s, burst, max_keys=max_keys, clock=clock)
        self._addresses = TokenBuckets(address_rate_per_s, address_burst, max_keys=max_keys, clock=clock)

    def admit(self, page_key: str, address: str | None = None) -> None:
        """Spend one of the page's tokens and one of its address's (None: no limit per address);
        WallError("rate") when the page has none left, ("rate_network") when its address has none."""
        wait = tenths(self._pages.take(page_key))
        if wait:
            raise WallError(f"Too fast: wait {wait:.1f} s before sending another drawing.", "rate", seconds=wait)
        if address is not None and (wait := tenths(self._addresses.take(address))):
            raise WallError(
                f"Many drawings are arriving from your network: wait {wait:.1f} s, then send again.",
                "rate_network",
                seconds=wait,
            )


@dataclass(frozen=True)
class SchoolClass:
    """One class as it was read: its code, what its teacher set, and its wall (read live)."""

    code: str
    created: float
    last_active: float
    paused: bool
    tuned: dict | None  # the fine-tuned copy's figures (``FineTuneResult`` less the model)
    wall: Wall


class Wall:
    """A class's wall, read from the store each time it is asked."""

    def __init__(self, store, code: str) -> None:
        self._store, self.code = store, code

    @property
    def version(self) -> int:
        """Changes on every add, removal and clear: a page re-renders the wall only when it moved."""
        return self._store.version(self.code)

    def entries(self, digit: int | None = None, missed_by: str | None = None) -> list[Entry]:
        """The wall, oldest first; only drawings meant as ``digit``, or missed by ``missed_by``."""
        chosen = self._store.entries(self.code)
        if digit is not None:
            chosen = [e for e in chosen if e.label == digit]
        if missed_by is not None:
            chosen = [e for e in chosen if e.missed_by(missed_by)]
        return chosen

    def stats(self) -> WallStats:
        return wall_stats(self.entries())

    def __len__(self) -> int:
        return len(self._store.entries(self.code))
