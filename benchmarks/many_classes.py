"""Many classes on one server: what they cost in memory, and how soon a labelled drawing reaches
its projector's wall.

    python benchmarks/many_classes.py [--classes 50] [--students 30] [--drawings 2] [--latency 40]
                                      [--backup off|on|both]

The app is started with its classes in a fresh folder. ``--classes`` teachers each start a class;
``--students`` students per class each send ``--drawings`` labelled drawings to their class's
wall, each student from an address of its own (as phones on a school's network reach a server;
the app is told one proxy stands in front). Then the app's resident memory, with every drawing
held. Then ``--latency`` times: a student taps, and the teacher's page polls its wall the way its
timer does (every 0.1 s here, 2 s on the page) until the drawing shows; the time from the tap to
the wall that shows it, and the tap's own answer time. By default all of it twice, in the same
run: without a backup folder, and with one (``--backup-dir``: the classes copied every second).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import _common

from tests.live_app import GradioHTTP, event_of

FORWARDED = {"MNIST_FORWARDED_HOPS": "1"}


def address(n: int) -> dict:
    return {"x-forwarded-for": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


def start_classes(http: GradioHTTP, count: int) -> list[dict]:
    """``count`` classes, each started by a teacher's page of its own: their keys."""
    keys = []
    for n in range(count):
        session = f"bench-teacher-{n}-{time.monotonic_ns()}"
        start = event_of(http.open_page("classroom", session), "class-start", "click")  # the page's own event
        completed = http.event(start["id"], [""], start["trigger"], session, headers=address(n))
        keys.append(completed["output"]["data"][0])
    return keys


def send_drawings(http: GradioHTTP, keys: list[dict], students: int, drawings: int, pads: list[str]) -> dict:
    """Every student of every class sends its drawings (eight at a time); counts of answers."""
    meant = event_of(http.config(), "meant", "input")
    jobs = [(c, s, d) for d in range(drawings) for c in range(len(keys)) for s in range(students)]

    def send(job) -> bool:
        c, s, d = job
        pad = pads[(c + s + d) % len(pads)]
        session = f"student-{c}-{s}"
        data = [pad, str((c + s + d) % 10), keys[c]["code"]]
        completed = http.event(meant["id"], data, meant["trigger"], session, headers=address(100_000 + c * 1000 + s))
        return "On the class wall" in str(completed["output"]["data"][1])

    with ThreadPoolExecutor(8) as pool:
        sent = list(pool.map(send, jobs))
    return {"drawings_sent": len(sent), "on_walls": sum(sent)}


def wall_latency(http: GradioHTTP, key: dict, pads: list[str], count: int) -> dict:
    """Tap to the teacher's wall showing it: seconds, and the tap's own answer time."""
    session = "bench-projector"
    config = http.open_page("classroom", session, key)
    filters = event_of(config, "wall-digit", "input")
    meant = event_of(http.config(), "meant", "input")
    shown, answered = [], []
    for n in range(count):
        start = time.perf_counter()
        completed = http.event(
            meant["id"],
            [pads[n % len(pads)], "7", key["code"]],
            meant["trigger"],
            f"timed-{n}",
            headers=address(500_000 + n),
        )
        answered.append(time.perf_counter() - start)
        assert "On the class wall" in str(completed["output"]["data"][1]), completed
        while True:
            grid = http.event(filters["id"], [-1, "all"], filters["trigger"], session)["output"]["data"][0]
            if f"#{n + 1}<" in grid or grid.count("wall-card") > n:
                break
            time.sleep(0.1)
        shown.append(time.perf_counter() - start)
        time.sleep(0.3)  # a student's pace, under the page's rate
    return {"tap_to_wall": _common.percentiles(shown), "tap_answer": _common.percentiles(answered)}


def measure(args, pads: list[str], env: dict) -> dict:
    """One server with ``env``: the classes started, every drawing sent, memory, tap to wall."""
    with _common.serve("app", {**FORWARDED, **env}) as app:
        http = GradioHTTP(app.url, timeout_s=120)
        started = _common.rss_bytes(app.process.pid)
        keys = start_classes(http, args.classes)
        begun = time.perf_counter()
        counts = send_drawings(http, keys, args.students, args.drawings, pads)
        seconds = time.perf_counter() - begun
        held = _common.rss_bytes(app.process.pid)
        latency = wall_latency(http, start_classes(http, 1)[0], pads, args.latency)
        http.close()
    return {**counts, "seconds": seconds, "rss_start": started, "rss_held": held, **latency}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--classes", type=int, default=50)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--drawings", type=int, default=2)
    parser.add_argument("--latency", type=int, default=40)
    parser.add_argument(
        "--backup", choices=["off", "on", "both"], default="both", help="the copy to a backup folder (default: both)"
    )
    args = parser.parse_args()
    info = _common.machine_info()
    _common.print_machine(info)
    pads = [value for value, _ in _common.pad_values(50)]
    runs = {}
    for backup in ("off", "on") if args.backup == "both" else (args.backup,):
        with tempfile.TemporaryDirectory(prefix="bench-backup-") as folder:
            runs[backup] = measure(args, pads, {"MNIST_BACKUP_DIR": folder if backup == "on" else ""})
        figures = runs[backup]
        print(f"--- backup copy {backup}")
        print(
            f"{args.classes} classes x {args.students} students x {args.drawings} drawings: "
            f"{figures['on_walls']} of {figures['drawings_sent']} on their walls in {figures['seconds']:.0f} s"
        )
        print(
            f"app memory: {_common.mib(figures['rss_start']):.0f} MiB at start, "
            f"{_common.mib(figures['rss_held']):.0f} MiB with every drawing held"
        )
        for name in ("tap_to_wall", "tap_answer"):
            p = figures[name]
            print(f"{name}: p50 {p['p50_ms']:.0f} ms, p95 {p['p95_ms']:.0f} ms, max {p['max_ms']:.0f} ms")
    if len(runs) == 2:
        ratio = runs["on"]["tap_to_wall"]["p50_ms"] / runs["off"]["tap_to_wall"]["p50_ms"]
        print(f"tap to wall p50 with the copy on: {ratio:.2f}x without it (same run)")
    print("results:", _common.write_results("many_classes", {"machine": info, **vars(args), "runs": runs}))


if __name__ == "__main__":
    main()
