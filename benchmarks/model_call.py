"""Where the model runs, compared under the classroom's steady load, all in one run.

    python benchmarks/model_call.py [--variants none,loop,process-normal,process] [--rounds 4] [--duration 30]

classroom.py's steady phase (100 students, a drawing every ~2 s each) against the no-op floor
(noop_server.py) and the app's server with its model call placed in each way app_variant.py
offers. The servers take turns, in reversed order every other round, so none always gets the
fresher machine; the table gives each one's p50/p95 per round, server CPU per request, and the
cores other processes kept busy (the model process counts there), then each variant's median
p95 ratio to the floor.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)
import httpx
from _common import (
    OtherLoad,
    Server,
    app_concurrency_limit,
    drawn_pngs,
    free_port,
    machine_info,
    print_machine,
    print_table,
    process_cpu_seconds,
    start_noop,
    wait_for_quiet,
    wait_until_up,
    write_results,
)
from app_variant import VARIANTS
from classroom import burst, steady

HERE = Path(__file__).resolve().parent


def start_variant(name: str) -> Server:
    port = free_port()
    argv = [sys.executable, str(HERE / "app_variant.py"), "--model-call", name, "--host", "127.0.0.1", "--port", str(port)]
    return Server(argv, port, Path("/tmp") / f"bench-variant-{name}-{port}.log")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--variants", default="none,loop,process-normal,process",
                        help=f"comma-separated, from {', '.join(sorted(VARIANTS))}")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--model", default="mlp", choices=["softmax", "mlp"])
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    args = parser.parse_args()
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        parser.error(f"unknown variants {unknown}; choose from {sorted(VARIANTS)}")
    if not args.no_wait:
        wait_for_quiet()
    limit = app_concurrency_limit()
    pngs = [png for png, _ in drawn_pngs(50)]
    limits = httpx.Limits(max_connections=2 * args.students + 10, max_keepalive_connections=2 * args.students + 10)
    info = machine_info("server: see app")
    print_machine(info)
    print(f"{args.students} students, one drawing per ~{args.interval:g} s each for {args.duration:g} s; "
          f"servers: floor, {', '.join(variants)}", flush=True)

    servers = ["floor", *variants]
    rows = []
    for number in range(1, args.rounds + 1):
        for name in servers if number % 2 else servers[::-1]:
            server = start_noop(limit) if name == "floor" else start_variant(name)
            try:
                wait_until_up(server)
                asyncio.run(burst(server.url, pngs, 5, args.model, 60.0, limits))  # warm-up
                time.sleep(1)
                cpu0, load = process_cpu_seconds(server.pid), OtherLoad([server.pid])
                result = asyncio.run(steady(server.url, pngs, args.students, args.model, 60.0, limits,
                                            args.duration, args.interval, number))
                rows.append({"round": number, "server": name, "sent": result["sent"], "ok": result["ok"],
                             "errors": result["errors"], "p50_ms": result["latency"]["p50_ms"],
                             "p95_ms": result["latency"]["p95_ms"], "upload_p95_ms": result["upload"]["p95_ms"],
                             "srv_cpu_ms/req": 1000 * (process_cpu_seconds(server.pid) - cpu0) / max(result["ok"], 1),
                             "others_cores": load.cores_used_by_others()})
                print(f"  round {number} {name}: p95 {rows[-1]['p95_ms']:.1f} ms", flush=True)
            finally:
                server.stop()
    print()
    print_table(rows, ["round", "server", "sent", "ok", "errors", "p50_ms", "p95_ms", "upload_p95_ms",
                       "srv_cpu_ms/req", "others_cores"])
    floor = {r["round"]: r["p95_ms"] for r in rows if r["server"] == "floor"}
    summary = {}
    for name in servers:
        mine = [r for r in rows if r["server"] == name]
        ratios = [r["p95_ms"] / floor[r["round"]] for r in mine]
        summary[name] = {"p95_median_ms": statistics.median(r["p95_ms"] for r in mine),
                         "p95_over_floor_median": statistics.median(ratios), "p95_over_floor": ratios,
                         "errors": sum(r["errors"] for r in mine)}
        print(f"{name:15s} p95 median {summary[name]['p95_median_ms']:6.1f} ms, ours/floor median "
              f"{summary[name]['p95_over_floor_median']:.2f} (rounds: {', '.join(f'{x:.2f}' for x in ratios)}); "
              f"errors {summary[name]['errors']}")
    write_results("model_call", {"machine": info, "students": args.students, "duration_s": args.duration,
                                 "interval_s": args.interval, "rows": rows, "summary": summary})


if __name__ == "__main__":
    main()
