"""The class wall: drawings students labelled with the digit they meant, kept in memory.

Each entry holds the 28x28 image both models read, a small PNG of the drawing, the digit the
student meant, both models' answers, when it came and an opaque key for the page it came from
(no names). The wall is bounded (``capacity`` entries, oldest dropped first) and each page may
add only so fast (a token bucket per key). From the wall: counts per digit, each model's
accuracy and confusion matrix, a ZIP of PNGs plus a CSV, and a fine-tuned copy of a model.

All of it is safe to call from several threads at once (the web server runs events in threads).
"""

from __future__ import annotations

import copy
import csv
import hashlib
import hmac
import io
import os
import secrets
import threading
import time
import zipfile
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import torch
from PIL import Image
from torch import nn

from .checkpoints import MODEL_NAMES
from .data import MNISTSplit
from .evaluate import predict_logits
from .inference import Classifier
from .preprocess import open_image, preprocess
from .train import Recipe, train_steps

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

    def add(self, image: np.ndarray, thumbnail: bytes, label: object, answers: dict[str, int], session: str) -> Entry:
        """Put one labelled drawing on the wall; WallError for a digit not 0-9 or a page over its rate."""
        label = check_digit(label)
        self.admit(session)
        return self._append(image, thumbnail, label, answers, session)

    def add_drawing(self, classifier: Classifier, picture: bytes, label: object, session: str) -> Entry:
        """Read ``picture`` (an image file's bytes: the pad's PNG) with both models and put it on
        the wall as ``label``. Raises WallError, or DrawingError for a picture with no digit."""
        label = check_digit(label)
        # The token is spent before the decoding: a page sending pictures with no digit in them
        # costs the server decoding work too, and is held to the same rate.
        self.admit(session)
        drawing = open_image(picture)
        image = preprocess(drawing)
        answers = {name: int(classifier.probabilities(image[None], name)[0].argmax()) for name in MODEL_NAMES}
        return self._append(image, thumbnail_png(drawing), label, answers, session)

    def _append(self, image, thumbnail: bytes, label: int, answers: dict[str, int], session: str) -> Entry:
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


# Fine-tuning a copy --------------------------------------------------------------------------------

# Small batches keep each step short, so the server's other threads get the interpreter often;
# a constant, small learning rate nudges the shipped weights rather than retraining them.
FINE_TUNE_RECIPES = {
    "softmax": Recipe(epochs=10**6, batch_size=32, lr=1e-3, optimizer="adamw", schedule="constant"),
    "mlp": Recipe(epochs=10**6, batch_size=32, lr=1e-4, optimizer="adamw", schedule="constant"),
}
MIN_DRAWINGS = 10
HELD_BACK = 0.25
MNIST_PER_DRAWING = 10
MNIST_MAX = 4000
MNIST_TEST_SAMPLE = 2000
# README "The class wall": how long a fine-tuning trains, and the share of one core it may take.
SECONDS = 5.0
DUTY = 0.1


class FineTuneBusyError(RuntimeError):
    """Another fine-tuning is running in this process."""


@dataclass(frozen=True)
class FineTuneResult:
    model: str
    tuned: nn.Module  # the copy; the shipped model is untouched
    trained_on: int  # class drawings trained on
    held_back: int  # class drawings kept out, for the figures
    mnist_images: int  # MNIST training images mixed in (0 without MNIST)
    before: float  # shipped model's accuracy on the held-back drawings
    after: float  # the copy's
    steps: int
    seconds: float
    mnist_before: float | None = None  # on the MNIST test set, when there is one
    mnist_after: float | None = None


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    was_training = model.training
    model.eval()
    predictions = predict_logits(model, images).argmax(1)
    model.train(was_training)
    return float((predictions == labels).float().mean()) if len(labels) else 0.0


def split_held_back(entries: list[Entry], fraction: float = HELD_BACK, seed: int = 0) -> tuple[list, list]:
    """(train, held back): a random ``fraction`` of the drawings (at least one) kept out."""
    order = np.random.default_rng(seed).permutation(len(entries))
    count = max(1, round(fraction * len(entries)))
    held = {int(i) for i in order[:count]}
    return [e for i, e in enumerate(entries) if i not in held], [e for i, e in enumerate(entries) if i in held]


def as_tensors(entries: list[Entry]) -> tuple[torch.Tensor, torch.Tensor]:
    images = (
        torch.from_numpy(np.stack([e.image for e in entries])).unsqueeze(1) if entries else torch.empty(0, 1, 28, 28)
    )
    return images.float(), torch.tensor([e.label for e in entries], dtype=torch.long)


_FINE_TUNE_SLOT = threading.Lock()


def lower_this_threads_priority() -> None:
    """Make the calling thread the machine's least urgent work (nice 19), where the system lets a
    thread have its own priority (Linux); elsewhere nothing changes. For a thread started only to
    fine-tune: the drawings' threads then get a busy core first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


def fine_tune(
    shipped: nn.Module,
    name: str,
    entries: list[Entry],
    mnist_train: MNISTSplit | None = None,
    mnist_test: MNISTSplit | None = None,
    seconds: float = SECONDS,
    max_steps: int | None = None,
    duty: float = DUTY,
    seed: int = 0,
    progress=None,
) -> FineTuneResult:
    """Train a copy of ``shipped`` for about ``seconds`` on the wall's drawings (all but a
    held-back quarter), mixed with MNIST training images when ``mnist_train`` is given; report
    both models' accuracy on the held-back drawings (and on 2000 digits of ``mnist_test``).

    It runs in the caller's thread on one CPU thread, and rests after every step for as long as
    the step took times (1 - duty) / duty, so a busy server keeps (1 - duty) of a core for the
    drawings. One fine-tuning at a time: FineTuneBusyError otherwise. ``progress(steps, elapsed)``
    is called after every step when given.
    """
    if name not in FINE_TUNE_RECIPES:
        raise KeyError(f"unknown model {name!r}")
    if len(entries) < MIN_DRAWINGS:
        raise WallError(
            f"The wall needs at least {MIN_DRAWINGS} labelled drawings to fine-tune (it has {len(entries)}).",
            "too_few",
            needed=MIN_DRAWINGS,
            count=len(entries),
        )
    if not _FINE_TUNE_SLOT.acquire(blocking=False):
        raise FineTuneBusyError("another fine-tuning is running; try again when it has finished")
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)  # process-wide: the drawings' forward passes are one thread too
        return _fine_tune(shipped, name, entries, mnist_train, mnist_test, seconds, max_steps, duty, seed, progress)
    finally:
        torch.set_num_threads(threads)
        _FINE_TUNE_SLOT.release()


def _fine_tune(shipped, name, entries, mnist_train, mnist_test, seconds, max_steps, duty, seed, progress):
    generator = torch.Generator().manual_seed(seed)
    device = next(shipped.parameters()).device
    tuned = copy.deepcopy(shipped).cpu()
    for module in tuned.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            # The running statistics that 60,000 training digits set are kept: a few dozen
            # drawings would move them for every digit, not only for the class's.
            module.momentum = 0.0
    train, held = split_held_back(entries, seed=seed)
    images, labels = as_tensors(train)
    held_images, held_labels = as_tensors(held)
    mixed = 0
    if mnist_train is not None and len(mnist_train):
        mixed = min(MNIST_MAX, MNIST_PER_DRAWING * len(train), len(mnist_train))
        chosen = torch.randperm(len(mnist_train), generator=generator)[:mixed]
        images = torch.cat([images, mnist_train.images[chosen].unsqueeze(1).float().div(255.0)])
        labels = torch.cat([labels, mnist_train.labels[chosen]])
    recipe = FINE_TUNE_RECIPES[name]
    if len(labels) % recipe.batch_size == 1:
        # A last batch of one image would stop batch normalisation (it needs two to train).
        images, labels = torch.cat([images, images[:1]]), torch.cat([labels, labels[:1]])
    with torch.no_grad():
        before = accuracy(shipped, held_images.to(device), held_labels.to(device))
    test_images = test_labels = None
    if mnist_test is not None and len(mnist_test):
        # A fixed sample, not all 10,000: the figure moves by tenths of a point, and each
        # evaluation is a burst of work the drawings wait behind.
        sample = torch.randperm(len(mnist_test), generator=torch.Generator().manual_seed(seed))[:MNIST_TEST_SAMPLE]
        test_images, test_labels = mnist_test.images[sample].unsqueeze(1).float().div(255.0), mnist_test.labels[sample]
    mnist_before = (
        accuracy(shipped, test_images.to(device), test_labels.to(device)) if test_images is not None else None
    )

    steps, start = 0, time.perf_counter()
    deadline = start + seconds
    rest = (1.0 - duty) / duty if 0 < duty < 1 else 0.0
    step_start = start
    for _ in train_steps(tuned, recipe, images, labels, generator):
        steps += 1
        step_end = time.perf_counter()
        if progress is not None:
            progress(steps, step_end - start)
        if step_end >= deadline or (max_steps is not None and steps >= max_steps):
            break
        if rest:
            time.sleep(min(0.1, (step_end - step_start) * rest))
        step_start = time.perf_counter()
    tuned.eval()
    elapsed = time.perf_counter() - start
    after = accuracy(tuned, held_images, held_labels)
    mnist_after = accuracy(tuned, test_images, test_labels) if test_images is not None else None
    return FineTuneResult(
        name, tuned.to(device), len(train), len(held), mixed, before, after, steps, elapsed, mnist_before, mnist_after
    )
