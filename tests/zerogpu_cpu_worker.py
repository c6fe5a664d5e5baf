"""Run an app whose `@spaces.GPU` functions run in their forked worker on a machine without a GPU,
against the stand-in device API of tests/zerogpu_device_api.py:

    python tests/zerogpu_cpu_worker.py demo/app.py [args...]
    python tests/zerogpu_cpu_worker.py -m demo [args...]
"""

from __future__ import annotations

import os
import runpy
import sys


def let_worker_run_without_cuda() -> None:
    """Let `@spaces.GPU` functions run in their forked worker on a machine without a GPU.

    The worker first undoes the main process's torch patches, then `spaces.zero.torch.init` moves a
    tensor to real CUDA and `spaces.zero.torch.move` copies the tensors that were put "on cuda" in
    the main process and synchronizes CUDA. Both need a GPU; replaced by no-ops, the worker runs the
    function with plain CPU torch (torch.cuda.is_available() is False there). Tensors that were
    moved to "cuda" in the main process stay empty placeholders, so models must stay on the CPU.
    Call after `import spaces` with SPACES_ZERO_GPU=true, in the process that calls the function
    (the worker is a fork of it)."""
    import spaces.zero.torch as zero_torch

    zero_torch.init = lambda nvidia_uuid: None
    zero_torch.move = lambda callback=None: None


def _main(argv: list[str]) -> None:
    """`SCRIPT [ARGS]` or `-m MODULE [ARGS]`: run an app with let_worker_run_without_cuda()
    applied. The environment must already point at a device API."""
    if not argv:
        raise SystemExit(__doc__)
    import spaces  # noqa: F401  (patches torch: must come before the app imports torch's users)

    let_worker_run_without_cuda()
    # sys.path[0] as `python -m MODULE` / `python SCRIPT` would set it, not this file's folder
    if argv[0] == "-m":
        sys.path[0] = os.getcwd()
        sys.argv = [argv[1], *argv[2:]]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        sys.path[0] = os.path.dirname(os.path.abspath(argv[0]))
        sys.argv = argv
        runpy.run_path(argv[0], run_name="__main__")


if __name__ == "__main__":
    _main(sys.argv[1:])
