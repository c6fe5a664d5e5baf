"""The one place that decides where models run: CUDA > MPS > CPU, unless told otherwise."""

from __future__ import annotations

import os

import torch

DEVICE_ENV = "MNIST_DEVICE"


def pick_device(requested: str | None = None) -> torch.device:
    """Return ``requested`` (or ``$MNIST_DEVICE``) if given and not "auto", else the best available."""
    requested = requested or os.environ.get(DEVICE_ENV) or "auto"
    if requested != "auto":
        device = torch.device(requested)
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {requested!r} was requested but CUDA is not available")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"device {requested!r} was requested but MPS is not available")
        return device
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def describe_device(device: torch.device) -> str:
    """A short label for people: "CUDA: NVIDIA H100 80GB HBM3", "MPS (Apple GPU)" or "CPU"."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS (Apple GPU)"
    return "CPU"
