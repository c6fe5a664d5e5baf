"""Train a fresh model in front of a class: a generator that yields what the model looks like as it learns.

    for snapshot in train_live(train, test, "softmax", epochs=3):
        show(snapshot.curves, snapshot.weights)

The batches run in ``train.train_steps``, the loop the shipped models were trained with; this
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
from mnist_models.device import describe_device
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


def train_live(
    train: MNISTSplit,
    test: MNISTSplit,
    model: str = "softmax",
    epochs: int = 3,
    subset: int | None = 10_000,
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
    epochs = max(1, min(epochs, MAX_EPOCHS))
    yield from _train(
        train,
        test,
        model,
        epochs,
        subset,
        stop or threading.Event(),
        updates_per_epoch,
        test_size,
        seed,
        max_seconds,
        torch.device(device),
    )


def _train(
    train, test, name, epochs, subset, stop, updates_per_epoch, test_size, seed, max_seconds, device
) -> Iterator[Snapshot]:
    recipe = dataclasses.replace(LIVE_RECIPES[name], epochs=epochs)
    choice = torch.Generator().manual_seed(seed if seed is not None else int(time.time_ns() % 2**31))
    torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=choice)))
    model = build_model(name).to(device)

    count = len(train) if subset is None else min(subset, len(train))
    chosen = torch.randperm(len(train), generator=choice)[:count]
    images = train.images[chosen].unsqueeze(1).to(device).float().div_(255.0)
    labels = train.labels[chosen].to(device)
    held_out = torch.randperm(len(test), generator=choice)[: min(test_size, len(test))]
    test_images = test.images[held_out].unsqueeze(1).to(device).float().div_(255.0)
    test_labels = test.labels[held_out].to(device)
    # The batches' order and augmentation are drawn where the images are.
    generator = torch.Generator(device).manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=choice)))

    curves: dict[str, list[float]] = {
        key: [] for key in ("x", "train_loss", "train_accuracy", "test_loss", "test_accuracy")
    }
    start = time.perf_counter()
    seen = 0

    def snapshot(state: str, done: float) -> Snapshot:
        return Snapshot(
            name,
            describe_device(device),
            state,
            epochs,
            done,
            time.perf_counter() - start,
            seen,
            {k: list(v) for k, v in curves.items()},
            first_layer_templates(model),
        )

    def record(done: float, loss_sum: float, correct: int, n: int) -> None:
        result = evaluate_model(model, test_images, test_labels)
        curves["x"].append(done)
        curves["train_loss"].append(loss_sum / n)
        curves["train_accuracy"].append(correct / n)
        curves["test_loss"].append(result["loss"])
        curves["test_accuracy"].append(result["accuracy"])

    yield snapshot("running", 0.0)
    loss_sum, correct, n = 0.0, 0, 0
    # Counted in batches, not seconds, so a run shows the same story however fast the machine is.
    update_every = max(1, -(-count // recipe.batch_size) // max(1, updates_per_epoch))
    steps = train_steps(model, recipe, images, labels, generator)
    deadline = start + max_seconds
    # The stop switch and the clock are read before every batch, the first one included.
    while not stop.is_set() and time.perf_counter() < deadline and (step := next(steps, None)) is not None:
        loss_sum += step.loss.item() * step.size
        correct += int(step.correct)
        n += step.size
        seen += step.size
        if step.batch % update_every == 0 or step.ends_epoch:
            record(step.epochs_done, loss_sum, correct, n)
            loss_sum, correct, n = 0.0, 0, 0
            if step.epochs_done < epochs:
                yield snapshot("running", step.epochs_done)
    model.eval()
    state = "finished" if seen == epochs * count else "stopped" if stop.is_set() else "time_up"
    yield snapshot(state, curves["x"][-1] if curves["x"] else 0.0)
