"""A class using the wall: students drawing and tapping the digit they meant, with and without a
fine-tuning running on the classroom page.

    python benchmarks/classwall.py [--students 100] [--draw-every 2] [--label-every 5] [--duration 30] [--rounds 2]
    python benchmarks/classwall.py --smoke        # 10 students, 8 s a phase

A warm-up (not counted) fills the wall and runs one fine-tuning, so that the server's first
events and its first reading of the MNIST files fall outside both phases.
Each student is one page session calling the page's own events through Gradio's queue (as the
page does): the pad's change event with a drawing about every --draw-every s, and a "what I
meant" tap about every --label-every s (both jittered +-50 %, random start).
  phase 1 "plain"      the load alone
  phase 2 "fine-tune"  the same load while the teacher fine-tunes a copy of the MLP again and again
Rounds of the two phases alternate their order; printed: drawings' p50/p95 per phase, the p95
ratio per round and its median, taps sent and refused, errors (an event that
failed or did not complete; a tap refused for its rate would be counted apart, and should not
happen at these rates), fine-tunings completed. Loopback, one asyncio process, on the server's
machine: on 2 cores the generator competes with the server (its CPU time is printed). Exits non-zero if any drawing or tap failed.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import random
import statistics
import time

import _common  # noqa: F401  (puts the repository on sys.path)
import httpx
from _common import (
    OtherLoad,
    cpu_seconds,
    drawn_pngs,
    machine_info,
    percentiles,
    print_machine,
    print_table,
    serve,
    wait_for_quiet,
    write_results,
)

from tests.live_app import GradioHTTP, event_of, pad_event, start_class

# The table printed: one row a phase.
COLUMNS = [
    "round",
    "phase",
    "n",
    "p50_ms",
    "p95_ms",
    "max_ms",
    "draw_errors",
    "taps_sent",
    "taps_refused",
    "tap_errors",
    "fine_tunings",
    "server_cpu_s",
    "generator_cpu_s",
    "other_cores",
]


class Page:
    """Which fn_index and trigger each event the benchmark calls has: the drawing page's pad and
    "what I meant" row, and the fine-tune button of the classroom page of a class started for
    the benchmark (rendered for the teacher's session)."""

    def __init__(self, http: GradioHTTP) -> None:
        self.key = start_class(http, "teacher")
        self.code = self.key["code"]
        home = http.config()
        classroom = http.open_page("classroom", "teacher", self.key)
        self.pad, self.draw = pad_event(home)[1], pad_event(home)[0]
        meant = event_of(home, "meant", "input")
        self.meant, self.label = meant["trigger"], meant["id"]
        tune = event_of(classroom, "fine-tune", "click")
        self.tune_button, self.tune = tune["trigger"], tune["id"]


def own_address(n: int) -> dict:
    """A student's phone on the school's network: an address of its own."""
    return {"x-forwarded-for": f"10.1.{n // 256 % 256}.{n % 256}"}


async def event(
    client: httpx.AsyncClient, fn_index: int, data: list, trigger: int, session: str, headers: dict | None = None
) -> dict:
    """One event as the page runs it: queue/join, then the session's stream until it completes."""
    body = {"data": data, "fn_index": fn_index, "session_hash": session, "trigger_id": trigger, "event_data": None}
    response = await client.post("/gradio_api/queue/join", json=body, headers=headers)
    response.raise_for_status()
    event_id = response.json()["event_id"]
    async with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
        async for line in stream.aiter_lines():
            if not line.startswith("data:"):
                continue
            message = json.loads(line[5:])
            if message.get("event_id") == event_id and message.get("msg") == "process_completed":
                return message
    raise RuntimeError("the stream ended before the event completed")


async def student(client, page: Page, urls: list[tuple[str, int]], n: int, args, *, stop_at: float, records: dict):
    rng = random.Random(n)
    session = f"student-{n}"
    await asyncio.sleep(rng.uniform(0, args.draw_every))
    next_label = time.perf_counter() + rng.uniform(0, args.label_every)
    while time.perf_counter() < stop_at:
        url, digit = urls[rng.randrange(len(urls))]
        start = time.perf_counter()
        try:
            done = await event(client, page.draw, [url, "mlp"], page.pad, session)
            ok = done.get("success", False)
        except (httpx.HTTPError, RuntimeError):
            ok = False
        records["draw"].append((time.perf_counter() - start, ok))
        if time.perf_counter() >= next_label:
            try:
                data = [url, str(digit), page.code]
                done = await event(client, page.label, data, page.meant, session, own_address(n))
                message = done["output"]["data"][1] if done.get("success") else ""
                outcome = (
                    "sent"
                    if message.startswith("On the class wall")
                    else "refused"
                    if "Too fast" in message or "from your network" in message
                    else "error"
                )
            except (httpx.HTTPError, RuntimeError, KeyError, TypeError):
                outcome = "error"
            records["label"].append(outcome)
            next_label = time.perf_counter() + args.label_every * rng.uniform(0.5, 1.5)
        await asyncio.sleep(args.draw_every * rng.uniform(0.5, 1.5))


async def teacher(client, page: Page, stop_at: float, records: dict) -> None:
    while time.perf_counter() < stop_at:
        done = await event(client, page.tune, [page.key, "mlp"], page.tune_button, "teacher")
        text = str(done.get("output", {}).get("data", [""])[0])
        records["tunings"].append(text)
        if not text.startswith("Copy of"):
            await asyncio.sleep(1.0)


async def phase(url: str, page: Page, urls, args, tune: bool) -> dict:
    records: dict[str, list] = {"draw": [], "label": [], "tunings": []}
    limits = httpx.Limits(max_connections=args.students * 2 + 4, max_keepalive_connections=args.students * 2 + 4)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        stop_at = time.perf_counter() + args.duration
        tasks = [student(client, page, urls, n, args, stop_at=stop_at, records=records) for n in range(args.students)]
        if tune:
            tasks.append(teacher(client, page, stop_at, records))
        await asyncio.gather(*tasks)
    times = [seconds for seconds, ok in records["draw"] if ok]
    return {
        "phase": "fine-tune" if tune else "plain",
        **{key: value for key, value in percentiles(times).items() if key in ("n", "p50_ms", "p95_ms", "max_ms")},
        "draw_errors": sum(1 for _, ok in records["draw"] if not ok),
        "taps_sent": records["label"].count("sent"),
        "taps_refused": records["label"].count("refused"),
        "tap_errors": records["label"].count("error"),
        "fine_tunings": sum(1 for text in records["tunings"] if text.startswith("Copy of")),
        "last_fine_tuning": next((t for t in reversed(records["tunings"]) if t.startswith("Copy of")), ""),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=100)
    parser.add_argument("--draw-every", type=float, default=2.0, help="seconds between a student's strokes")
    parser.add_argument("--label-every", type=float, default=5.0, help="seconds between a student's taps")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--rounds", type=int, default=2, help="pairs of phases, order alternating")
    parser.add_argument("--warmup", type=float, default=8.0, help="seconds of uncounted load first")
    parser.add_argument("--smoke", action="store_true", help="10 students, 8 s a phase")
    parser.add_argument("--no-wait", action="store_true", help="measure at once, even on a busy machine")
    return parser.parse_args(argv)


def warm_up(url: str, page: Page, urls, args) -> None:
    """Fill the wall and run one fine-tuning, so the server's first events and its first reading of
    the MNIST files fall outside the measured phases."""
    warm = argparse.Namespace(**{**vars(args), "duration": args.warmup, "label_every": 1.0})
    warmed = asyncio.run(phase(url, page, urls, warm, tune=True))
    print(f"warm-up: {warmed['taps_sent']} drawings on the wall, {warmed['fine_tunings']} fine-tuning(s)")


def measured_phase(url: str, page: Page, urls, args, *, tune: bool, pid: int, round_number: int) -> dict:
    """One phase, with the server's and the generator's CPU time and what other processes used."""
    others = OtherLoad([pid])
    cpu = cpu_seconds(), cpu_seconds(pid)
    row = asyncio.run(phase(url, page, urls, args, tune))
    row["round"] = round_number
    row["server_cpu_s"] = cpu_seconds(pid) - cpu[1]
    row["generator_cpu_s"] = cpu_seconds() - cpu[0]
    row["other_cores"] = others.cores_used_by_others()
    return row


def run_rounds(url: str, page: Page, urls, args, pid: int) -> tuple[list[dict], list[float]]:
    """--rounds pairs of phases; returns every phase's row and each round's p95 ratio (fine-tune
    running over not)."""
    rows: list[dict] = []
    ratios = []
    for round_ in range(args.rounds):
        # The order alternates (plain first, then fine-tune first), so a machine that gets
        # busier or quieter during the run does not favour one phase.
        pair = {}
        for tune in (False, True) if round_ % 2 == 0 else (True, False):
            row = measured_phase(url, page, urls, args, tune=tune, pid=pid, round_number=round_ + 1)
            rows.append(row)
            pair[tune] = row
        if pair[False]["p95_ms"] and pair[True]["p95_ms"]:
            ratios.append(pair[True]["p95_ms"] / pair[False]["p95_ms"])
    return rows, ratios


def report(rows: list[dict], ratios: list[float]) -> float | None:
    """Print the phases and the rounds' p95 ratios; return their median."""
    print_table(rows, COLUMNS)
    ratio = statistics.median(ratios) if ratios else None
    shown = ", ".join(f"{r:.2f}" for r in ratios)
    print(f"drawing p95, fine-tune running / not: {shown} (median {ratio:.2f})" if ratio else "no ratio")
    print(f"last fine-tuning: {next((r['last_fine_tuning'] for r in reversed(rows) if r['last_fine_tuning']), '')}")
    return ratio


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not args.no_wait:
        wait_for_quiet()
    if args.smoke:
        args.students, args.duration, args.rounds = 10, 8.0, 1

    info = machine_info()
    print_machine(info)
    urls = [
        ("data:image/png;base64," + base64.b64encode(png).decode("ascii"), digit)
        for png, digit in drawn_pngs(50, seed=7)
    ]
    # MNIST_DATA_DIR passes through: with it the fine-tuning mixes MNIST in, as on a real server.
    # One proxy in front, as on a Space: each student is seen at the address it sends.
    with serve("app", env={"MNIST_DEVICE": "cpu", "MNIST_FORWARDED_HOPS": "1"}) as server:
        url = server.url.rstrip("/")
        http = GradioHTTP(url)
        page = Page(http)
        http.close()
        warm_up(url, page, urls, args)
        rows, ratios = run_rounds(url, page, urls, args, server.process.pid)
        ratio = report(rows, ratios)
        write_results(
            "classwall", {"machine": info, "args": vars(args), "phases": rows, "p95_ratios": ratios, "p95_ratio": ratio}
        )
    if any(row["draw_errors"] or row["tap_errors"] for row in rows):
        raise SystemExit("some drawings or taps failed")


if __name__ == "__main__":
    main()
