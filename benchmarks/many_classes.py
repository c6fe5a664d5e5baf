"""Many classes on one server or several: what they cost in memory, and how soon a labelled drawing reaches
its projector's wall.

    python benchmarks/many_classes.py [--classes 50] [--students 30] [--drawings 2] [--latency 40]
                                      [--setups sqlite sqlite+backup postgres-2 postgres-3]

The app is started with its classes in a fresh folder. ``--classes`` teachers each start a class;
``--students`` students per class each send ``--drawings`` labelled drawings to their class's
wall, each student from an address of its own (as phones on a school's network reach a server;
the app is told one proxy stands in front). Then the app's resident memory, with every drawing
held. Then ``--latency`` times: a student taps, and the teacher's page polls its wall the way its
timer does (every 0.1 s here, 2 s on the page) until the drawing shows; the time from the tap to
the wall that shows it, and the tap's own answer time. By default all of it for each setup, in
the same run: one server on SQLite without and with a backup folder (``--backup-dir``), and two and
three servers sharing a PostgreSQL behind HAProxy (deploy/haproxy.cfg), the teachers on each server
in turn and each class's students spread over all of them; there the tap comes from the last
server and the teacher's wall is on the first.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import _common

from tests.live_app import GradioHTTP, event_of

FORWARDED = {"MNIST_FORWARDED_HOPS": "1"}


def address(n: int) -> dict:
    return {"x-forwarded-for": f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"}


def start_classes(http: GradioHTTP, count: int, first: int = 0) -> list[dict]:
    """``count`` classes, each started by a teacher's page of its own (from addresses of their
    own, from ``first`` on): their keys."""
    keys = []
    for n in range(first, first + count):
        session = f"bench-teacher-{n}-{time.monotonic_ns()}"
        start = event_of(http.open_page("classroom", session), "class-start", "click")  # the page's own event
        completed = http.event(start["id"], [""], start["trigger"], session, headers=address(n))
        keys.append(completed["output"]["data"][0])
    return keys


def send_drawings(https: list[GradioHTTP], keys: list[dict], students: int, drawings: int, pads: list[str]) -> dict:
    """Every student of every class sends its drawings (eight at a time), the students of a class
    spread over the servers; counts of answers."""
    meant = event_of(https[0].config(), "meant", "input")
    jobs = [(c, s, d) for d in range(drawings) for c in range(len(keys)) for s in range(students)]

    def send(job) -> bool:
        c, s, d = job
        pad = pads[(c + s + d) % len(pads)]
        session = f"student-{c}-{s}"
        data = [pad, str((c + s + d) % 10), keys[c]["code"]]
        http = https[(c * students + s) % len(https)]
        completed = http.event(meant["id"], data, meant["trigger"], session, headers=address(100_000 + c * 1000 + s))
        return "On the class wall" in str(completed["output"]["data"][1])

    with ThreadPoolExecutor(8) as pool:
        sent = list(pool.map(send, jobs))
    return {"drawings_sent": len(sent), "on_walls": sum(sent)}


def wall_latency(projector: GradioHTTP, student: GradioHTTP, key: dict, pads: list[str], count: int) -> dict:
    """Tap (from ``student``'s server) to the teacher's wall (on ``projector``'s) showing it:
    seconds, and the tap's own answer time."""
    session = "bench-projector"
    config = projector.open_page("classroom", session, key)
    filters = event_of(config, "wall-digit", "input")
    meant = event_of(student.config(), "meant", "input")
    shown, answered = [], []
    for n in range(count):
        start = time.perf_counter()
        completed = student.event(
            meant["id"],
            [pads[n % len(pads)], "7", key["code"]],
            meant["trigger"],
            f"timed-{n}",
            headers=address(500_000 + n),
        )
        answered.append(time.perf_counter() - start)
        assert "On the class wall" in str(completed["output"]["data"][1]), completed
        while True:
            grid = projector.event(filters["id"], [-1, "all"], filters["trigger"], session)["output"]["data"][0]
            if f"#{n + 1}<" in grid or grid.count("wall-card") > n:
                break
            time.sleep(0.1)
        shown.append(time.perf_counter() - start)
        time.sleep(0.3)  # a student's pace, under the page's rate
    return {"tap_to_wall": _common.percentiles(shown), "tap_answer": _common.percentiles(answered)}


def run_load(args, pads: list[str], https: list[GradioHTTP], pids: list[int]) -> dict:
    """The classes started (each teacher on a server in turn), every drawing sent, each server's
    memory, then tap to wall with the teacher on the first server and the student on the last."""
    started = [_common.rss_bytes(pid) for pid in pids]
    keys = []
    for c in range(args.classes):
        keys += start_classes(https[c % len(https)], 1, first=c)
    begun = time.perf_counter()
    counts = send_drawings(https, keys, args.students, args.drawings, pads)
    seconds = time.perf_counter() - begun
    held = [_common.rss_bytes(pid) for pid in pids]
    latency = wall_latency(https[0], https[-1], start_classes(https[0], 1, first=args.classes)[0], pads, args.latency)
    return {**counts, "seconds": seconds, "rss_start": max(started), "rss_held": max(held), **latency}


@contextmanager
def setup(name: str, env: dict) -> Iterator[tuple[list[GradioHTTP], list[int]]]:
    """One server on SQLite ("sqlite", "sqlite+backup"), or N servers on PostgreSQL behind HAProxy
    ("postgres-N"): a client for each server (HAProxy's cookie naming it), and the servers' pids."""
    from tests.postgres_server import postgres_server
    from tests.several_servers import servers_on

    with ExitStack() as stack:
        if name.startswith("postgres-"):
            url = stack.enter_context(postgres_server())
            # Behind HAProxy a student's address is the second from the right of X-Forwarded-For.
            front, apps = stack.enter_context(servers_on(url, int(name.split("-")[1]), {"MNIST_FORWARDED_HOPS": "2"}))
            https = [
                GradioHTTP(front, timeout_s=120, headers={"cookie": f"MNIST_SERVER=app{n}"})
                for n in range(1, len(apps) + 1)
            ]
        else:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-backup-"))
            backup = {"MNIST_BACKUP_DIR": folder if name == "sqlite+backup" else ""}
            apps = [stack.enter_context(_common.serve("app", {**FORWARDED, **env, **backup}))]
            https = [GradioHTTP(apps[0].url, timeout_s=120)]
        yield https, [app.process.pid for app in apps]
        for http in https:
            http.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--classes", type=int, default=50)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--drawings", type=int, default=2)
    parser.add_argument("--latency", type=int, default=40)
    parser.add_argument("--setups", nargs="+", default=list(SETUPS), choices=SETUPS)
    args = parser.parse_args()
    info = _common.machine_info()
    _common.print_machine(info)
    pads = [value for value, _ in _common.pad_values(50)]
    runs = {}
    for name in args.setups:
        with setup(name, {}) as (https, pids):
            runs[name] = figures = run_load(args, pads, https, pids)
        print(f"--- {SETUPS[name]}")
        print(
            f"{args.classes} classes x {args.students} students x {args.drawings} drawings: "
            f"{figures['on_walls']} of {figures['drawings_sent']} on their walls in {figures['seconds']:.0f} s"
        )
        print(
            f"largest server's memory: {_common.mib(figures['rss_start']):.0f} MiB at start, "
            f"{_common.mib(figures['rss_held']):.0f} MiB with every drawing held"
        )
        for key in ("tap_to_wall", "tap_answer"):
            p = figures[key]
            print(f"{key}: p50 {p['p50_ms']:.0f} ms, p95 {p['p95_ms']:.0f} ms, max {p['max_ms']:.0f} ms")
    base = runs.get("sqlite")
    for name, figures in runs.items():
        if base and name != "sqlite":
            ratio = figures["tap_to_wall"]["p50_ms"] / base["tap_to_wall"]["p50_ms"]
            print(f"tap to wall p50, {SETUPS[name]}: {ratio:.2f}x one server on SQLite (same run)")
    print("results:", _common.write_results("many_classes", {"machine": info, **vars(args), "runs": runs}))


SETUPS = {
    "sqlite": "one server, SQLite, no backup folder",
    "sqlite+backup": "one server, SQLite, a backup folder (Litestream)",
    "postgres-2": "two servers on PostgreSQL behind HAProxy",
    "postgres-3": "three servers on PostgreSQL behind HAProxy",
}


if __name__ == "__main__":
    main()
