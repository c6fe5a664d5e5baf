"""A fine-tuned copy of a model, trained for a few seconds on the class wall's drawings.

The shipped model is never changed. On the CPU it rests between steps, so that the drawings'
threads keep most of a core; the server holds its one training slot around it
(``live.training_slot``, shared with live training): one training at a time, on one CPU thread.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from mnist_models.classes.class_wall import Entry, WallError
from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.device import describe_device, generator_on, synchronize
from mnist_models.evaluation.metrics import predict_logits
from mnist_models.models.networks import digit_logits
from mnist_models.training.loop import train_steps
from mnist_models.training.recipes import Recipe

# Small batches keep each step short, so the server's other threads get the interpreter often;
# a constant, small learning rate nudges the shipped weights rather than retraining them. Plain SGD
# with momentum: on a ZeroGPU Space a fine-tune may have to run on the CPU of the server's own
# process, where the package says CUDA is there, and every Adam-family step asks CUDA whether it
# is capturing a graph and fails; SGD asks nothing (benchmarks/RESULTS.md, ZeroGPU).
FINE_TUNE_RECIPES = {
    "softmax": Recipe(epochs=10**6, batch_size=32, lr=1e-2, optimizer="sgd", momentum=0.9, schedule="constant"),
    "mlp": Recipe(epochs=10**6, batch_size=32, lr=1e-2, optimizer="sgd", momentum=0.9, schedule="constant"),
}
MIN_DRAWINGS = 10
HELD_BACK = 0.25
MNIST_PER_DRAWING = 10
MNIST_MAX = 4000
MNIST_TEST_SAMPLE = 2000
# docs/classroom.md "Fine-tuning on the wall's drawings": how long a fine-tuning trains, and the share of one core it may take.
SECONDS = 5.0
DUTY = 0.1


@dataclass(frozen=True)
class FineTuneResult:
    model: str
    tuned: nn.Module  # the copy; the shipped model is untouched
    trained_on: int  # class drawings trained on
    held_back: int  # class drawings kept out, for the figures
    mnist_images: int  # MNIST training images mixed in (0 without MNIST)
    device: str  # where it trained, for people: "CPU", "CUDA: NVIDIA H200"
    before: float  # shipped model's accuracy on the held-back drawings
    after: float  # the copy's
    steps: int
    seconds: float
    mnist_before: float | None = None  # on the MNIST test set, when there is one
    mnist_after: float | None = None


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    was_training = model.training
    model.eval()
    predictions = digit_logits(predict_logits(model, images)).argmax(1)  # on the CPU, wherever the model is
    model.train(was_training)
    return float((predictions == labels.to(predictions.device)).float().mean()) if len(labels) else 0.0


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


def lower_this_threads_priority() -> None:
    """Make the calling thread the machine's least urgent work (nice 19), where the system lets a
    thread have its own priority (Linux); elsewhere nothing changes. For a thread started only to
    fine-tune: the drawings' threads then get a busy core first."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


@dataclass(frozen=True)
class FineTuneJob:
    """A fine-tuning as ``fine_tune`` was asked for it, passed whole to the steps that do it."""

    name: str
    entries: list[Entry]
    mnist_train: MNISTSplit | None
    mnist_test: MNISTSplit | None
    seconds: float
    max_steps: int | None
    duty: float
    seed: int
    progress: Callable[[int, float], object] | None
    device: torch.device


def fine_tune(
    shipped: nn.Module,
    name: str,
    entries: list[Entry],
    mnist_train: MNISTSplit | None = None,
    mnist_test: MNISTSplit | None = None,
    *,
    seconds: float = SECONDS,
    max_steps: int | None = None,
    duty: float = DUTY,
    seed: int = 0,
    progress=None,
    device: torch.device | str | None = None,
) -> FineTuneResult:
    """Train a copy of ``shipped`` for about ``seconds`` on the wall's drawings (all but a
    held-back quarter), mixed with MNIST training images when ``mnist_train`` is given; report
    both models' accuracy on the held-back drawings (and on 2000 digits of ``mnist_test``).

    It trains on ``device`` (default: the shipped model's) and returns the copy on the shipped
    model's device. On the CPU it rests after every step for as long as the step took times
    (1 - duty) / duty, so a busy server keeps (1 - duty) of a core for the drawings.
    ``progress(steps, elapsed)`` is called after every step when given.
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
    home = next(shipped.parameters()).device
    device = torch.device(device) if device is not None else home
    if device.type != "cpu":
        duty = 1.0  # a GPU is not shared with the drawings
    job = FineTuneJob(
        name=name,
        entries=entries,
        mnist_train=mnist_train,
        mnist_test=mnist_test,
        seconds=seconds,
        max_steps=max_steps,
        duty=duty,
        seed=seed,
        progress=progress,
        device=device,
    )
    return _fine_tune(shipped, job)


def _fine_tune(shipped: nn.Module, job: FineTuneJob) -> FineTuneResult:
    home, device = next(shipped.parameters()).device, job.device
    shipped, tuned = _copies_on(shipped, device)
    recipe = FINE_TUNE_RECIPES[job.name]
    train, held = split_held_back(job.entries, seed=job.seed)
    images, labels, mixed = _training_tensors(train, job.mnist_train, recipe, job.seed, device)
    held_images, held_labels = (tensor.to(device) for tensor in as_tensors(held))
    with torch.no_grad():
        before = accuracy(shipped, held_images, held_labels)
    test_images, test_labels = _mnist_test_sample(job.mnist_test, job.seed, device)
    mnist_before = accuracy(shipped, test_images, test_labels) if test_images is not None else None
    # The batches' order is drawn where the images are.
    generator = generator_on(device, job.seed)
    steps, elapsed = _train_for(tuned, recipe, images, labels, generator, job)
    return FineTuneResult(
        model=job.name,
        tuned=tuned.to(home),
        trained_on=len(train),
        held_back=len(held),
        mnist_images=mixed,
        device=describe_device(device),
        before=before,
        after=accuracy(tuned, held_images, held_labels),
        steps=steps,
        seconds=elapsed,
        mnist_before=mnist_before,
        mnist_after=accuracy(tuned, test_images, test_labels) if test_images is not None else None,
    )


def _copies_on(shipped: nn.Module, device: torch.device) -> tuple[nn.Module, nn.Module]:
    """(the shipped model, the copy to train), both copies on ``device``: the shipped model is
    measured where the copy trains, and the original is not touched."""
    shipped = copy.deepcopy(shipped).to(device)
    tuned = copy.deepcopy(shipped)
    for module in tuned.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            # The running statistics that 60,000 training digits set are kept: a few dozen
            # drawings would move them for every digit, not only for the class's.
            module.momentum = 0.0
    return shipped, tuned


def _training_tensors(
    train: list[Entry], mnist_train: MNISTSplit | None, recipe: Recipe, seed: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """(images, labels, MNIST images mixed in) to train on, on ``device``: the wall's drawings,
    then up to MNIST_PER_DRAWING MNIST training images a drawing (at most MNIST_MAX)."""
    images, labels = as_tensors(train)
    mixed = 0
    if mnist_train is not None and len(mnist_train):
        mixed = min(MNIST_MAX, MNIST_PER_DRAWING * len(train), len(mnist_train))
        chosen = torch.randperm(len(mnist_train), generator=torch.Generator().manual_seed(seed))[:mixed]
        images = torch.cat([images, mnist_train.images[chosen].unsqueeze(1).float().div(255.0)])
        labels = torch.cat([labels, mnist_train.labels[chosen]])
    if len(labels) % recipe.batch_size == 1:
        # A last batch of one image would stop batch normalisation (it needs two to train).
        images, labels = torch.cat([images, images[:1]]), torch.cat([labels, labels[:1]])
    return images.to(device), labels.to(device), mixed


def _mnist_test_sample(mnist_test: MNISTSplit | None, seed: int, device: torch.device):
    """(images, labels) of MNIST_TEST_SAMPLE test digits on ``device``; (None, None) without a test set.

    A fixed sample, not all 10,000: the figure moves by tenths of a point, and each evaluation
    is a burst of work the drawings wait behind."""
    if mnist_test is None or not len(mnist_test):
        return None, None
    sample = torch.randperm(len(mnist_test), generator=torch.Generator().manual_seed(seed))[:MNIST_TEST_SAMPLE]
    return mnist_test.images[sample].unsqueeze(1).to(device).float().div(255.0), mnist_test.labels[sample].to(device)


def _train_for(tuned, recipe, images, labels, generator, job: FineTuneJob) -> tuple[int, float]:
    """Train ``tuned`` until the job's ``seconds`` have passed or its ``max_steps`` are taken,
    resting on the CPU after each step so that it takes only ``duty`` of a core; returns (steps,
    seconds taken), with ``tuned`` left in eval mode."""
    steps, start = 0, time.perf_counter()
    deadline, max_steps, duty, progress = start + job.seconds, job.max_steps, job.duty, job.progress
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
    synchronize(images.device)
    return steps, time.perf_counter() - start
