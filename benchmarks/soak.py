"""The app's memory and upload cache under a long classroom load.

    python benchmarks/soak.py [--minutes 10] [--students 100] [--interval 2] [--path mixed]

Starts `python -m demo` on a free loopback port with an upload folder of its own
($GRADIO_TEMP_DIR), warms it up (a few requests by each path, then a burst of every student by
each path), and records the resident memory of the whole app (the server process and any
children, psutil) and the size and file count of its upload folder. It then runs the classroom
load's steady phase (students.py) for --minutes (each student sends a drawing about every
--interval s; by default by the API and the pad's event in turn, --path), sampling memory and the
folder every --sample s, and reports both at the end, the growth of memory over the soak, and the
requests' outcome.

Every API upload is a distinct file, as students' drawings are; the app deletes uploads older than
30 minutes every 10 minutes (delete_cache in demo/app.py), so a soak shorter than 30 minutes shows
the folder's growth, not its clean-up. Exits non-zero only if the app answered some request with
an error.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass

import _common  # noqa: F401  (puts the repository on sys.path)
from _common import (
    cpu_seconds,
    drawn_pngs,
    family,
    folder_size,
    machine_info,
    mib,
    pad_values,
    print_machine,
    print_table,
    rss_bytes,
    serve,
    wait_for_quiet,
    write_results,
)
from students import PATHS, Drawings, burst, steady, target, warm_up


def sample(pid: int, uploads: str, since: float) -> dict:
    size, files = folder_size(uploads)
    return {
        "t_s": time.perf_counter() - since,
        "rss_mib": mib(rss_bytes(pid)),
        "cache_mib": mib(size),
        "cache_files": files,
    }


async def soak(where, drawings, args, pid: int, uploads: str, started: float) -> tuple[dict, list[dict]]:
    """The steady load for the soak's length, with a sample every ``args.sample`` s alongside."""
    samples: list[dict] = []
    records: list[dict] = []
    load = asyncio.create_task(
        steady(
            where,
            drawings,
            args.path,
            students=args.students,
            timeout=args.timeout,
            duration=args.minutes * 60,
            interval=args.interval,
            seed=0,
            records=records,
        )
    )
    while not load.done():
        await asyncio.wait([load], timeout=args.sample)
        if not load.done():
            samples.append(await asyncio.to_thread(sample, pid, uploads, started))
            last = samples[-1]
            print(
                f"  {last['t_s']:5.0f} s: {len(records)} requests, RSS {last['rss_mib']:.0f} MiB, "
                f"upload cache {last['cache_mib']:.1f} MiB in {last['cache_files']} files",
                flush=True,
            )
    return load.result(), samples


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="length of the soak (default 10)")
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--interval", type=float, default=2.0, help="mean seconds between a student's drawings")
    parser.add_argument("--timeout", type=float, default=60.0, help="per-request timeout in s (default 60)")
    parser.add_argument("--path", default="mixed", choices=[*PATHS, "mixed"], help="api, pad or mixed (default)")
    parser.add_argument("--model", default="mlp", choices=["softmax", "mlp"])
    parser.add_argument("--sample", type=float, default=30.0, help="seconds between memory samples (default 30)")
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    args = parser.parse_args(argv)
    for name in ("minutes", "students", "interval", "timeout", "sample"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name} must be positive")
    return args


@dataclass
class Soaked:
    """What one soak measured: the app's memory and upload folder after warm-up, during the soak
    and at its end, and the requests' summary."""

    info: dict
    warm: dict
    samples: list[dict]
    end: dict
    requests: dict
    server_cpu_s: float
    processes: int

    @property
    def rss_growth(self) -> float:
        return (self.end["rss_mib"] - self.warm["rss_mib"]) / self.warm["rss_mib"]

    @property
    def server_cpu_ms_per_request(self) -> float:
        return 1000 * self.server_cpu_s / max(self.requests["ok"], 1)


def run_soak(args, drawings: Drawings) -> Soaked:
    """Start the app with an upload folder of its own, warm it up, and soak it."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-soak-uploads-", ignore_cleanup_errors=True) as uploads,
        serve("app", {"GRADIO_TEMP_DIR": uploads}) as app,
    ):
        pid = app.process.pid
        info = machine_info("server: see app")
        print_machine(info)
        where = target(app.url)
        warm_up(where, drawings, args.timeout)
        for path in PATHS:
            asyncio.run(burst(where, drawings, path, args.students, args.timeout))
        started = time.perf_counter()  # times below are from here
        warm = sample(pid, uploads, started)
        print(
            f"after warm-up: RSS {warm['rss_mib']:.0f} MiB, upload cache {warm['cache_mib']:.1f} MiB in {warm['cache_files']} files; "
            f"soaking {args.minutes:g} min with {args.students} students, {args.path}",
            flush=True,
        )
        cpu0 = cpu_seconds(pid)
        summary, samples = asyncio.run(soak(where, drawings, args, pid, uploads, started))
        end = sample(pid, uploads, started)
        server_cpu = cpu_seconds(pid) - cpu0
        processes = len(family(pid))
    return Soaked(info, warm, samples, end, summary, server_cpu, processes)


def report(args, soaked: Soaked) -> None:
    warm, samples, end, summary = soaked.warm, soaked.samples, soaked.end, soaked.requests
    processes = soaked.processes
    print()
    print_table(
        [{"when": "after warm-up", **warm}, *({"when": "soak", **s} for s in samples), {"when": "end", **end}],
        ["when", "t_s", "rss_mib", "cache_mib", "cache_files"],
    )
    print(
        f"\nthe whole app ({processes} process{'es' if processes > 1 else ''}): RSS {warm['rss_mib']:.0f} MiB after "
        f"warm-up, {end['rss_mib']:.0f} MiB after the {args.minutes:g}-minute soak "
        f"(peak sample {max(s['rss_mib'] for s in [warm, *samples, end]):.0f} MiB); growth {soaked.rss_growth:+.1%}"
    )
    print(f"upload cache ($GRADIO_TEMP_DIR): {end['cache_mib']:.1f} MiB in {end['cache_files']} files at the end")
    latency = summary["latency"]
    print(
        f"requests: {summary['ok']}/{summary['sent']} ok, {summary['errors']} errors{' ' + str(summary['error_kinds']) if summary['errors'] else ''}, "
        f"{summary['throughput_rps']:.1f}/s, p50 {latency['p50_ms'] or 0:.0f} ms, p95 {latency['p95_ms'] or 0:.0f} ms; "
        f"server CPU {soaked.server_cpu_ms_per_request:.1f} ms per request"
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not args.no_wait:
        wait_for_quiet()
    drawings = Drawings([png for png, _ in drawn_pngs(50)], [url for url, _ in pad_values(50)], args.model)
    soaked = run_soak(args, drawings)
    report(args, soaked)
    write_results(
        "soak",
        {
            "machine": soaked.info,
            "minutes": args.minutes,
            "students": args.students,
            "interval_s": args.interval,
            "path": args.path,
            "processes": soaked.processes,
            "after_warmup": soaked.warm,
            "samples": soaked.samples,
            "end": soaked.end,
            "rss_growth": soaked.rss_growth,
            "requests": soaked.requests,
            "server_cpu_ms_per_request": soaked.server_cpu_ms_per_request,
        },
    )
    if soaked.requests["errors"]:
        raise SystemExit("the app answered some requests with errors (see above)")


if __name__ == "__main__":
    main()
