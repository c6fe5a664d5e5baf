"""What reading a drawing costs on a ZeroGPU Space against plain CPU, in the same run; and what a
training epoch costs where the classroom's jobs can run.

    python benchmarks/zerogpu.py [-n 300] [--epoch]

1. Over HTTP: the app started as Spaces starts it (``python demo/app.py``), once plainly and once
   in ZeroGPU's main-process mode (the real ``spaces`` package, ``SPACES_ZERO_GPU=true``, against
   the stand-in device API of tests/zerogpu_device_api.py). The same drawings go to the drawing
   page's pad event of each in turn, one at a time; p50/p95 per server and the ratio.
2. In process, under the same mode: one reading (``Classifier.read`` of a pad value) in the main
   thread, where the package's torch emulation is, and in a worker thread as Gradio runs handlers.
3. With ``--epoch``: one epoch of the live MLP recipe on all 60,000 MNIST training images, on this
   machine's device (needs MNIST_DATA_DIR). On a machine with a GPU, run it there for the GPU's.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import _common

from tests.live_app import GradioHTTP, live_app, pad_event
from tests.zerogpu_device_api import ZeroGPUDeviceAPI

IN_PROCESS = r"""
import statistics, sys, time
from concurrent.futures import ThreadPoolExecutor
sys.path[:0] = [{root!r}, {root!r} + "/benchmarks"]
import spaces  # in ZeroGPU's mode when SPACES_ZERO_GPU is set: patches torch in this thread
import torch
from mnist_models.reading.classifier import Classifier
from _common import pad_values
torch.set_num_threads(1)
classifier = Classifier()
pads = [value for value, _ in pad_values(50)]
def timed():
    times = []
    for _ in range({repeats}):
        for value in pads:
            start = time.perf_counter(); classifier.read(value, ["mlp"], source="pad"); times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000
main = timed()
with ThreadPoolExecutor(1) as pool:
    worker = pool.submit(timed).result()
print(f"{{main:.3f}} {{worker:.3f}} {{classifier.device_label}}")
"""


def pad_latencies(apps: dict[str, GradioHTTP], pads: list[str], rounds: int) -> dict[str, list[float]]:
    """Each server's pad-event latency for the same drawings, the servers taking turns."""
    events = {name: pad_event(http.config()) for name, http in apps.items()}
    times: dict[str, list[float]] = {name: [] for name in apps}
    for round_ in range(rounds):
        order = list(apps) if round_ % 2 == 0 else list(reversed(apps))
        for value in pads:
            for name in order:
                fn_index, trigger = events[name]
                start = time.perf_counter()
                completed = apps[name].event(fn_index, [value, "mlp"], trigger, session=f"bench-{name}")
                times[name].append(time.perf_counter() - start)
                if not completed.get("success"):
                    raise RuntimeError(f"{name}: {completed}")
    return times


def over_http(count: int) -> dict:
    pads = [value for value, _ in _common.pad_values(50)]
    rounds = max(1, count // len(pads))
    with ZeroGPUDeviceAPI() as api, tempfile.TemporaryDirectory() as offload:
        zerogpu = {**api.env(), "ZEROGPU_OFFLOAD_DIR": offload, "MNIST_DEVICE": ""}
        command = [sys.executable, "demo/app.py"]
        with _common.serve("app", {"MNIST_DEVICE": ""}) as plain, live_app(command, zerogpu) as spaces_app:
            apps = {"plain CPU": GradioHTTP(plain.url), "ZeroGPU mode": GradioHTTP(spaces_app.url)}
            device = {name: _device_of(http) for name, http in apps.items()}
            pad_latencies(apps, pads[:10], 1)  # warm-up
            times = pad_latencies(apps, pads, rounds)
            for http in apps.values():
                http.close()
        gpu_requests = len(api.schedules)
    stats = {name: _common.percentiles(samples) for name, samples in times.items()}
    rows = [{"server": name, "reads on": device[name], **stats[name]} for name in times]
    _common.print_table(rows, ["server", "reads on", "n", "p50_ms", "p95_ms", "max_ms"])
    ratio = stats["ZeroGPU mode"]["p50_ms"] / stats["plain CPU"]["p50_ms"]
    print(f"ZeroGPU mode / plain CPU, p50 of the pad event: {ratio:.2f}x; GPU requests made: {gpu_requests}")
    return {"rows": rows, "p50_ratio": ratio, "gpu_requests": gpu_requests}


def _device_of(http: GradioHTTP) -> str:
    event, result = http.classify(_common.drawn_pngs(1)[0][0])
    return result[0]["device"] if event == "complete" else f"error: {result}"


def in_process(repeats: int) -> dict:
    with ZeroGPUDeviceAPI() as api:
        results = {}
        offload = tempfile.mkdtemp(prefix="zerogpu-offload-")
        for mode, env in (("plain", {}), ("ZeroGPU mode", {**api.env(), "ZEROGPU_OFFLOAD_DIR": offload})):
            environment = {k: v for k, v in os.environ.items() if not k.startswith("SPACES_")} | env
            environment["MNIST_DEVICE"] = ""
            script = IN_PROCESS.format(root=str(_common.ROOT), repeats=repeats)
            out = subprocess.run(
                [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True
            )
            main_ms, worker_ms, device = out.stdout.split()[-3:]
            results[mode] = {"main thread ms": float(main_ms), "worker thread ms": float(worker_ms), "device": device}
    rows = [{"process": mode, **figures} for mode, figures in results.items()]
    _common.print_table(rows, ["process", "device", "main thread ms", "worker thread ms"])
    return results


def one_epoch() -> dict:
    import torch

    from mnist_models.datasets.mnist import DATA_DIR_ENV, load_split
    from mnist_models.device import DEVICE_ENV, describe_device, pick_device
    from mnist_models.training.live import train_live

    folder = os.environ.get(DATA_DIR_ENV) or None
    train, test = load_split("train", folder, download=False), load_split("test", folder, download=False)
    device = pick_device(os.environ.get(DEVICE_ENV))
    start = time.perf_counter()
    snapshots = list(train_live(train, test, "mlp", epochs=1, subset=None, device=device, max_seconds=600))
    seconds = time.perf_counter() - start
    print(f"one epoch of the live MLP recipe, 60,000 images on {describe_device(device)}: {seconds:.1f} s")
    print(f"  (torch threads: {torch.get_num_threads()}; test accuracy {snapshots[-1].test_accuracy:.1%})")
    return {"device": describe_device(device), "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=300, help="pad events per server")
    parser.add_argument("--epoch", action="store_true", help="also time one MLP epoch (needs MNIST_DATA_DIR)")
    args = parser.parse_args()
    info = _common.machine_info()
    _common.print_machine(info)
    results = {"machine": info, "http": over_http(args.n), "in_process": in_process(max(1, args.n // 100))}
    if args.epoch:
        results["epoch"] = one_epoch()
    print("results:", _common.write_results("zerogpu", results))


if __name__ == "__main__":
    main()
