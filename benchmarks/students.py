"""The simulated students of the classroom load benchmarks (classroom_load.py, soak.py): what they
draw, each drawing's round trip by the API or the pad's event, and the two load phases.

Paths:
  api   the public API as a script calls it: POST /gradio_api/upload, POST
        /gradio_api/call/classify, read the result stream
  pad   the drawing page's own event as the browser sends it on every stroke: POST
        /gradio_api/queue/join with the pad's value (a PNG data URL) and the model, fn_index and
        trigger_id from the page's /config, then read /gradio_api/queue/data until
        process_completed
  mixed the two in turn (soak.py)
Phases:
  burst   every student sends one drawing at the same moment
  steady  each student sends a drawing about every ``interval`` s (uniformly jittered +-50%,
          random start) for ``duration`` s; requests still running then are awaited (bounded by
          the request timeout)
A request never raises: its outcome (ok, error, timings) is in the record it returns.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import struct
import time
import zlib
from dataclasses import dataclass, field

import _common  # noqa: F401  (puts the repository on sys.path)
import httpx
from _common import percentiles

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
    """A server to load: its address, and the pad event's fn_index and trigger_id on its page."""

    url: str
    fn_index: int
    trigger_id: int


def target(url: str) -> Target:
    """The server at ``url``, its pad event read from its /config."""
    config = httpx.get(url + "config", timeout=30).raise_for_status().json()
    return Target(url, *pad_event(config))


async def api_request(client: httpx.AsyncClient, png: bytes, model: str, session: str, address: str) -> dict:
    """One API round trip; never raises: the outcome is in the returned record.

    Each student keeps one session, as a phone's open page does: without a session_hash Gradio
    builds a fresh session state (a config for every component of the app) on every call.
    """
    record = {"start": time.perf_counter(), "ok": False, "error": None}
    try:
        r = await client.post(
            "/gradio_api/upload",
            files={"files": ("drawing.png", png, "image/png")},
            headers={"x-forwarded-for": address},  # a phone's own address (uploads are limited per address)
        )
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
        address = f"10.2.{student // 256 % 256}.{student % 256}"
        return api_request(client, drawings.png(index), drawings.model, session, address)
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
    *,
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


def warm_up(where: Target, drawings: Drawings, timeout: float) -> None:
    """First requests pay for lazy imports and caches on the server: a few by each path, unmeasured."""
    for path in PATHS:
        asyncio.run(burst(where, drawings, path, 5, timeout))
