"""The class wall: drawings students labelled with the digit they meant, kept in memory.

Each entry holds the 28x28 image both models read, a small PNG of the drawing, the digit the
student meant, both models' answers (and whether each took it for a digit at all), when it came
and an opaque key for the page it came from (no names). The wall is bounded (``capacity``
entries, oldest dropped first) and each page may add only so fast (a token bucket per key). From
the wall: counts per digit, each model's accuracy and confusion matrix, and a ZIP of PNGs plus a
CSV. A fine-tuned copy of a model trained on the wall: ``fine_tuning``.

All of it is safe to call from several threads at once (the web server runs events in threads).
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import secrets
import threading
import time
import zipfile
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
from PIL import Image

from mnist_models.models.checkpoints import MODEL_NAMES
from mnist_models.reading.classifier import Classifier
from mnist_models.reading.preprocess import decode_data_url, open_image

# README "The class wall" says why these numbers.
CAPACITY = 1000
RATE_PER_S = 1.0
BURST = 5
THUMBNAIL = 64
MISSED = ("softmax", "mlp")


class WallError(ValueError):
    """A drawing the wall does not take; ``reason`` says why ("digit", "rate")."""

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
    digit_like: dict[str, bool] | None = None  # model name -> whether it took the drawing for a digit

    def taken_for_digit(self, model: str) -> bool:
        return self.digit_like is None or self.digit_like[model]

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


class ClassWall:
    """A bounded, thread-safe wall of labelled drawings."""

    def __init__(
        self,
        capacity: int = CAPACITY,
        rate_per_s: float = RATE_PER_S,
        burst: int = BURST,
        clock=time.monotonic,
    ) -> None:
        self.capacity = capacity
        self.rate_per_s = rate_per_s
        self.burst = burst
        self._clock = clock
        self._entries: deque[Entry] = deque(maxlen=capacity)
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, when last counted)
        self._lock = threading.Lock()
        self._version = 0
        self._numbered = 0
        # Keys are hashed with a secret of this process: the wall and its ZIP never hold a
        # session id someone could reuse, and the same page still gets the same key.
        self._secret = secrets.token_bytes(16)

    @property
    def version(self) -> int:
        """Changes on every add and clear: a page re-renders the wall only when it moved."""
        return self._version

    def key(self, session: str) -> str:
        return hmac.new(self._secret, str(session).encode(), hashlib.sha256).hexdigest()[:12]

    def _take_token(self, key: str, now: float) -> None:
        """Spend one of ``key``'s tokens, or raise WallError("rate"). Called with the lock held."""
        tokens, then = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate_per_s)
        if tokens < 1.0:
            wait = (1.0 - tokens) / self.rate_per_s
            raise WallError(
                f"Too fast: wait {wait:.1f} s before sending another drawing.", "rate", seconds=round(wait, 1)
            )
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > 4 * self.capacity:
            # Session ids are the client's to choose, so buckets could pile up: a bucket that
            # has refilled is the same as no bucket, and those go.
            full = (self.burst - 1) / self.rate_per_s
            self._buckets = {k: (t, w) for k, (t, w) in self._buckets.items() if now - w < full}

    def admit(self, session: str) -> None:
        """Spend one of the page's tokens; WallError("rate") when it has none left."""
        with self._lock:
            self._take_token(self.key(session), self._clock())

    def add(
        self,
        image: np.ndarray,
        thumbnail: bytes,
        label: object,
        answers: dict[str, int],
        session: str,
        digit_like: dict[str, bool] | None = None,
    ) -> Entry:
        """Put one labelled drawing on the wall; WallError for a digit not 0-9 or a page over its rate."""
        label = check_digit(label)
        self.admit(session)
        return self._append(image, thumbnail, label, answers, session, digit_like)

    def add_drawing(self, classifier: Classifier, pad_value: object, label: object, session: str) -> Entry:
        """Read the pad's value (``Classifier.read``: both models) and put it on the wall as
        ``label``. Raises WallError, or DrawingError for a value with no digit in it."""
        label = check_digit(label)
        # The token is spent before the decoding: a page sending pictures with no digit in them
        # costs the server decoding work too, and is held to the same rate.
        self.admit(session)
        predictions = classifier.read(pad_value)
        # The card shows the drawing as it was sent, not the 28x28 the models read: a second
        # decoding of a small PNG that has already been read once.
        thumbnail = thumbnail_png(open_image(decode_data_url(pad_value)))
        image = next(iter(predictions.values())).image
        answers = {name: p.digit for name, p in predictions.items()}
        digit_like = {name: p.is_digit for name, p in predictions.items()}
        return self._append(image, thumbnail, label, answers, session, digit_like)

    def _append(self, image, thumbnail: bytes, label: int, answers: dict[str, int], session: str, digit_like=None):
        if set(answers) != set(MODEL_NAMES):
            raise ValueError(f"answers must name {', '.join(MODEL_NAMES)}")
        with self._lock:
            self._numbered += 1
            entry = Entry(
                self._numbered,
                np.asarray(image, np.float32).reshape(28, 28),
                bytes(thumbnail),
                label,
                {name: int(answers[name]) for name in MODEL_NAMES},
                time.time(),
                self.key(session),
                None if digit_like is None else {name: bool(digit_like[name]) for name in MODEL_NAMES},
            )
            self._entries.append(entry)
            self._version += 1
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._version += 1

    def entries(self, digit: int | None = None, missed_by: str | None = None) -> list[Entry]:
        """The wall, oldest first; only drawings meant as ``digit``, or missed by ``missed_by``."""
        with self._lock:
            chosen = list(self._entries)
        if digit is not None:
            chosen = [e for e in chosen if e.label == digit]
        if missed_by is not None:
            chosen = [e for e in chosen if e.missed_by(missed_by)]
        return chosen

    def __len__(self) -> int:
        return len(self._entries)

    def stats(self) -> WallStats:
        entries = self.entries()
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

    def export_zip(self) -> bytes:
        """The wall as a ZIP: ``images/NNNNN.png`` (the 28x28 inputs, white ink on black as in
        MNIST) and ``labels.csv`` (file, label, softmax, mlp, time in UTC)."""
        entries = self.entries()
        table = io.StringIO()
        writer = csv.writer(table, lineterminator="\n")
        writer.writerow(["file", "label", "softmax", "mlp", "time"])
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry in entries:
                name = f"images/{entry.number:05d}.png"
                archive.writestr(name, mnist_png(entry.image))
                when = datetime.fromtimestamp(entry.time, timezone.utc).isoformat(timespec="seconds")
                writer.writerow([name, entry.label, entry.answers["softmax"], entry.answers["mlp"], when])
            archive.writestr("labels.csv", table.getvalue())
        return buffer.getvalue()
