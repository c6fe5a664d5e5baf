"""Where work runs: the one place that decides it.

- **A machine with its own GPU** (CUDA, then Apple's MPS): reading drawings and training both use
  it; otherwise the CPU. ``$MNIST_DEVICE`` or ``--device`` can name one instead.
- **A ZeroGPU Space** (Hugging Face's free GPU hardware, detected through the ``spaces`` package's
  own setting, ``SPACES_ZERO_GPU``): there a GPU is attached only while a function decorated with
  ``@spaces.GPU`` runs, in a process forked for it. Outside such functions ``torch.cuda`` says it
  is available, but a tensor "on cuda" is a CPU tensor behind the package's emulation, and a model
  moved there reads as zeros. So:

  - reading a drawing runs on the plain CPU (``pick_device``). It is a millisecond of work a
    stroke; attaching a GPU for it costs far more (a request to the GPU scheduler, a forked worker,
    copying the weights over) and spends the visitor's daily GPU quota, which a class behind one
    school router shares;
  - the heavy jobs (the classroom's live training and the wall's fine-tune) run inside
    ``@spaces.GPU`` functions (``demo/gpu.py``), where ``device_in_gpu_function`` gives the GPU
    that was really attached; the Test set tab's evaluation runs once on the CPU, for less time
    than attaching a GPU takes.

  Gradio runs event handlers in worker threads, and the package's emulation is set up in the thread
  that imported it (the main one), so a handler reading on the CPU pays none of it
  (benchmarks/RESULTS.md, ZeroGPU).
"""

from __future__ import annotations

import torch

DEVICE_ENV = "MNIST_DEVICE"


def on_zerogpu() -> bool:
    """Whether this process runs on a ZeroGPU Space, as the ``spaces`` package decides it."""
    try:
        from spaces.config import Config
    except ImportError:  # the package is not installed: not a Space
        return False
    return bool(Config.zero_gpu)


def pick_device(requested: str | None = None) -> torch.device:
    """Return ``requested`` if given and not "auto", else the best available: CUDA > MPS > CPU,
    and the CPU on ZeroGPU outside a GPU function. (The app's ``--device`` and the commands' take
    ``$MNIST_DEVICE``, DEVICE_ENV, when not given.)"""
    requested = requested or "auto"
    if requested != "auto":
        device = torch.device(requested)
        if device.type != "cpu" and on_zerogpu():
            raise RuntimeError(
                f"device {requested!r} was requested, but on ZeroGPU a GPU is attached only inside "
                "@spaces.GPU functions: outside them the work runs on the CPU"
            )
        if device.type == "cuda" and not torch.cuda.is_available():
            raise RuntimeError(f"device {requested!r} was requested but CUDA is not available")
        if device.type == "mps" and not torch.backends.mps.is_available():
            raise RuntimeError(f"device {requested!r} was requested but MPS is not available")
        return device
    if on_zerogpu():
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def device_in_gpu_function() -> torch.device:
    """The device for work inside a ``@spaces.GPU`` function. On ZeroGPU the package has undone its
    emulation in the forked worker, so ``torch.cuda`` tells the truth there: the attached GPU, or
    the CPU where none is. Anywhere else the decorator changes nothing and this is ``pick_device``."""
    if on_zerogpu():
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return pick_device()


def describe_device(device: torch.device) -> str:
    """A short label for people: "CUDA: NVIDIA H100 80GB HBM3", "MPS (Apple GPU)" or "CPU"."""
    if device.type == "cuda":
        return f"CUDA: {torch.cuda.get_device_name(device)}"
    if device.type == "mps":
        return "MPS (Apple GPU)"
    return "CPU"


def synchronize(device: torch.device | str) -> None:
    """Wait for the work queued on ``device`` to finish: a GPU runs asynchronously, so a time taken
    without this measures the queueing, not the work."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def generator_on(device: torch.device | str, seed: int) -> torch.Generator:
    """A seeded generator for drawing on ``device``, named as the tensors moved there report their
    device: with its index ("mps:0", "cuda:0"). Some torch releases refuse a generator made for
    "mps" with tensors on "mps:0"."""
    device = torch.device(device)
    if device.type != "cpu" and device.index is None:
        index = torch.cuda.current_device() if device.type == "cuda" else 0
        device = torch.device(device.type, index)
    return torch.Generator(device).manual_seed(seed)
