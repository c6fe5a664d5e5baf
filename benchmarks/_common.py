"""Shared helpers for the benchmark scripts: machine description, percentiles, tables, result
files, drawn-digit PNGs, and starting/stopping a Gradio server on a free loopback port.

Figures these scripts print are observations of one machine at one moment, never assertions.
"""

from __future__ import annotations

import io
import json
import os
import platform
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # scripts are run as files (python benchmarks/x.py): make the repo importable
    sys.path.insert(0, str(ROOT))

RESULTS = Path(__file__).resolve().parent / "results"
from mnist_models.pad import CANVAS

LOOPBACK = "127.0.0.1"


# --------------------------------------------------------------------------- machine / output


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(device: str | None = None) -> dict:
    """What the figures depend on. torch is imported lazily: the HTTP scripts don't need it here."""
    import torch

    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    if device is None:
        from mnist_models.device import describe_device, pick_device

        device = describe_device(pick_device())
    return {
        "cores": os.cpu_count(),
        "usable_cores": usable,
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "device": device,
        # Another process on a 2-core machine changes every figure (thread oversubscription
        # makes torch's intra-op threads wait on each other): record the load the run began under.
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpu_busy_before": round(cpu_busy_fraction(0.5), 3),
    }


def print_machine(info: dict) -> None:
    print(
        f"machine: {info['cores']} cores ({info['usable_cores']} usable), {info['cpu_model']}, "
        f"python {info['python']}, torch {info['torch']}, torch threads {info['torch_threads']}, device {info['device']}, "
        f"load average (1 min) {info['load_average_1m']}, "
        f"CPU busy before start {info['cpu_busy_before']:.0%}"
    )
    if info["cpu_busy_before"] > 0.25:
        print("warning: the machine is busy with other work; figures below are contended", flush=True)


def cpu_busy_fraction(interval_s: float = 1.0) -> float:
    """Fraction of all cores busy over ``interval_s``, from /proc/stat (nan where unavailable)."""

    def sample():
        values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return idle, sum(values)

    try:
        idle0, total0 = sample()
        time.sleep(interval_s)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return float("nan")
    return 1.0 - (idle1 - idle0) / max(total1 - total0, 1)


def process_cpu_seconds(pid: int | str = "self") -> float:
    """utime + stime of a process, from /proc/PID/stat (nan where unavailable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


class OtherLoad:
    """How much of the machine processes other than ours used while a measurement ran:
    total busy CPU from /proc/stat less our own processes' CPU time. A figure taken while
    something else kept a core busy is not comparable with one taken on a quiet machine."""

    def __init__(self, pids: list[int] | None = None) -> None:
        self.pids = ["self", *(pids or [])]
        self.start = self._sample()

    def _sample(self):
        try:
            values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        except (OSError, ValueError):
            return None
        tick = os.sysconf("SC_CLK_TCK")
        busy = (sum(values) - values[3] - values[4]) / tick
        return time.perf_counter(), busy, sum(process_cpu_seconds(p) for p in self.pids)

    def cores_used_by_others(self) -> float:
        """Average number of cores other processes kept busy since this object was made."""
        end = self._sample()
        if self.start is None or end is None:
            return float("nan")
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
    """p50/p95/mean/max in milliseconds (nearest-rank-free: numpy's linear interpolation)."""
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


# --------------------------------------------------------------------------- drawings


def drawn_pngs(count: int, seed: int = 0, canvas: int = CANVAS) -> list[tuple[bytes, int]]:
    """``count`` distinct synthetic drawings as PNG bytes with their labels.

    White paper, black ink, opaque: a drawing as an API client sends it. Distinct files
    matter because Gradio caches uploads by content hash, so one repeated file would flatter it.
    """
    from mnist_models.drawings import render_digit

    out = []
    for i in range(count):
        digit = i % 10
        image = render_digit(digit, np.random.default_rng([seed, i, digit]), canvas, "white")
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        out.append((buffer.getvalue(), digit))
    return out


# --------------------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def app_concurrency_limit(default: int = 4) -> int:
    """The queue's default_concurrency_limit the app launches with, read from demo/app.py so the
    no-op floor server copies it even after it is tuned."""
    try:
        match = re.search(r"default_concurrency_limit\s*=\s*(\d+)", (ROOT / "demo" / "app.py").read_text())
    except OSError:
        match = None
    return int(match.group(1)) if match else default


def rss_kib(pid: int) -> dict:
    """Resident memory now and at peak, from /proc (Linux only), and the same summed over the
    process's children as children_VmRSS/VmHWM."""
    out = _status_kib(pid)
    for child in _children(pid):
        for key, value in _status_kib(child).items():
            out[f"children_{key}"] = out.get(f"children_{key}", 0) + value
    return out


def _status_kib(pid: int) -> dict:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def _children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return children


class Server:
    """A server subprocess on a loopback port; stopped by its own pid, never by name."""

    def __init__(self, argv: list[str], port: int, log_path: Path, env: dict | None = None) -> None:
        self.port = port
        self.url = f"http://{LOOPBACK}:{port}"
        self.log_path = log_path
        self.log = open(log_path, "wb")  # noqa: SIM115 - the server writes to it until stop() closes it
        self.started = time.perf_counter()
        environment = {**os.environ, **(env or {}), "GRADIO_ANALYTICS_ENABLED": "False"}
        self.process = subprocess.Popen(argv, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, env=environment)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self.log.close()


def parse_env(pairs: list[str] | None) -> dict:
    """--app-env KEY=VALUE flags as a dict (e.g. OMP_NUM_THREADS=1 to try one torch thread in the
    server without editing the app)."""
    env = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"--app-env takes KEY=VALUE, not {pair!r}")
        env[key] = value
    return env


def start_app(log_dir: Path = Path("/tmp"), port: int | None = None, env: dict | None = None) -> Server:
    port = port or free_port()
    return Server(
        [sys.executable, "-m", "demo", "--host", LOOPBACK, "--port", str(port)],
        port,
        log_dir / f"bench-app-{port}.log",
        env,
    )


def start_noop(concurrency_limit: int, log_dir: Path = Path("/tmp"), port: int | None = None) -> Server:
    port = port or free_port()
    return Server(
        [
            sys.executable,
            str(Path(__file__).resolve().parent / "noop_server.py"),
            "--port",
            str(port),
            "--concurrency-limit",
            str(concurrency_limit),
        ],
        port,
        log_dir / f"bench-noop-{port}.log",
    )


def wait_until_up(server: Server, timeout_s: float = 120.0) -> float:
    """Poll /gradio_api/info until it answers; return seconds since the process started."""
    import httpx

    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if not server.alive():
            raise RuntimeError(f"server exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            if httpx.get(server.url + "/gradio_api/info", timeout=2).status_code == 200:
                return time.perf_counter() - server.started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"server on {server.url} did not answer within {timeout_s} s:\n{server.log_tail()}")


def start_app_with_retries(attempts: int = 3, wait_s: float = 60.0, env: dict | None = None) -> Server:
    """The weights may be being rewritten by a training run; a failed start is retried after a pause."""
    for attempt in range(1, attempts + 1):
        server = start_app(env=env)
        try:
            wait_until_up(server)
            return server
        except (RuntimeError, TimeoutError) as error:
            server.stop()
            if attempt == attempts:
                raise
            print(f"app did not start (attempt {attempt}): {str(error)[-300:]}\nretrying in {wait_s:.0f} s", flush=True)
            time.sleep(wait_s)
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------- raw REST /classify

FILE_META = {"_type": "gradio.FileData"}


def parse_sse_complete(lines) -> tuple[str, object]:
    """Read a /gradio_api/call/... SSE stream; return (event, data) of its final event."""
    event = None
    for line in lines:
        if line.startswith("event:"):
            event = line[6:].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            payload = line[5:].strip()
            try:
                return event, json.loads(payload)
            except json.JSONDecodeError:
                return event, payload
    return event or "eof", None


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
    body = {"data": [{"path": path, "meta": FILE_META}, model]}
    if session is not None:
        body["session_hash"] = session
    r = client.post(f"/gradio_api/call/{api}", json=body)
    r.raise_for_status()
    event_id = r.json()["event_id"]
    t2 = time.perf_counter()
    with client.stream("GET", f"/gradio_api/call/{api}/{event_id}") as s:
        event, data = parse_sse_complete(s.iter_lines())
    t3 = time.perf_counter()
    if event != "complete":
        raise RuntimeError(f"/{api} ended with event {event!r}: {data!r}")
    return data[0], {"upload": t1 - t0, "call": t2 - t1, "result": t3 - t2, "total": t3 - t0}
