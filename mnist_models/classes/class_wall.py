"""One class's wall: the drawings its students labelled with the digit they meant, in memory.

Each entry holds the 28x28 image both models read, a small PNG of the drawing, the digit the
student meant, both models' answers with their probabilities (and whether each took it for a digit
at all), when it came and an opaque key for the page it came from (no names). The wall is bounded
(``capacity`` entries: a full wall takes no more), and each page, and each address, may add only
so fast (``limits.TokenBuckets``). From the wall: counts per digit, each model's accuracy and
confusion matrix. Kept across restarts by ``store.ClassStore``; exported by ``archive``; a
fine-tuned copy of a model trained on it: ``mnist_models.training.fine_tuning``.

All of it is safe to call from several threads at once (the web server runs events in threads).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import io
import math
import secrets
import threading
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image

from mnist_models.limits import TokenBuckets
from mnist_models.models.checkpoints import MODEL_NAMES
from mnist_models.reading.classifier import Classifier
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
    digit_like: dict[str, bool] | None = None  # model name -> whether it took the drawing for a digit
    probabilities: dict[str, list[float]] | None = None  # model name -> its ten probabilities

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


class ClassWall:
    """A bounded, thread-safe wall of labelled drawings."""

    def __init__(
        self,
        capacity: int = CAPACITY,
        rate_per_s: float = RATE_PER_S,
        burst: int = BURST,
        clock=time.monotonic,
        address_rate_per_s: float = ADDRESS_RATE_PER_S,
        address_burst: int = ADDRESS_BURST,
        secret: bytes | None = None,
    ) -> None:
        self.capacity = capacity
        self._pages = TokenBuckets(rate_per_s, burst, max_keys=4 * capacity, clock=clock)
        self._addresses = TokenBuckets(address_rate_per_s, address_burst, max_keys=4 * capacity, clock=clock)
        self._entries: dict[int, Entry] = {}  # number -> entry, in order of arrival
        self._lock = threading.Lock()
        self._version = 0
        self._numbered = 0
        # Keys are hashed with a secret: the wall and its export never hold a session id someone
        # could reuse, and the same page still gets the same key.
        self._secret = secret or secrets.token_bytes(16)

    @property
    def version(self) -> int:
        """Changes on every add, removal and clear: a page re-renders the wall only when it moved."""
        return self._version

    def key(self, session: str) -> str:
        return hmac.new(self._secret, str(session).encode(), hashlib.sha256).hexdigest()[:12]

    def admit(self, session: str, address: str | None = None) -> None:
        """Spend one of the page's tokens and one of its address's; WallError("full") when the
        wall is full, ("rate") when the page has no token left, ("rate_network") when its
        address has none."""
        if len(self._entries) >= self.capacity:
            raise WallError(f"The class wall is full ({self.capacity} drawings).", "full", limit=self.capacity)
        wait = tenths(self._pages.take(self.key(session)))
        if wait:
            raise WallError(f"Too fast: wait {wait:.1f} s before sending another drawing.", "rate", seconds=wait)
        if address is not None and (wait := tenths(self._addresses.take(address))):
            raise WallError(
                f"Many drawings are arriving from your network: wait {wait:.1f} s, then send again.",
                "rate_network",
                seconds=wait,
            )

    def add_drawing(
        self, classifier: Classifier, pad_value: object, label: object, session: str, address: str | None = None
    ) -> Entry:
        """Read the pad's value (``Classifier.read``: both models) and put it on the wall as
        ``label``, from the page ``session`` at ``address`` (None: no limit per address). Raises
        WallError, or DrawingError for a value with no digit in it."""
        label = check_digit(label)
        # The token is spent before the decoding: a page sending pictures with no digit in them
        # costs the server decoding work too, and is held to the same rate.
        self.admit(session, address)
        predictions = classifier.read(pad_value)
        # The card shows the drawing as it was sent, not the 28x28 the models read: a second
        # decoding of a small PNG that has already been read once.
        thumbnail = thumbnail_png(open_image(decode_data_url(pad_value)))
        entry = Entry(
            0,
            np.asarray(next(iter(predictions.values())).image, np.float32).reshape(28, 28),
            thumbnail,
            label,
            {name: p.digit for name, p in predictions.items()},
            time.time(),
            self.key(session),
            {name: p.is_digit for name, p in predictions.items()},
            {name: [float(x) for x in p.probabilities] for name, p in predictions.items()},
        )
        return self.put(entry)

    def put(self, entry: Entry) -> Entry:
        """Put ``entry`` on the wall: numbered next if its number is 0, else under its own (a
        drawing read back from storage, or put back by an undo)."""
        if set(entry.answers) != set(MODEL_NAMES):
            raise ValueError(f"answers must name {', '.join(MODEL_NAMES)}")
        with self._lock:
            if not entry.number:
                self._numbered += 1
                entry = dataclasses.replace(entry, number=self._numbered)
            put_back = entry.number < self._numbered  # an undo: among the others, in order
            self._numbered = max(self._numbered, entry.number)
            self._entries[entry.number] = entry
            if put_back:
                self._entries = dict(sorted(self._entries.items()))
            self._version += 1
        return entry

    def remove(self, number: int) -> Entry | None:
        """Take drawing ``number`` off the wall; the entry, or None if it is not there."""
        with self._lock:
            entry = self._entries.pop(number, None)
            if entry is not None:
                self._version += 1
        return entry

    def clear(self) -> list[Entry]:
        """Take every drawing off the wall; the entries taken (for an undo)."""
        with self._lock:
            taken = list(self._entries.values())
            self._entries.clear()
            self._version += 1
        return taken

    def entries(self, digit: int | None = None, missed_by: str | None = None) -> list[Entry]:
        """The wall, oldest first; only drawings meant as ``digit``, or missed by ``missed_by``."""
        with self._lock:
            chosen = list(self._entries.values())
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
