"""A classroom of students drawing at once, against the app and a no-op floor in the same run.

    python benchmarks/classroom.py [--students 100] [--duration 30] [--interval 2] [--rounds 3]
                                   [--path api|pad|both] [--servers app,floor]
    python benchmarks/classroom.py --smoke      # 10 students, 2 s, one round: small enough for CI

Each student sends drawings by one of two paths (--path; "both" runs each in turn):
  api   the public API as a script calls it: POST /gradio_api/upload, POST
        /gradio_api/call/classify, read the result stream
  pad   the drawing page's own event as the browser sends it on every stroke: POST
        /gradio_api/queue/join with the pad's value (a PNG data URL) and the model, fn_index and
        trigger_id from the page's /config, then read /gradio_api/queue/data until
        process_completed
For each server (--servers: "app" is `python -m demo`, "floor" benchmarks/floor.py, the drawing
page built by its own builder with a classifier that does nothing) and each path it runs:
  burst   every student sends one drawing at the same moment
  steady  each student sends a drawing about every --interval s (uniformly jittered +-50%,
          random start) for --duration s; requests still running then are awaited (bounded by
          --timeout)
The app's throughput and p95 are reported as ratios to the floor's. A p95 on a 2-core machine
moves a lot from run to run,
so --rounds runs the servers in turns (the order reversed every other round) and reports each
round's ratios and their median.

Everything runs on loopback, in one asyncio process (httpx.AsyncClient), on the same machine as
the server: on 2 cores the generator competes with the server, so its CPU time is reported too.
Exits non-zero only if a server answered some request with an error.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import struct
import time
import zlib
from dataclasses import dataclass, field

import _common  # noqa: F401  (puts the repository on sys.path)
import httpx
from _common import (
    SERVERS,
    OtherLoad,
    cpu_seconds,
    drawn_pngs,
    machine_info,
    pad_values,
    parse_env,
    percentiles,
    print_machine,
    print_table,
    serve,
    wait_for_quiet,
    write_results,
)

from tests.live_app import file_data, pad_event, read_call_stream

PATHS = ("api", "pad")


@dataclass
class Drawings:
    """What the students send: PNG files for the API, the pad's data URLs for the page's event."""

    pngs: list[bytes]
    urls: list[str]
    model: str = "mlp"
    uploads: itertools.count = field(default_factory=itertools.count)

    def png(self, index: int) -> bytes:
        """A drawing to upload, different from every earlier one: Gradio stores uploads by content
        hash, so a repeated file would flatter its upload cache. The PNG gets a text chunk with a
        serial number before its end chunk (the last 12 bytes); the picture stays the same."""
        png = self.pngs[index % len(self.pngs)]
        text = b"tEXt" + b"serial\0" + str(next(self.uploads)).encode()
        chunk = struct.pack(">I", len(text) - 4) + text + struct.pack(">I", zlib.crc32(text))
        return png[:-12] + chunk + png[-12:]


@dataclass
class Target:
    url: str
    fn_index: int
    trigger_id: int


def target(url: str) -> Target:
    config = httpx.get(url + "config", timeout=30).raise_for_status().json()
    return Target(url, *pad_event(config))


async def api_request(client: httpx.AsyncClient, png: bytes, model: str, session: str) -> dict:
    """One API round trip; never raises: the outcome is in the returned record.

    Each student keeps one session, as a phone's open page does: without a session_hash Gradio
    builds a fresh session state (a config for every component of the app) on every call.
    """
    record = {"start": time.perf_counter(), "ok": False, "error": None}
    try:
        r = await client.post("/gradio_api/upload", files={"files": ("drawing.png", png, "image/png")})
        r.raise_for_status()
        path = r.json()[0]
        record["sent"] = time.perf_counter()
        r = await client.post(
            "/gradio_api/call/classify",
            json={"data": [file_data(path), model], "session_hash": session},
        )
        r.raise_for_status()
        event_id = r.json()["event_id"]
        lines = []
        async with client.stream("GET", f"/gradio_api/call/classify/{event_id}") as s:
            s.raise_for_status()
            async for line in s.aiter_lines():
                lines.append(line)
                if line.startswith("data:") and any(l.startswith(("event: complete", "event: error")) for l in lines):
                    break
        event, data = read_call_stream(lines)
        record["ok"] = event == "complete"
        if not record["ok"]:
            record["error"] = f"event {event}: {str(data)[:100]}"
    except httpx.TimeoutException:
        record["error"] = "timeout"
    except httpx.HTTPStatusError as error:
        record["error"] = f"HTTP {error.response.status_code}"
    except (httpx.HTTPError, ValueError, KeyError, IndexError) as error:
        record["error"] = type(error).__name__
    record["end"] = time.perf_counter()
    return record


async def pad_request(client: httpx.AsyncClient, where: Target, value: str, model: str, session: str) -> dict:
    """One stroke's event as the drawing page sends it; never raises."""
    record = {"start": time.perf_counter(), "ok": False, "error": None}
    try:
        r = await client.post(
            "/gradio_api/queue/join",
            json={
                "data": [value, model],
                "event_data": None,
                "fn_index": where.fn_index,
                "trigger_id": where.trigger_id,
                "session_hash": session,
            },
        )
        r.raise_for_status()
        event_id = r.json()["event_id"]
        record["sent"] = time.perf_counter()
        async with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as s:
            s.raise_for_status()
            async for line in s.aiter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed" and message.get("event_id") == event_id:
                    record["ok"] = bool(message.get("success"))
                    if not record["ok"]:
                        record["error"] = f"failed: {str(message.get('output'))[:100]}"
                    break
            else:
                record["error"] = "stream ended"
    except httpx.TimeoutException:
        record["error"] = "timeout"
    except httpx.HTTPStatusError as error:
        record["error"] = f"HTTP {error.response.status_code}"
    except (httpx.HTTPError, ValueError, KeyError) as error:
        record["error"] = type(error).__name__
    record["end"] = time.perf_counter()
    return record


def request(client, where: Target, drawings: Drawings, path: str, student: int, n: int):
    """Student ``student``'s ``n``-th drawing by ``path`` ("mixed": API and pad in turn)."""
    if path == "mixed":
        path = PATHS[(student + n) % 2]
    session = f"student-{student}"
    index = student * 7 + n
    if path == "api":
        return api_request(client, drawings.png(index), drawings.model, session)
    return pad_request(client, where, drawings.urls[index % len(drawings.urls)], drawings.model, session)


def summarise(records: list[dict], started: float, label: str) -> dict:
    ok = [r for r in records if r["ok"]]
    errors: dict[str, int] = {}
    for r in records:
        if not r["ok"]:
            errors[r["error"]] = errors.get(r["error"], 0) + 1
    finished = max((r["end"] for r in records), default=started)
    elapsed = max(finished - started, 1e-9)
    return {
        "phase": label,
        "sent": len(records),
        "ok": len(ok),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "elapsed_s": elapsed,
        "throughput_rps": len(ok) / elapsed,
        "latency": percentiles([r["end"] - r["start"] for r in ok]),
        # Where a request's time went: sending the drawing (the upload, or the queue join), and the rest.
        "send": percentiles([r["sent"] - r["start"] for r in ok]),
        "wait_result": percentiles([r["end"] - r["sent"] for r in ok]),
    }


def client_for(where: Target, students: int, timeout: float) -> httpx.AsyncClient:
    # Room for every student's request and result stream at once: a browser each would have them.
    limits = httpx.Limits(max_connections=2 * students + 10, max_keepalive_connections=2 * students + 10)
    return httpx.AsyncClient(base_url=where.url, timeout=timeout, limits=limits)


async def burst(where: Target, drawings: Drawings, path: str, students: int, timeout: float) -> dict:
    async with client_for(where, students, timeout) as client:
        started = time.perf_counter()
        records = await asyncio.gather(*(request(client, where, drawings, path, i, 0) for i in range(students)))
    return summarise(records, started, "burst")


async def steady(
    where: Target,
    drawings: Drawings,
    path: str,
    students: int,
    timeout: float,
    duration: float,
    interval: float,
    seed: int,
    records: list[dict] | None = None,
) -> dict:
    rng = random.Random(seed)
    records = [] if records is None else records

    async def student(index: int, client: httpx.AsyncClient, deadline: float) -> None:
        # Students start at random moments, then draw again about every `interval` seconds;
        # a slow answer delays the next drawing (a person waits to see the result).
        await asyncio.sleep(min(rng.uniform(0, interval), duration))
        n = 0
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            records.append(await request(client, where, drawings, path, index, n))
            n += 1
            pause = interval * rng.uniform(0.5, 1.5) - (time.perf_counter() - t)
            if pause > 0:
                await asyncio.sleep(min(pause, max(deadline - time.perf_counter(), 0)))

    async with client_for(where, students, timeout) as client:
        started = time.perf_counter()
        deadline = started + duration
        tasks = [asyncio.create_task(student(i, client, deadline)) for i in range(students)]
        # Hard bound: whatever is still running after duration + timeout is cancelled.
        _done, pending = await asyncio.wait(tasks, timeout=duration + timeout + 5)
        for task in pending:
            task.cancel()
    summary = summarise(records, started, "steady")
    summary["offered_rps"] = students / interval
    summary["cancelled_students"] = len(pending)
    return summary


def run_load(where: Target, pid: int, drawings: Drawings, path: str, args) -> list[dict]:
    rows = []
    for phase in ("burst", "steady"):
        cpu0, gen0, t0 = cpu_seconds(pid), time.process_time(), time.perf_counter()
        load = OtherLoad([pid])
        if phase == "burst":
            row = asyncio.run(burst(where, drawings, path, args.students, args.timeout))
        else:
            row = asyncio.run(
                steady(where, drawings, path, args.students, args.timeout, args.duration, args.interval, args.seed)
            )
        wall = time.perf_counter() - t0
        server_cpu = cpu_seconds(pid) - cpu0
        row["path"] = path
        row["server_cpu_s"] = server_cpu
        row["server_cpu_ms_per_ok"] = 1000 * server_cpu / max(row["ok"], 1)
        row["server_cpu_utilisation"] = server_cpu / wall  # 2.0 would be both cores flat out
        row["generator_cpu_s"] = time.process_time() - gen0
        row["other_cores_busy"] = load.cores_used_by_others()
        rows.append(row)
        print(f"  {path} {phase}: {row['ok']}/{row['sent']} ok in {row['elapsed_s']:.1f} s", flush=True)
        time.sleep(args.settle)  # let the server settle between phases
    return rows


def warm_up(where: Target, drawings: Drawings, timeout: float) -> None:
    """First requests pay for lazy imports and caches on the server: a few by each path, unmeasured."""
    for path in PATHS:
        asyncio.run(burst(where, drawings, path, 5, timeout))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30.0, help="steady phase length in s (default 30)")
    parser.add_argument("--interval", type=float, default=2.0, help="mean seconds between a student's drawings")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in s (default 60)")
    parser.add_argument("--model", default="mlp", choices=["softmax", "mlp"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--path", default="both", choices=[*PATHS, "both"], help="api, pad or both (default)")
    parser.add_argument(
        "--servers",
        default="app,floor",
        help=f"comma-separated, from {', '.join(SERVERS)} (default app,floor); ratios are to the floor",
    )
    parser.add_argument(
        "--app-env",
        action="append",
        metavar="KEY=VALUE",
        help="environment for the servers, e.g. OMP_NUM_THREADS=1 (repeatable)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the servers in turn (default 3)")
    parser.add_argument(
        "--smoke", action="store_true", help="10 students, 2 s, 20 s timeout, one round, no waiting: a quick check"
    )
    parser.add_argument("--settle", type=float, default=1.0, help="pause in s between phases (default 1)")
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    args = parser.parse_args(argv)
    if args.smoke:
        args.students, args.duration, args.timeout, args.rounds, args.no_wait = 10, 2.0, 20.0, 1, True
        args.settle = 0.2
    for name in ("students", "duration", "interval", "timeout", "rounds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive")
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not servers or any(s not in SERVERS for s in servers) or len(set(servers)) != len(servers):
        parser.error(f"--servers takes distinct names from {', '.join(SERVERS)}")
    paths = list(PATHS) if args.path == "both" else [args.path]
    env = parse_env(args.app_env)
    if not args.no_wait:
        wait_for_quiet()

    drawings = Drawings([png for png, _ in drawn_pngs(50)], [url for url, _ in pad_values(50)], args.model)
    print(
        f"{args.students} students, burst then {args.duration:g} s at one drawing per ~{args.interval:g} s each "
        f"(offered {args.students / args.interval:.0f} req/s); paths {', '.join(paths)}; servers {', '.join(servers)}"
        + (f"; server env {env}" if env else ""),
        flush=True,
    )

    rounds: list[dict[str, dict[str, list[dict]]]] = []
    info = None
    for number in range(1, args.rounds + 1):
        results: dict[str, dict[str, list[dict]]] = {}
        # The order reverses every other round, so no server always gets the fresher machine.
        for label in servers if number % 2 else servers[::-1]:
            with serve(label, env) as app:
                if info is None:
                    info = machine_info("server: see app")
                    print_machine(info)
                where = target(app.url)
                warm_up(where, drawings, args.timeout)
                print(f"round {number}, {label} ({app.url}):", flush=True)
                results[label] = {path: run_load(where, app.process.pid, drawings, path, args) for path in paths}
        rounds.append(results)

    rows = []
    for number, results in enumerate(rounds, 1):
        for label in servers:
            for path in paths:
                for p in results[label][path]:
                    rows.append(
                        {
                            "round": number,
                            "server": label,
                            "path": path,
                            "phase": p["phase"],
                            "sent": p["sent"],
                            "ok": p["ok"],
                            "errors": p["errors"],
                            "rps": p["throughput_rps"],
                            "p50_ms": p["latency"]["p50_ms"],
                            "p95_ms": p["latency"]["p95_ms"],
                            "max_ms": p["latency"]["max_ms"],
                            "send_p95_ms": p["send"]["p95_ms"],
                            "srv_cpu_ms/req": p["server_cpu_ms_per_ok"],
                            "srv_cpu_util": p["server_cpu_utilisation"],
                            "gen_cpu_s": p["generator_cpu_s"],
                            "others_cores": p["other_cores_busy"],
                        }
                    )
    print()
    print_table(rows, list(rows[0]))

    # Each server against the floor; and the model on the event loop against it in a worker thread.
    pairs = [(label, "floor") for label in servers if label != "floor" and "floor" in servers]
    ratios = {}
    if pairs:
        print()
        for label, base in pairs:
            for path in paths:
                for phase_index, phase in enumerate(("burst", "steady")):
                    per_round = []
                    for results in rounds:
                        ours, other = results[label][path][phase_index], results[base][path][phase_index]
                        per_round.append(
                            {
                                "throughput_ratio": ours["throughput_rps"] / max(other["throughput_rps"], 1e-9),
                                "p95_ratio": (ours["latency"]["p95_ms"] or 0)
                                / max(other["latency"]["p95_ms"] or 1e-9, 1e-9),
                            }
                        )
                    median = {key: statistics.median(r[key] for r in per_round) for key in per_round[0]}
                    ratios[f"{label}/{base} {path} {phase}"] = {"rounds": per_round, "median": median}
                    each = ", ".join(f"{r['throughput_ratio']:.2f}/{r['p95_ratio']:.2f}" for r in per_round)
                    print(
                        f"{label} / {base}, {path} {phase}: throughput {median['throughput_ratio']:.2f}, "
                        f"p95 {median['p95_ratio']:.2f} (median of {len(per_round)} rounds; "
                        f"each round throughput/p95: {each})"
                    )
    errors = {
        label: sum(p["errors"] for results in rounds for path in paths for p in results[label][path])
        for label in servers
    }
    kinds = {
        label: [p["error_kinds"] for results in rounds for path in paths for p in results[label][path] if p["errors"]]
        for label in servers
    }
    print("errors: " + ", ".join(f"{label} {n}" + (f" {kinds[label]}" if n else "") for label, n in errors.items()))
    write_results(
        ("classroom-smoke" if args.smoke else "classroom") + ("-env" if env else ""),
        {
            "machine": info,
            "students": args.students,
            "duration_s": args.duration,
            "interval_s": args.interval,
            "model": args.model,
            "paths": paths,
            "servers": servers,
            "server_env": env,
            "rounds": rounds,
            "ratios": ratios,
            "errors": errors,
        },
    )
    # Figures are reported, never asserted; a request that failed is a fault, not a figure.
    if any(errors.values()):
        raise SystemExit("some requests were answered with errors (see above)")


if __name__ == "__main__":
    main()
