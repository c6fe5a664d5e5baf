"""The GPU paths, run for real: one script for the day a GPU is lent, under 10 minutes on one GPU.

    MNIST_DATA_DIR=/path/to/mnist python benchmarks/gpu_check.py [--device cuda] [--no-tests]

Prints what it saw, and fails (exit 1) on a check that does not hold (the timings are checked on a
GPU only; on the CPU they are figures):

1. A cold start of a forked worker, as ZeroGPU starts one for a job (CUDA initialised in the
   child, the MLP moved to the device, one optimiser step), timed against ``STARTUP_SECONDS``.
2. A fine-tune of the MLP, and two live trainings of the softmax with one seed (the same curves),
   on the device; what each returns pickles and holds no tensor off the CPU.
3. One epoch of each model on 60,000 images (a live training, its curves' evaluations included),
   its seconds per image against ``SECONDS_PER_IMAGE``.
4. ``Classifier(device)`` against ``Classifier("cpu")`` on 2,000 test images: the same digits,
   probabilities within 1e-4.
5. The tests marked ``cuda``, and on a GPU the ZeroGPU tests with a real worker
   (``tests/test_zerogpu.py``).

With ``--device cpu`` the same code runs on the CPU (CI runs it that way); figures from a GPU go
to benchmarks/RESULTS.md, GPU check.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import pickle
import subprocess
import sys
import time

import _common
import numpy as np
import torch

from demo.gpu import SECONDS_PER_IMAGE, STARTUP_SECONDS
from mnist_models.datasets.mnist import DATA_DIR_ENV, load_split
from mnist_models.device import describe_device, synchronize
from mnist_models.models.checkpoints import load_model
from mnist_models.reading.classifier import Classifier
from mnist_models.training.fine_tuning import fine_tune
from mnist_models.training.live import train_live
from tests.test_classwall import swapped_wall
from tests.test_gpu_paths import no_cuda_tensor

FAILED: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"  {'ok  ' if ok else 'FAIL'} {what}")
    if not ok:
        FAILED.append(what)


def cold_start(device: str, answer) -> None:
    """In the forked worker: CUDA's start, the model to the device, one optimiser step."""
    model = load_model("mlp", "cpu").to(device)
    optimiser = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss = model(torch.rand(64, 1, 28, 28, device=device)).logsumexp(1).mean()
    loss.backward()
    optimiser.step()
    synchronize(device)
    answer.put(describe_device(torch.device(device)))


def check_cold_start(device: str) -> float:
    context = multiprocessing.get_context("fork")  # as the spaces package starts its worker
    answer = context.Queue()
    started = time.perf_counter()
    worker = context.Process(target=cold_start, args=(device, answer))
    worker.start()
    where = answer.get(timeout=300)
    seconds = time.perf_counter() - started
    worker.join()
    print(f"cold start of a forked worker on {where}: {seconds:.2f} s (STARTUP_SECONDS = {STARTUP_SECONDS})")
    if device != "cpu":  # on the CPU, figures only: the constants are for a GPU's worker
        check(seconds <= STARTUP_SECONDS, "the worker's cold start fits in STARTUP_SECONDS")
    return seconds


def check_jobs(device: str, train, test, classifier: Classifier) -> None:
    started = time.perf_counter()
    result = fine_tune(classifier.model("mlp"), "mlp", swapped_wall(classifier, 40), train, test, device=device)
    print(
        f"fine-tune on {result.device}: {result.steps} steps in {result.seconds:.1f} s "
        f"(job {time.perf_counter() - started:.1f} s), held back {result.before:.0%} -> {result.after:.0%}"
    )
    check(no_cuda_tensor(result) and pickle.loads(pickle.dumps(result)).steps == result.steps, "fine-tune result")
    runs = [list(train_live(train, test, "softmax", 1, 5000, seed=0, device=device)) for _ in range(2)]
    same = runs[0][-1].curves == runs[1][-1].curves
    print(f"two seeded live trainings on {runs[0][-1].device}: final test accuracy {runs[0][-1].test_accuracy:.2%}")
    check(same, "two live trainings with one seed draw the same curves")
    check(all(no_cuda_tensor(s) and pickle.loads(pickle.dumps(s)) for s in runs[0]), "live snapshots pickle")


def check_epochs(device: str, train, test) -> dict:
    per_image = {}
    for name in ("softmax", "mlp"):
        started = time.perf_counter()
        last = list(train_live(train, test, name, 1, None, seed=0, max_seconds=600, device=device))[-1]
        seconds = time.perf_counter() - started
        per_image[name] = seconds / len(train)
        print(
            f"one epoch of {name} on {last.device}, 60,000 images: {seconds:.1f} s, "
            f"{per_image[name]:.1e} s an image (SECONDS_PER_IMAGE {SECONDS_PER_IMAGE[name]:.0e}), "
            f"test accuracy {last.test_accuracy:.2%}"
        )
        if device != "cpu":
            check(per_image[name] <= SECONDS_PER_IMAGE[name], f"{name}'s epoch within SECONDS_PER_IMAGE")
    return per_image


def check_reading(device: str, test) -> None:
    images = test.as_float()[:2000].squeeze(1).numpy()
    here, cpu = Classifier(device), Classifier("cpu")
    for name in ("softmax", "mlp"):
        a, b = here.probabilities(images, name), cpu.probabilities(images, name)
        difference = float(np.abs(a - b).max())
        print(f"{name} on {here.device_label} against the CPU, 2,000 test images: largest difference {difference:.1e}")
        check((a.argmax(1) == b.argmax(1)).all() and difference <= 1e-4, f"{name} reads alike on both")


def run_tests(device: str) -> None:
    command = [sys.executable, "-m", "pytest", "-q", "-m", "cuda", "tests"]
    if device.startswith("cuda"):
        command = [sys.executable, "-m", "pytest", "-q", "tests/test_zerogpu.py", "tests/test_gpu_paths.py"]
        command += ["tests/test_models.py", "-m", "cuda or app or not app"]
    done = subprocess.run(command, cwd=_common.ROOT, check=False)
    check(done.returncode == 0, " ".join(command[3:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--no-tests", action="store_true", help="leave out the pytest step")
    args = parser.parse_args()
    _common.print_machine(_common.machine_info(args.device))
    check_cold_start(args.device)  # first: a fork after CUDA's start in this process would not work
    folder = os.environ.get(DATA_DIR_ENV) or None
    train, test = load_split("train", folder), load_split("test", folder)
    classifier = Classifier("cpu")
    check_jobs(args.device, train, test, classifier)
    check_epochs(args.device, train, test)
    check_reading(args.device, test)
    if not args.no_tests:
        run_tests(args.device)
    print("gpu_check:", "all held" if not FAILED else f"{len(FAILED)} failed: {FAILED}")
    raise SystemExit(1 if FAILED else 0)


if __name__ == "__main__":
    main()
