"""Shared helpers for the benchmark scripts: machine description, CPU and memory readings
(psutil), percentiles, tables, result files, drawn digits, and the servers under test (started
with the tests' own helper, tests/live_app.py).

Figures these scripts print are observations of one machine at one moment, never assertions.
"""

from __future__ import annotations

import base64
import io
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # scripts are run as files (python benchmarks/x.py): make the repo importable
    sys.path.insert(0, str(ROOT))

from mnist_models.pad import CANVAS
from tests.live_app import LiveApp, file_data, live_app, read_call_stream

RESULTS = Path(__file__).resolve().parent / "results"
FLOOR = Path(__file__).resolve().parent / "floor.py"
# The servers a load benchmark can start: the app itself, or the floor (the drawing page built by
# its own builder, with a classifier that does nothing).
SERVERS = ("app", "floor")


# --------------------------------------------------------------------------- machine / output


def machine_info(device: str | None = None) -> dict:
    """What the figures depend on. torch is imported lazily: the HTTP scripts don't need it here."""
    import torch

    if device is None:
        from mnist_models.device import describe_device, pick_device

        device = describe_device(pick_device())
    frequency = psutil.cpu_freq()
    return {
        "cores": psutil.cpu_count(),
        "usable_cores": len(psutil.Process().cpu_affinity()) if hasattr(psutil.Process, "cpu_affinity") else None,
        "cpu": f"{platform.machine()} {torch.backends.cpu.get_cpu_capability()}"
        + (f" {frequency.max or frequency.current:.0f} MHz" if frequency else ""),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": device,
        # Another process on a 2-core machine changes every figure: record the load the run began under.
        "load_average_1m": round(psutil.getloadavg()[0], 2),
        "cpu_busy_before": round(cpu_busy_fraction(0.5), 3),
    }


def print_machine(info: dict) -> None:
    print(
        f"machine: {info['cores']} cores ({info['usable_cores']} usable), {info['cpu']}, "
        f"{info['memory_gib']} GiB, python {info['python']}, torch {info['torch']}, "
        f"torch threads {info['torch_threads']}, device {info['device']}, "
        f"load average (1 min) {info['load_average_1m']}, CPU busy before start {info['cpu_busy_before']:.0%}"
    )
    if info["cpu_busy_before"] > 0.25:
        print("warning: the machine is busy with other work; figures below are contended", flush=True)


def cpu_busy_fraction(interval_s: float = 1.0) -> float:
    """Fraction of all cores busy over ``interval_s``."""
    return psutil.cpu_percent(interval=interval_s) / 100


def _busy_seconds() -> float:
    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def family(pid: int | None) -> list[psutil.Process]:
    """A process and all its descendants (none if it is gone)."""
    try:
        process = psutil.Process(pid)
        return [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def cpu_seconds(pid: int | None = None) -> float:
    """User + system CPU time of a process (this one by default) and its descendants."""
    total = 0.0
    for process in family(pid):
        try:
            times = process.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants, summed: the whole app's footprint."""
    total = 0
    for process in family(pid):
        try:
            total += process.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def mib(n_bytes: float) -> float:
    return n_bytes / 2**20


class OtherLoad:
    """How much of the machine processes other than ours used while a measurement ran: total busy
    CPU less our own processes' CPU time. A figure taken while something else kept a core busy is
    not comparable with one taken on a quiet machine."""

    def __init__(self, pids: list[int] | None = None) -> None:
        self.pids = [os.getpid(), *(pids or [])]
        self.start = self._sample()

    def _sample(self) -> tuple[float, float, float]:
        return time.perf_counter(), _busy_seconds(), sum(cpu_seconds(p) for p in self.pids)

    def cores_used_by_others(self) -> float:
        """Average number of cores other processes kept busy since this object was made."""
        end = self._sample()
        wall = max(end[0] - self.start[0], 1e-9)
        return max(0.0, ((end[1] - self.start[1]) - (end[2] - self.start[2])) / wall)


def wait_for_quiet(max_wait_s: float = 90.0, busy_below: float = 0.25) -> float:
    """Wait (bounded) until other work leaves the CPUs mostly idle; return the last busy fraction.
    On a 2-core machine a concurrent test or training run would otherwise be what gets measured."""
    deadline = time.perf_counter() + max_wait_s
    busy = cpu_busy_fraction()
    while busy >= busy_below and time.perf_counter() < deadline:
        print(f"machine {busy:.0%} busy with other work; waiting for it to quieten", flush=True)
        time.sleep(4)
        busy = cpu_busy_fraction()
    return busy


def percentiles(samples_s: list[float]) -> dict:
    """p50/p95/mean/max in milliseconds (numpy's linear interpolation)."""
    if not samples_s:
        return {"n": 0, "p50_ms": None, "p95_ms": None, "mean_ms": None, "max_ms": None}
    a = np.asarray(samples_s) * 1000.0
    return {
        "n": int(a.size),
        "p50_ms": float(np.percentile(a, 50)),
        "p95_ms": float(np.percentile(a, 95)),
        "mean_ms": float(a.mean()),
        "max_ms": float(a.max()),
    }


def fmt(value, digits: int = 3) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) < 5e-4:
            return "0"
        return f"{value:.{digits}g}" if abs(value) < 1000 else f"{value:.0f}"
    return str(value)


def print_table(rows: list[dict], columns: list[str]) -> None:
    cells = [[fmt(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) if cells else len(c) for i, c in enumerate(columns)]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))


def write_results(name: str, payload: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {"benchmark": name, "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **payload}
    path.write_text(json.dumps(payload, indent=2, default=float) + "\n")
    print(f"wrote {path.relative_to(ROOT)}")
    return path


def parse_env(pairs: list[str] | None) -> dict:
    """--app-env KEY=VALUE flags as a dict (e.g. OMP_NUM_THREADS=1 to try a setting in the server
    without editing the app)."""
    env = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--app-env takes KEY=VALUE, not {pair!r}")
        env[key] = value
    return env


# --------------------------------------------------------------------------- drawings


def drawn_pngs(count: int, seed: int = 0, canvas: int = CANVAS) -> list[tuple[bytes, int]]:
    """``count`` distinct synthetic drawings as PNG bytes with their labels.

    White paper, black ink, opaque: a drawing as an API client sends it. Distinct files
    matter because Gradio caches uploads by content hash, so one repeated file would flatter it.
    """
    return [(_png(digit, seed, i, canvas, "white"), digit) for i, digit in ((i, i % 10) for i in range(count))]


def pad_values(count: int, seed: int = 0, canvas: int = CANVAS) -> list[tuple[str, int]]:
    """``count`` distinct drawings as the drawing pad sends them: a PNG data URL of black ink on a
    transparent canvas, with their labels."""
    return [
        ("data:image/png;base64," + base64.b64encode(_png(i % 10, seed, i, canvas, "transparent")).decode(), i % 10)
        for i in range(count)
    ]


def _png(digit: int, seed: int, index: int, canvas: int, background: str) -> bytes:
    from mnist_models.datasets.drawings import render_digit

    image = render_digit(digit, np.random.default_rng([seed, index, digit]), canvas, background)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- servers


@contextmanager
def serve(kind: str = "app", env: dict | None = None) -> Iterator[LiveApp]:
    """The app (``kind`` "app") or the floor (benchmarks/floor.py) on a free loopback port, with an
    upload folder of its own ($GRADIO_TEMP_DIR, removed afterwards unless ``env`` names one) so
    that nothing it stores mixes with other servers' files, behind one trusted proxy: a caller
    that sends ``X-Forwarded-For`` has that address (each simulated student one of its own)."""
    if kind not in SERVERS:
        raise ValueError(f"server must be one of {SERVERS}, not {kind!r}")
    command = None if kind == "app" else [sys.executable, str(FLOOR)]
    with (
        tempfile.TemporaryDirectory(prefix="bench-uploads-", ignore_cleanup_errors=True) as uploads,
        live_app(command, {"GRADIO_TEMP_DIR": uploads, "MNIST_FORWARDED_HOPS": "1", **(env or {})}) as app,
    ):
        yield app


def folder_size(path: str | Path) -> tuple[int, int]:
    """(bytes, files) of everything under ``path``."""
    size = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                size += os.stat(os.path.join(root, name)).st_size
                files += 1
            except OSError:
                pass
    return size, files


# --------------------------------------------------------------------------- raw REST /classify


def classify_raw(
    client, png: bytes, model: str = "mlp", api: str = "classify", session: str | None = "benchmark"
) -> tuple[object, dict]:
    """One /classify over Gradio 6's REST API with a sync httpx.Client: upload, call, read the
    result stream. Returns (result, per-phase seconds). A client that keeps a session_hash skips
    Gradio's per-call building of a fresh session state; ``session=None`` measures without it."""
    t0 = time.perf_counter()
    r = client.post("/gradio_api/upload", files={"files": ("drawing.png", png, "image/png")})
    r.raise_for_status()
    path = r.json()[0]
    t1 = time.perf_counter()
    body = {"data": [file_data(path), model]}
    if session is not None:
        body["session_hash"] = session
    r = client.post(f"/gradio_api/call/{api}", json=body)
    r.raise_for_status()
    event_id = r.json()["event_id"]
    t2 = time.perf_counter()
    with client.stream("GET", f"/gradio_api/call/{api}/{event_id}") as s:
        event, data = read_call_stream(s.iter_lines())
    t3 = time.perf_counter()
    if event != "complete":
        raise RuntimeError(f"/{api} ended with event {event!r}: {data!r}")
    return data[0], {"upload": t1 - t0, "call": t2 - t1, "result": t3 - t2, "total": t3 - t0}
