"""Train a fresh model in front of a class: a generator that yields what the model looks like as it learns.

    for snapshot in train_live(train, test, "softmax", epochs=3):
        show(snapshot.curves, snapshot.weights)

The batches run in ``mnist_models.training.loop.train_steps``, the loop the shipped models were trained with; this
module decides what to show between them. It never touches the shipped weights. A server runs one
training at a time, a live one or a fine-tuning: it holds ``training_slot`` around it (a second
one raises ``TrainingBusyError`` at once instead of queueing), which keeps torch on one CPU thread,
so a classroom server on two cores keeps answering drawings while it trains. The slot is the
caller's to hold, not the training's: on ZeroGPU the training runs in a forked process, where a
lock held by the server would be copied held.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.device import describe_device, generator_on
from mnist_models.evaluation.metrics import evaluate_model
from mnist_models.models.checkpoints import build_model
from mnist_models.models.explain import first_layer_templates
from mnist_models.training.loop import train_steps
from mnist_models.training.recipes import Recipe

# A constant, fairly high learning rate: with only a few epochs to show, the curve should move
# visibly in the first seconds; the shipped recipes squeeze out the last accuracy instead.
LIVE_RECIPES = {
    "softmax": Recipe(epochs=3, batch_size=100, lr=1e-2, optimizer="adamw", schedule="constant"),
    "mlp": Recipe(epochs=3, batch_size=100, lr=2e-3, optimizer="adamw", schedule="constant"),
}
MAX_EPOCHS = 10
# However many epochs and images were asked for, a live training ends after this long: it holds the
# server's one training slot, and whoever started it may be a stranger on a public address.
MAX_SECONDS = 120.0

_SLOT = threading.Lock()


class TrainingBusyError(RuntimeError):
    """Another training (a live one or a fine-tuning) is running in this process."""


@contextmanager
def training_slot() -> Iterator[None]:
    """Hold the process's one training slot, shared by live training and fine-tuning, with torch
    on one thread meanwhile (process-wide: inference elsewhere in the app runs on one thread too,
    and on a two-core server the other core is left to the web server). TrainingBusyError at once
    when another training holds it."""
    if not _SLOT.acquire(blocking=False):
        raise TrainingBusyError("another training is running on this server; try again when it has finished")
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        yield
    finally:
        torch.set_num_threads(threads)
        _SLOT.release()


@dataclass(frozen=True)
class Snapshot:
    """One moment of a live training."""

    model: str
    device: str  # where it trains, for people: "CPU", "CUDA: NVIDIA H200"
    state: str  # "running", "finished", "stopped" (by its stop switch) or "time_up" (at max_seconds)
    epochs: int
    done: float  # epochs completed, fractional
    seconds: float
    images_seen: int
    # x (fractional epochs), train_loss / train_accuracy (averaged since the previous point),
    # test_loss / test_accuracy (on the held-out sample, at the same x).
    curves: dict[str, list[float]]
    weights: np.ndarray  # (10, 28, 28): softmax templates, or the MLP's first ten first-layer units

    @property
    def test_accuracy(self) -> float | None:
        return self.curves["test_accuracy"][-1] if self.curves["test_accuracy"] else None


def is_busy() -> bool:
    return _SLOT.locked()


@dataclass(frozen=True)
class LiveJob:
    """A live training as ``train_live`` was asked for it, passed whole to the step that runs it."""

    train: MNISTSplit
    test: MNISTSplit
    name: str
    epochs: int
    subset: int | None
    stop: threading.Event
    updates_per_epoch: int
    test_size: int
    seed: int | None
    max_seconds: float
    device: torch.device


def train_live(
    train: MNISTSplit,
    test: MNISTSplit,
    model: str = "softmax",
    epochs: int = 3,
    subset: int | None = 10_000,
    *,
    stop: threading.Event | None = None,
    updates_per_epoch: int = 8,
    test_size: int = 2_000,
    seed: int | None = None,
    max_seconds: float = MAX_SECONDS,
    device: torch.device | str = "cpu",
) -> Iterator[Snapshot]:
    """Train a new ``model`` on ``subset`` training images (all if None) for ``epochs`` epochs,
    yielding a Snapshot first (untrained), ``updates_per_epoch`` times an epoch, then at the end.

    Setting ``stop`` ends the training after the current batch, with a last "stopped" snapshot;
    so does running past ``max_seconds``, with a last "time_up" one. It trains on ``device``.
    """
    if model not in LIVE_RECIPES:
        raise KeyError(f"unknown model {model!r}; choose one of {', '.join(LIVE_RECIPES)}")
    yield from _train(
        LiveJob(
            train=train,
            test=test,
            name=model,
            epochs=max(1, min(epochs, MAX_EPOCHS)),
            subset=subset,
            stop=stop or threading.Event(),
            updates_per_epoch=updates_per_epoch,
            test_size=test_size,
            seed=seed,
            max_seconds=max_seconds,
            device=torch.device(device),
        )
    )


def _train(job: LiveJob) -> Iterator[Snapshot]:
    name, epochs, stop, device, seed = job.name, job.epochs, job.stop, job.device, job.seed
    recipe = dataclasses.replace(LIVE_RECIPES[name], epochs=epochs)
    # One generator draws everything random, in this order, so that a seed repeats a run exactly.
    choice = torch.Generator().manual_seed(seed if seed is not None else int(time.time_ns() % 2**31))
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=choice)))
    model = build_model(name).to(device)
    images, labels = _sample(job.train, job.subset, choice, device)
    test_images, test_labels = _sample(job.test, job.test_size, choice, device)
    # The batches' order and augmentation are drawn where the images are.
    generator = generator_on(device, int(torch.randint(0, 2**31 - 1, (1,), generator=choice)))

    run = _LiveRun(name, device, epochs, model, test_images, test_labels)
    yield run.snapshot("running", 0.0)
    # Counted in batches, not seconds, so a run shows the same story however fast the machine is.
    update_every = max(1, -(-len(labels) // recipe.batch_size) // max(1, job.updates_per_epoch))
    steps = train_steps(model, recipe, images, labels, generator)
    yield from _train_showing(run, steps, stop, run.start + job.max_seconds, update_every)
    model.eval()
    state = "finished" if run.seen == epochs * len(labels) else "stopped" if stop.is_set() else "time_up"
    yield run.snapshot(state, run.curves["x"][-1] if run.curves["x"] else 0.0)


def _sample(split: MNISTSplit, size: int | None, choice: torch.Generator, device: torch.device):
    """(images, labels) of ``size`` images drawn at random from ``split`` (all if None), on
    ``device``, in the input contract."""
    count = len(split) if size is None else min(size, len(split))
    chosen = torch.randperm(len(split), generator=choice)[:count]
    return split.images[chosen].unsqueeze(1).to(device).float().div_(255.0), split.labels[chosen].to(device)


@dataclass
class _LiveRun:
    """A live training as it goes: the model, its curves so far and the images it has seen, from
    which each Snapshot is taken."""

    name: str
    device: torch.device
    epochs: int
    model: torch.nn.Module
    test_images: torch.Tensor
    test_labels: torch.Tensor
    start: float = dataclasses.field(default_factory=time.perf_counter)
    seen: int = 0
    curves: dict[str, list[float]] = dataclasses.field(
        default_factory=lambda: {key: [] for key in ("x", "train_loss", "train_accuracy", "test_loss", "test_accuracy")}
    )

    def snapshot(self, state: str, done: float) -> Snapshot:
        return Snapshot(
            self.name,
            describe_device(self.device),
            state,
            self.epochs,
            done,
            time.perf_counter() - self.start,
            self.seen,
            {k: list(v) for k, v in self.curves.items()},
            first_layer_templates(self.model),
        )

    def record(self, done: float, loss_sum: float, correct: int, n: int) -> None:
        """A point on the curves: the training figures averaged over the ``n`` images since the
        previous point, and the test figures now."""
        result = evaluate_model(self.model, self.test_images, self.test_labels)
        self.curves["x"].append(done)
        self.curves["train_loss"].append(loss_sum / n)
        self.curves["train_accuracy"].append(correct / n)
        self.curves["test_loss"].append(result["loss"])
        self.curves["test_accuracy"].append(result["accuracy"])


def _train_showing(
    run: _LiveRun, steps: Iterator, stop: threading.Event, deadline: float, update_every: int
) -> Iterator[Snapshot]:
    """Take ``steps`` until they end, ``stop`` is set or the clock passes ``deadline``, recording a
    point every ``update_every`` batches and at each epoch's end, with a "running" snapshot at each
    point before the last epoch ends."""
    loss_sum, correct, n = 0.0, 0, 0
    # The stop switch and the clock are read before every batch, the first one included.
    while not stop.is_set() and time.perf_counter() < deadline and (step := next(steps, None)) is not None:
        loss_sum += step.loss.item() * step.size
        correct += int(step.correct)
        n += step.size
        run.seen += step.size
        if step.batch % update_every == 0 or step.ends_epoch:
            run.record(step.epochs_done, loss_sum, correct, n)
            loss_sum, correct, n = 0.0, 0, 0
            if step.epochs_done < run.epochs:
                yield run.snapshot("running", step.epochs_done)
