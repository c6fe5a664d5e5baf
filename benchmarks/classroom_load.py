"""A classroom of students drawing at once, against the app and a no-op floor in the same run.

    python benchmarks/classroom_load.py [--students 100] [--duration 30] [--interval 2] [--rounds 3]
                                        [--path api|pad|both] [--servers app,floor]
    python benchmarks/classroom_load.py --smoke   # 10 students, 2 s, one round: small enough for CI

Each student sends drawings by one of two paths (--path; "both" runs each in turn): "api", the
public API as a script calls it, or "pad", the drawing page's own event as the browser sends it
on every stroke (benchmarks/students.py says what each request is).
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
import statistics
import time

import _common  # noqa: F401  (puts the repository on sys.path)
from _common import (
    SERVERS,
    OtherLoad,
    cpu_seconds,
    drawn_pngs,
    machine_info,
    pad_values,
    parse_env,
    print_machine,
    print_table,
    serve,
    wait_for_quiet,
    write_results,
)
from students import PATHS, Drawings, Target, burst, steady, target, warm_up

# rounds[round][server][path]: the phases' summaries, burst then steady.
Rounds = list[dict[str, dict[str, list[dict]]]]


def build_parser() -> argparse.ArgumentParser:
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
    return parser


def parse_args(argv: list[str] | None) -> tuple[argparse.Namespace, list[str], list[str]]:
    """The flags, with --smoke's sizes applied, and the servers and paths they name."""
    parser = build_parser()
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
    return args, servers, paths


def run_load(where: Target, pid: int, drawings: Drawings, path: str, args) -> list[dict]:
    """Both phases against one server by one path, each with the server's and the generator's CPU
    time and what other processes kept busy meanwhile."""
    rows = []
    for phase in ("burst", "steady"):
        cpu0, gen0, t0 = cpu_seconds(pid), time.process_time(), time.perf_counter()
        load = OtherLoad([pid])
        if phase == "burst":
            row = asyncio.run(burst(where, drawings, path, args.students, args.timeout))
        else:
            row = asyncio.run(
                steady(
                    where,
                    drawings,
                    path,
                    students=args.students,
                    timeout=args.timeout,
                    duration=args.duration,
                    interval=args.interval,
                    seed=args.seed,
                )
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


def run_rounds(args, servers: list[str], paths: list[str], env: dict, drawings: Drawings) -> tuple[Rounds, dict]:
    """Every server in turn, each freshly started, for --rounds; returns the rounds and the
    machine's description, taken (and printed) once the first server is up."""
    rounds: Rounds = []
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
    return rounds, info


def print_phases(rounds: Rounds, servers: list[str], paths: list[str]) -> None:
    """One table row per round, server, path and phase."""
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


def ratios_to_floor(rounds: Rounds, servers: list[str], paths: list[str]) -> dict:
    """Each other server's throughput and p95 over the floor's, per round and their median; printed
    and returned. Empty when the floor did not run."""
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
    return ratios


def count_errors(rounds: Rounds, servers: list[str], paths: list[str]) -> dict[str, int]:
    """Failed requests per server over all rounds, printed with their kinds."""
    errors = {
        label: sum(p["errors"] for results in rounds for path in paths for p in results[label][path])
        for label in servers
    }
    kinds = {
        label: [p["error_kinds"] for results in rounds for path in paths for p in results[label][path] if p["errors"]]
        for label in servers
    }
    print("errors: " + ", ".join(f"{label} {n}" + (f" {kinds[label]}" if n else "") for label, n in errors.items()))
    return errors


def main(argv: list[str] | None = None) -> None:
    args, servers, paths = parse_args(argv)
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
    rounds, info = run_rounds(args, servers, paths, env, drawings)
    print_phases(rounds, servers, paths)
    ratios = ratios_to_floor(rounds, servers, paths)
    errors = count_errors(rounds, servers, paths)
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
