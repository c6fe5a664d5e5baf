"""A classroom of students hitting the app's raw REST /classify at once, against a no-op floor.

    python benchmarks/classroom.py [--students 100] [--duration 30] [--interval 2] [--rounds 3]
    python benchmarks/classroom.py --smoke        # 10 students, 5 s, one round: small enough for CI

For each server - the app (`python -m demo`) and then benchmarks/noop_server.py (same inputs,
queue concurrency limit and upload limit, but a function that does nothing) - it runs:
  phase 1 "burst"   every student sends one drawing at the same moment
  phase 2 "steady"  each student sends a drawing about every --interval s (uniformly jittered
                    +-50%, random start) for --duration s; requests still running then are
                    awaited (bounded by --timeout)
A request is the full API round trip: upload, call, read the result stream.
Ratios "ours / floor" separate the app's own cost from Gradio's. A p95 on a 2-core machine moves
a lot from run to run (benchmarks/README.md), so --rounds alternates the two servers (ours then floor,
floor then ours, ...) and reports each round's ratios and their median.

Everything runs on loopback, in one asyncio process (httpx.AsyncClient), on the same machine as
the server: on 2 cores the generator competes with the server, so its CPU time is reported too.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

import _common  # noqa: F401  (puts the repository on sys.path)
import httpx
from _common import (
    FILE_META,
    OtherLoad,
    app_concurrency_limit,
    drawn_pngs,
    machine_info,
    parse_env,
    parse_sse_complete,
    percentiles,
    print_machine,
    print_table,
    process_cpu_seconds,
    start_app_with_retries,
    start_noop,
    wait_for_quiet,
    wait_until_up,
    write_results,
)


async def classify(client: httpx.AsyncClient, png: bytes, model: str, session: str) -> dict:
    """One API round trip; never raises: the outcome is in the returned record.

    Each student keeps one session, as a phone's open page does: without a session_hash Gradio
    builds a fresh session state (a config for every component of the app) on every call.
    """
    record = {"start": time.perf_counter(), "ok": False, "error": None}
    try:
        r = await client.post("/gradio_api/upload", files={"files": ("drawing.png", png, "image/png")})
        r.raise_for_status()
        path = r.json()[0]
        record["uploaded"] = time.perf_counter()
        r = await client.post(
            "/gradio_api/call/classify",
            json={"data": [{"path": path, "meta": FILE_META}, model], "session_hash": session},
        )
        r.raise_for_status()
        event_id = r.json()["event_id"]
        record["called"] = time.perf_counter()
        lines = []
        async with client.stream("GET", f"/gradio_api/call/classify/{event_id}") as s:
            s.raise_for_status()
            async for line in s.aiter_lines():
                lines.append(line)
                if line.startswith("data:") and any(l.startswith(("event: complete", "event: error")) for l in lines):
                    break
        event, data = parse_sse_complete(lines)
        record["ok"] = event == "complete"
        if not record["ok"]:
            record["error"] = f"event {event}: {str(data)[:100]}"
    except httpx.TimeoutException:
        record["error"] = "timeout"
    except httpx.HTTPStatusError as error:
        record["error"] = f"HTTP {error.response.status_code}"
    except (httpx.HTTPError, ValueError, KeyError) as error:
        record["error"] = type(error).__name__
    record["end"] = time.perf_counter()
    return record


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
        # Where a request's time went: upload, call (enqueue), and waiting for the result stream.
        "upload": percentiles([r["uploaded"] - r["start"] for r in ok]),
        "wait_result": percentiles([r["end"] - r["called"] for r in ok]),
    }


async def burst(url: str, pngs: list[bytes], students: int, model: str, timeout: float, limits: httpx.Limits) -> dict:
    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
        started = time.perf_counter()
        records = await asyncio.gather(
            *(classify(client, pngs[i % len(pngs)], model, f"student-{i}") for i in range(students))
        )
    return summarise(records, started, "burst")


async def steady(
    url: str,
    pngs: list[bytes],
    students: int,
    model: str,
    timeout: float,
    limits: httpx.Limits,
    duration: float,
    interval: float,
    seed: int,
) -> dict:
    rng = random.Random(seed)
    records: list[dict] = []

    async def student(index: int, client: httpx.AsyncClient, deadline: float) -> None:
        # Students start at random moments, then draw again about every `interval` seconds;
        # a slow answer delays the next drawing (a person waits to see the result).
        await asyncio.sleep(rng.uniform(0, interval))
        n = 0
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            records.append(await classify(client, pngs[(index * 7 + n) % len(pngs)], model, f"student-{index}"))
            n += 1
            pause = interval * rng.uniform(0.5, 1.5) - (time.perf_counter() - t)
            if pause > 0:
                await asyncio.sleep(pause)

    async with httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits) as client:
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


def run_load(server, pngs, args, limits) -> list[dict]:
    rows = []
    for name in ("burst", "steady"):
        cpu0, gen0, t0 = process_cpu_seconds(server.pid), time.process_time(), time.perf_counter()
        load = OtherLoad([server.pid])
        if name == "burst":
            row = asyncio.run(burst(server.url, pngs, args.students, args.model, args.timeout, limits))
        else:
            row = asyncio.run(
                steady(
                    server.url,
                    pngs,
                    args.students,
                    args.model,
                    args.timeout,
                    limits,
                    args.duration,
                    args.interval,
                    args.seed,
                )
            )
        wall = time.perf_counter() - t0
        server_cpu = process_cpu_seconds(server.pid) - cpu0
        row["server_cpu_s"] = server_cpu
        row["server_cpu_ms_per_ok"] = 1000 * server_cpu / max(row["ok"], 1)
        row["server_cpu_utilisation"] = server_cpu / wall  # 2.0 would be both cores flat out
        row["generator_cpu_s"] = time.process_time() - gen0
        row["other_cores_busy"] = load.cores_used_by_others()
        rows.append(row)
        print(f"  {name}: {row['ok']}/{row['sent']} ok in {row['elapsed_s']:.1f} s", flush=True)
        time.sleep(1)  # let the server settle between phases
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30.0, help="steady phase length in s (default 30)")
    parser.add_argument("--interval", type=float, default=2.0, help="mean seconds between a student's drawings")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in s (default 60)")
    parser.add_argument("--model", default="mlp", choices=["softmax", "mlp"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--concurrency-limit", type=int, help="the floor server's queue limit (default: read from demo/app.py)"
    )
    parser.add_argument(
        "--app-env",
        action="append",
        metavar="KEY=VALUE",
        help="environment for the app server only, e.g. OMP_NUM_THREADS=1 (repeatable)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (ours, floor), alternating (default 3)")
    parser.add_argument(
        "--smoke", action="store_true", help="10 students, 5 s, 20 s timeout, one round: a quick bounded check"
    )
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    args = parser.parse_args(argv)
    if not args.no_wait:
        wait_for_quiet()
    if args.smoke:
        args.students, args.duration, args.timeout, args.rounds = 10, 5.0, 20.0, 1
    for name in ("students", "duration", "interval", "timeout", "rounds"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive")
    limit = args.concurrency_limit or app_concurrency_limit()

    pngs = [png for png, _ in drawn_pngs(50)]
    # Room for every student's upload and result stream at once: a browser each would have them.
    limits = httpx.Limits(max_connections=2 * args.students + 10, max_keepalive_connections=2 * args.students + 10)
    print(
        f"{args.students} students, burst then {args.duration:g} s at one drawing per ~{args.interval:g} s each "
        f"(offered {args.students / args.interval:.0f} req/s); queue concurrency limit {limit}"
        + (f"; app env {parse_env(args.app_env)}" if args.app_env else ""),
        flush=True,
    )

    rounds: list[dict[str, list[dict]]] = []
    info = None
    for number in range(1, args.rounds + 1):
        results = {}
        # ABBA: the server that goes first alternates, so neither always gets the fresher machine.
        for label in ("ours", "floor") if number % 2 else ("floor", "ours"):
            server = start_app_with_retries(env=parse_env(args.app_env)) if label == "ours" else start_noop(limit)
            try:
                wait_until_up(server)
                if info is None:
                    info = machine_info("server: see app")
                    print_machine(info)
                # Warm-up: first requests pay for lazy imports and caches on the server.
                asyncio.run(burst(server.url, pngs, 5, args.model, args.timeout, limits))
                print(f"round {number}, {label} ({server.url}):", flush=True)
                results[label] = run_load(server, pngs, args, limits)
            finally:
                server.stop()
        rounds.append(results)

    rows = []
    for number, results in enumerate(rounds, 1):
        for label in ("ours", "floor"):
            for p in results[label]:
                rows.append(
                    {
                        "round": number,
                        "server": label,
                        "phase": p["phase"],
                        "sent": p["sent"],
                        "ok": p["ok"],
                        "errors": p["errors"],
                        "rps": p["throughput_rps"],
                        "p50_ms": p["latency"]["p50_ms"],
                        "p95_ms": p["latency"]["p95_ms"],
                        "max_ms": p["latency"]["max_ms"],
                        "upload_p95_ms": p["upload"]["p95_ms"],
                        "srv_cpu_ms/req": p["server_cpu_ms_per_ok"],
                        "srv_cpu_util": p["server_cpu_utilisation"],
                        "gen_cpu_s": p["generator_cpu_s"],
                        "others_cores": p["other_cores_busy"],
                    }
                )
    print()
    print_table(
        rows,
        [
            "round",
            "server",
            "phase",
            "sent",
            "ok",
            "errors",
            "rps",
            "p50_ms",
            "p95_ms",
            "max_ms",
            "upload_p95_ms",
            "srv_cpu_ms/req",
            "srv_cpu_util",
            "gen_cpu_s",
            "others_cores",
        ],
    )
    ratios = {}
    for phase_index, phase in enumerate(("burst", "steady")):
        per_round = []
        for results in rounds:
            ours, floor = results["ours"][phase_index], results["floor"][phase_index]
            per_round.append(
                {
                    "throughput_ours_over_floor": ours["throughput_rps"] / max(floor["throughput_rps"], 1e-9),
                    "p95_ours_over_floor": (ours["latency"]["p95_ms"] or 0)
                    / max(floor["latency"]["p95_ms"] or 1e-9, 1e-9),
                    "errors_ours": ours["errors"],
                    "errors_floor": floor["errors"],
                    "error_kinds": [ours["error_kinds"], floor["error_kinds"]],
                }
            )
        median = {
            key: statistics.median(r[key] for r in per_round)
            for key in ("throughput_ours_over_floor", "p95_ours_over_floor")
        }
        errors = sum(r["errors_ours"] for r in per_round), sum(r["errors_floor"] for r in per_round)
        ratios[phase] = {"rounds": per_round, "median": median, "errors_ours": errors[0], "errors_floor": errors[1]}
        each = ", ".join(f"{r['throughput_ours_over_floor']:.2f}/{r['p95_ours_over_floor']:.2f}" for r in per_round)
        print(
            f"{phase}: throughput ours/floor {median['throughput_ours_over_floor']:.2f}, p95 ours/floor "
            f"{median['p95_ours_over_floor']:.2f} (median of {len(per_round)} rounds; each round throughput/p95: {each}); "
            f"errors ours {errors[0]} floor {errors[1]}"
            + (f" ({[r['error_kinds'] for r in per_round]})" if any(errors) else "")
        )
    write_results(
        ("classroom-smoke" if args.smoke else "classroom") + ("-env" if args.app_env else ""),
        {
            "machine": info,
            "students": args.students,
            "duration_s": args.duration,
            "interval_s": args.interval,
            "model": args.model,
            "concurrency_limit": limit,
            "app_env": parse_env(args.app_env),
            "rounds": rounds,
            "ratios": ratios,
        },
    )
    # Figures are reported, never asserted; a request that failed is a fault, not a figure.
    if any(r["errors_ours"] for r in ratios.values()):
        raise SystemExit("the app answered some requests with errors (see above)")


if __name__ == "__main__":
    main()
