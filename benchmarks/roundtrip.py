"""Round trip of the app's public /classify API, one request at a time, and its cold start.

    python benchmarks/roundtrip.py [-n 200] [--model mlp]

Starts `python -m demo` on a free loopback port and measures:
  cold start   process start -> /config answers -> first successful /classify answer (the
               drawing uploaded and read): what someone who starts the app waits for
  raw HTTP     httpx, one keep-alive connection: POST /gradio_api/upload, POST
               /gradio_api/call/classify, GET the result stream; split into those three phases
  client       gradio_client.Client.predict(handle_file(png), model, api_name="/classify")
  floor        raw HTTP against benchmarks/floor.py (the drawing page's own builder and the
               app's settings, a classifier that does nothing), with and without a session, in
               the same run: the framework's own round trip
  memory       the whole app's resident set size (the process and any children, psutil) after
               warm-up and after the runs
Drawings are distinct synthetic 280x280 PNGs (black ink on white paper).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import _common  # noqa: F401  (puts the repository on sys.path)
import httpx
from _common import (
    OtherLoad,
    classify_raw,
    cpu_seconds,
    drawn_pngs,
    machine_info,
    mib,
    parse_env,
    percentiles,
    print_machine,
    print_table,
    rss_bytes,
    serve,
    wait_for_quiet,
    write_results,
)


def first_answer(app, png: bytes, model: str) -> dict:
    """Seconds from the app's process start to its /config answering (``serve`` waits for that)
    and to its first successful /classify answer."""
    config_s = time.perf_counter() - app.started
    with httpx.Client(base_url=app.url, timeout=30) as client:
        while True:
            try:
                result, _ = classify_raw(client, png, model)
                break
            except (httpx.HTTPError, RuntimeError):
                if app.process.poll() is not None or time.perf_counter() - app.started > 120:
                    raise
                time.sleep(0.05)
    return {
        "until_config_s": config_s,
        "until_first_classify_s": time.perf_counter() - app.started,
        "first_result": result,
    }


def run_raw(url: str, pngs: list[tuple[bytes, int]], n: int, model: str, session: str | None = "benchmark") -> dict:
    phases = {"upload": [], "call": [], "result": [], "total": []}
    correct = 0
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(n):
            png, label = pngs[i % len(pngs)]
            result, times = classify_raw(client, png, model, session=session)
            for key, value in times.items():
                phases[key].append(value)
            correct += result["prediction"] == label
    return {"phases": {k: percentiles(v) for k, v in phases.items()}, "correct": correct, "device": result["device"]}


def run_client(url: str, pngs: list[tuple[bytes, int]], n: int, model: str) -> dict:
    from gradio_client import Client, handle_file

    folder = Path(tempfile.mkdtemp(prefix="bench-roundtrip-"))
    paths = []
    for i, (png, label) in enumerate(pngs):
        path = folder / f"drawing{i}.png"
        path.write_bytes(png)
        paths.append((str(path), label))
    t = time.perf_counter()
    client = Client(url, verbose=False)
    connect_s = time.perf_counter() - t
    samples, correct = [], 0
    for i in range(n):
        path, label = paths[i % len(paths)]
        t = time.perf_counter()
        result = client.predict(handle_file(path), model, api_name="/classify")
        samples.append(time.perf_counter() - t)
        correct += result["prediction"] == label
    client.close() if hasattr(client, "close") else None
    for path, _ in paths:
        Path(path).unlink()
    folder.rmdir()
    return {"total": percentiles(samples), "connect_s": connect_s, "correct": correct}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--requests", type=int, default=200, help="requests per method (default 200)")
    parser.add_argument("--model", default="mlp", choices=["softmax", "mlp"])
    parser.add_argument("--drawings", type=int, default=50, help="distinct drawings cycled through (default 50)")
    parser.add_argument(
        "--app-env",
        action="append",
        metavar="KEY=VALUE",
        help="environment for the app server only, e.g. OMP_NUM_THREADS=1 (repeatable)",
    )
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests before timing (default 10)")
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    return parser.parse_args(argv)


def warm_up(url: str, pngs: list[tuple[bytes, int]], n: int, model: str) -> None:
    """``n`` untimed requests: the first ones pay for lazy imports and caches on the server."""
    with httpx.Client(base_url=url, timeout=30) as client:
        for i in range(n):
            classify_raw(client, pngs[i % len(pngs)][0], model)


def measure_app(args, pngs: list[tuple[bytes, int]]) -> dict:
    """The app's cold start, raw HTTP with and without a session, gradio_client, and its memory."""
    with serve("app", parse_env(args.app_env)) as app:
        pid = app.process.pid
        cold = first_answer(app, pngs[0][0], args.model)
        info = machine_info(f"server: {cold['first_result']['device']}")
        print_machine(info)
        warm_up(app.url, pngs, args.warmup, args.model)
        memory_warm = rss_bytes(pid)
        load, cpu0 = OtherLoad([pid]), cpu_seconds(pid)
        raw = run_raw(app.url, pngs, args.requests, args.model)
        raw["other_cores_busy"] = load.cores_used_by_others()
        # Server CPU per request: the app's whole cost (HTTP, upload, queue, preprocessing, model).
        raw["server_cpu_ms_per_request"] = 1000 * (cpu_seconds(pid) - cpu0) / args.requests
        # The same without a session_hash: every call then builds a fresh Gradio session state.
        fresh = run_raw(app.url, pngs, args.requests, args.model, session=None)
        load = OtherLoad([pid])
        client = run_client(app.url, pngs, args.requests, args.model)
        client["other_cores_busy"] = load.cores_used_by_others()
        memory_after = rss_bytes(pid)
    return {
        "cold": cold,
        "info": info,
        "memory_warm": memory_warm,
        "memory_after": memory_after,
        "raw": raw,
        "fresh": fresh,
        "client": client,
    }


def measure_floor(args, pngs: list[tuple[bytes, int]]) -> tuple[dict, dict]:
    """Raw HTTP against the no-op floor, with and without a session."""
    with serve("floor") as floor_app:
        warm_up(floor_app.url, pngs, args.warmup, args.model)
        cpu0 = cpu_seconds(floor_app.process.pid)
        floor = run_raw(floor_app.url, pngs, args.requests, args.model)
        floor["server_cpu_ms_per_request"] = 1000 * (cpu_seconds(floor_app.process.pid) - cpu0) / args.requests
        floor_fresh = run_raw(floor_app.url, pngs, args.requests, args.model, session=None)
    return floor, floor_fresh


def p50_over(ours: dict, base: dict) -> float:
    """Raw HTTP total p50 of one run over another's."""
    return ours["phases"]["total"]["p50_ms"] / base["phases"]["total"]["p50_ms"]


def report(args, app: dict, floor: dict, floor_fresh: dict) -> None:
    cold, raw, fresh, client = app["cold"], app["raw"], app["fresh"], app["client"]
    print(
        f"\ncold start to the first answer: {cold['until_first_classify_s']:.2f} s from process start "
        f"(/config answered after {cold['until_config_s']:.2f} s)"
    )
    print(
        f"the whole app's resident memory: {mib(app['memory_warm']):.0f} MiB after warm-up, "
        f"{mib(app['memory_after']):.0f} MiB after {3 * args.requests} requests\n"
    )
    rows = [{"method": f"raw HTTP {k}", **v} for k, v in raw["phases"].items()]
    rows.append({"method": "raw HTTP total, no session", **fresh["phases"]["total"]})
    rows.append({"method": "floor: no-op, raw HTTP total", **floor["phases"]["total"]})
    rows.append({"method": "floor: no-op, raw HTTP total, no session", **floor_fresh["phases"]["total"]})
    rows.append({"method": "gradio_client predict", **client["total"]})
    print_table(rows, ["method", "n", "p50_ms", "p95_ms", "mean_ms", "max_ms"])
    print(
        f"gradio_client Client() construction: {client['connect_s'] * 1000:.0f} ms; "
        f"correct predictions: raw {raw['correct']}/{args.requests}, client {client['correct']}/{args.requests}"
    )
    print(
        f"raw HTTP p50: {raw['phases']['total']['p50_ms']:.1f} ms, {p50_over(raw, floor):.2f}x the no-op floor's "
        f"{floor['phases']['total']['p50_ms']:.1f} ms"
    )
    print(
        f"without a session: p50 {fresh['phases']['total']['p50_ms']:.1f} ms, {p50_over(fresh, floor):.2f}x the floor's with one "
        f"({p50_over(fresh, floor_fresh):.2f}x the floor's without)"
    )
    print(
        f"server CPU per raw request: {raw['server_cpu_ms_per_request']:.1f} ms (floor {floor['server_cpu_ms_per_request']:.1f} ms)"
        + (f" (app env {parse_env(args.app_env)})" if args.app_env else "")
    )
    print(
        f"cores kept busy by other processes during the runs: raw {raw['other_cores_busy']:.2f}, "
        f"client {client['other_cores_busy']:.2f}"
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not args.no_wait:
        wait_for_quiet()

    pngs = drawn_pngs(args.drawings)
    print(f"drawing PNGs: {len(pngs)}, {min(len(p) for p, _ in pngs)}-{max(len(p) for p, _ in pngs)} bytes")
    app = measure_app(args, pngs)
    floor, floor_fresh = measure_floor(args, pngs)
    report(args, app, floor, floor_fresh)
    write_results(
        "roundtrip" + ("-env" if args.app_env else ""),
        {
            "app_env": parse_env(args.app_env),
            "machine": app["info"],
            "model": args.model,
            "requests": args.requests,
            "cold_start": {k: v for k, v in app["cold"].items() if k != "first_result"},
            "rss_mib": {"after_warmup": mib(app["memory_warm"]), "after_runs": mib(app["memory_after"])},
            "raw_http": app["raw"],
            "raw_http_no_session": app["fresh"],
            "gradio_client": app["client"],
            "floor_raw_http": floor,
            "floor_raw_http_no_session": floor_fresh,
            "p50_ours_over_floor": p50_over(app["raw"], floor),
            "p50_no_session_over_floor": p50_over(app["fresh"], floor),
        },
    )


if __name__ == "__main__":
    main()
