"""The classroom's heavy jobs, where they run: on a ZeroGPU Space each is a ``@spaces.GPU``
function, run with a GPU attached in a process the ``spaces`` package forks for it; anywhere else
the decorator changes nothing and the job runs in this process, on ``pick_device()``. Why reading
a drawing is not one of them: mnist_models/device.py.

Each function reserves a duration computed from its job, not the package's 60 s default: ZeroGPU
counts the reservation against the visitor's daily quota before the job starts, and stops a job
that runs past it. So a job is given a budget inside its reservation and ends within it.

A ZeroGPU failure reaches the caller as the ``gr.Error`` the package raises ("ZeroGPU quota
exceeded", "No GPU was available", ...); ``failure_message`` words it for the visitor.
"""

from __future__ import annotations

import copy
import math
import re

import gradio as gr
import spaces
import torch

from demo.language import say
from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.device import device_in_gpu_function, on_zerogpu
from mnist_models.training.fine_tuning import SECONDS as FINE_TUNE_SECONDS
from mnist_models.training.fine_tuning import FineTuneResult, fine_tune
from mnist_models.training.live import train_live

# Forking the worker, starting CUDA in it and copying the tensors over, before the job's first step.
STARTUP_SECONDS = 10
# What one training image of an epoch costs, the curves' evaluations included, as measured on one
# CPU thread (benchmarks/RESULTS.md, ZeroGPU): an upper bound for a GPU. The budget is twice that,
# and the training ends at its budget whatever the real figure.
SECONDS_PER_IMAGE = {"softmax": 3e-5, "mlp": 8e-5}


def live_training_budget(model: str, epochs: int, subset: int, max_seconds: float) -> float:
    """Seconds a live training may train: what its images should take, at most ``max_seconds``."""
    return min(float(max_seconds), max(5.0, 2 * epochs * subset * SECONDS_PER_IMAGE.get(model, 1e-4)))


def live_training_duration(train, test, model, epochs, subset, max_seconds) -> int:
    return math.ceil(STARTUP_SECONDS + live_training_budget(model, epochs, subset, max_seconds))


@spaces.GPU(duration=live_training_duration)
def train_live_on_gpu(train: MNISTSplit, test: MNISTSplit, model: str, epochs: int, subset: int, max_seconds: float):
    """A live training with a GPU attached, within its reservation."""
    budget = live_training_budget(model, epochs, subset, max_seconds)
    yield from train_live(train, test, model, epochs, subset, max_seconds=budget, device=device_in_gpu_function())


def sendable(value):
    """A copy of ``value`` (an MNIST split, a model, or None) to hand to a GPU function. The
    ``spaces`` package sends a GPU function's arguments to its worker through a multiprocessing
    queue, and torch's pickling then moves a CPU tensor's storage into shared memory in place,
    freeing the old buffer: the Test set tab's NumPy views of the same MNIST tensors, and the
    shipped model other threads read with, must never be the ones sent."""
    if value is None:
        return None
    if isinstance(value, MNISTSplit):
        return MNISTSplit(value.images.clone(), value.labels.clone(), value.sha256)
    if isinstance(value, torch.nn.Module):
        return copy.deepcopy(value)
    raise TypeError(f"no copy to send for a {type(value).__name__}")


def live_training(train, test, model: str, *, epochs: int, subset: int, stop, max_seconds: float):
    """The snapshots of a live training, where it should run. Here ``stop`` ends it after the
    current batch; a GPU function's worker cannot see it, so there the caller ends the training by
    closing the generator (the worker stops at its next snapshot)."""
    if on_zerogpu():
        return train_live_on_gpu(sendable(train), sendable(test), model, epochs, subset, max_seconds)
    return train_live(
        train, test, model, epochs, subset, stop=stop, max_seconds=max_seconds, device=device_in_gpu_function()
    )


def fine_tune_duration(shipped, name, entries, mnist_train, mnist_test) -> int:
    return math.ceil(STARTUP_SECONDS + FINE_TUNE_SECONDS + 5)  # and the accuracies before and after


@spaces.GPU(duration=fine_tune_duration)
def fine_tune_on_gpu(
    shipped: torch.nn.Module, name: str, entries, mnist_train: MNISTSplit | None, mnist_test: MNISTSplit | None
) -> FineTuneResult:
    """A fine-tuning with a GPU attached; the copy comes back on the shipped model's device.
    Called with ``sendable`` copies (``fine_tune_on_zerogpu``)."""
    return fine_tune(shipped, name, entries, mnist_train, mnist_test, device=device_in_gpu_function())


def fine_tune_on_zerogpu(shipped, name: str, entries, mnist_train, mnist_test) -> FineTuneResult:
    """``fine_tune_on_gpu`` given copies of what the server keeps using (``sendable``)."""
    return fine_tune_on_gpu(sendable(shipped), name, entries, sendable(mnist_train), sendable(mnist_test))


# The titles the spaces package gives its errors (spaces/zero/client.py), and what the visitor reads.
FAILURES = {
    "ZeroGPU quota exceeded": "gpu_quota",
    "ZeroGPU queue timeout": "gpu_unavailable",
    "ZeroGPU client error": "gpu_unavailable",
    "ZeroGPU illegal duration": "gpu_too_long",
    "ZeroGPU pending credits exceeded": "gpu_quota",
}
RETRY = re.compile(r"Try again in (\d+:\d\d:\d\d)")


def failure_message(error: gr.Error, language: str) -> str:
    """A ZeroGPU failure in the visitor's language, with the retry time when the package gave one."""
    message = str(getattr(error, "message", error))
    key = FAILURES.get(getattr(error, "title", None) or "", "gpu_failed")
    if key == "gpu_quota" and "No GPU was available" in message:
        key = "gpu_unavailable"  # a queue that timed out, told as a quota to visitors without a token
    retry = RETRY.search(message)
    wait = say("gpu_retry", language, time=retry.group(1)) if retry else ""
    return say(key, language, retry=wait)
