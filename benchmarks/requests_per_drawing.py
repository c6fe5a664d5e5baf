"""HTTP traffic one drawn digit causes in the real page: requests and bytes, per stroke and kind,
before and after: the drawing tab on Gradio's sketchpad as it first shipped
(benchmarks/sketchpad_app.py), and the app as it is (`python -m demo`, its gr.HTML drawing pad).

    python benchmarks/requests_per_drawing.py [--chromium /usr/bin/chromium] [--strokes 3] [--only app]

Starts each on a free loopback port, opens it in headless Chromium (Playwright's sync API),
waits until the page is up and quiet, then draws a "7" with a crossbar (up to three mouse
strokes on the `#sketch canvas`), letting the network go quiet after each stroke so each
request is attributed to the stroke that caused it. Requests are grouped by URL kind:
  upload      POST /gradio_api/upload        (the sketchpad's files)
  queue/join  POST /gradio_api/queue/join    (one event handler call)
  data        GET  /gradio_api/queue/data    (the SSE result stream)
  file        GET  /gradio_api/file=...      (outputs fetched back, e.g. the 28x28 preview)
  component_server  POST /gradio_api/component_server/ (the image editor asking the server)
  other       anything else
Bytes are the request body plus, where Playwright reports it, the response headers and body. For
uploads Playwright sees no body (the editor posts Blobs), so the uploaded files' sizes are read
from the server's cache folder, whose paths the upload answers list (multipart framing not counted).
"""

from __future__ import annotations

import argparse
import contextlib
import time
from urllib.parse import urlparse

import _common  # noqa: F401  (puts the repository on sys.path)
from _common import (
    machine_info,
    print_machine,
    print_table,
    serve,
    wait_for_quiet,
    write_results,
)

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# A "7" with a crossbar, in fractions of the drawing square: (x, y) points per stroke.
STROKES = [
    [(0.25, 0.2), (0.5, 0.2), (0.75, 0.2)],
    [(0.75, 0.2), (0.6, 0.5), (0.45, 0.85)],
    [(0.45, 0.5), (0.6, 0.5), (0.75, 0.5)],
]


def kind(url: str) -> str:
    path = urlparse(url).path
    if "/upload" in path:
        return "upload"
    if "/queue/join" in path:
        return "queue/join"
    if "/queue/data" in path:
        return "data"
    if "/file=" in path:
        return "file"
    if "/component_server" in path:
        return "component_server"
    return "other"


class Recorder:
    """Every request the page makes, tagged with the phase (page load, stroke N) it began in."""

    def __init__(self) -> None:
        self.phase = "load"
        self.phase_start = time.perf_counter()
        self.records: list[dict] = []
        self.by_request = {}
        self.last_activity = time.perf_counter()

    def start_phase(self, name: str) -> None:
        self.phase = name
        self.phase_start = self.last_activity = time.perf_counter()

    def on_request(self, request) -> None:
        # Playwright gives no post data for multipart file uploads (a Blob); the request's body
        # size from sizes() once it has finished is used instead, this is only the fallback.
        try:
            body = request.post_data_buffer
        except Exception:  # noqa: BLE001
            body = None
        record = {
            "phase": self.phase,
            "t": round(time.perf_counter() - self.phase_start, 3),
            "method": request.method,
            "url": request.url,
            "kind": kind(request.url),
            "request_body": len(body) if body else 0,
            "response_bytes": None,
            "status": "open",
        }
        self.records.append(record)
        self.by_request[request] = record
        self.last_activity = time.perf_counter()

    def on_finished(self, request) -> None:
        record = self.by_request.get(request)
        if record is None:
            return
        with contextlib.suppress(Exception):  # sizes are best effort (some responses have none)
            sizes = request.sizes()
            record["response_bytes"] = sizes["responseBodySize"] + sizes["responseHeadersSize"]
            record["request_body"] = max(record["request_body"], sizes["requestBodySize"])
            record["request_headers"] = sizes["requestHeadersSize"]
        record["status"] = "finished"
        self.last_activity = time.perf_counter()

    def upload_sizes(self) -> None:
        """Playwright reports no body for the editor's multipart uploads (Blobs), so measure them
        where they land: the upload's answer lists the server paths, and the server is local."""
        import json
        import os

        for request, record in self.by_request.items():
            if record["kind"] != "upload" or record["status"] != "finished" or "file_bytes" in record:
                continue
            try:
                paths = json.loads(request.response().body())
                record["file_bytes"] = sum(os.path.getsize(path) for path in paths)
                record["files"] = len(paths)
                record["request_body"] = max(record["request_body"], record["file_bytes"])
            except Exception:  # noqa: BLE001 - best effort: a body can be gone, a file deleted
                record["file_bytes"] = None

    def on_failed(self, request) -> None:
        record = self.by_request.get(request)
        if record is not None:
            record["status"] = "failed"
        self.last_activity = time.perf_counter()

    def wait_quiet(self, page, quiet_s: float, limit_s: float) -> None:
        """Wait until no request has started or finished for ``quiet_s`` (at most ``limit_s``)."""
        deadline = time.perf_counter() + limit_s
        while time.perf_counter() < deadline:
            page.wait_for_timeout(100)
            if time.perf_counter() - self.last_activity >= quiet_s:
                return


def canvas_box(page) -> dict:
    """The square the strokes go in. The sketchpad's <canvas> is the whole editor viewport (wider
    than the drawing); the 280x280 image is shown centred in it, about as tall as the viewport
    less a margin, and strokes that start outside the image draw nothing. So: a centred square
    of 75% of the viewport's smaller side, safely inside the image. (The app's pad is a square
    canvas, so the same rule draws the same 7 on it.)"""
    boxes = [c.bounding_box() for c in page.locator("#sketch canvas").all()]
    boxes = [b for b in boxes if b and b["width"] > 50]
    if not boxes:
        raise RuntimeError("no drawable canvas found under #sketch")
    view = max(boxes, key=lambda b: b["width"] * b["height"])
    side = 0.75 * min(view["width"], view["height"])
    cx, cy = view["x"] + view["width"] / 2, view["y"] + view["height"] / 2
    return {"x": cx - side / 2, "y": cy - side / 2, "width": side, "height": side, "viewport": view}


def draw(page, box: dict, points: list[tuple[float, float]]) -> None:
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for x, y in xy[1:]:
        page.mouse.move(x, y, steps=12)  # a person's stroke: many pointermove events
    page.mouse.up()


def totals(records: list[dict]) -> list[dict]:
    rows = {}
    for r in records:
        row = rows.setdefault(
            (r["phase"], r["kind"]),
            {
                "phase": r["phase"],
                "kind": r["kind"],
                "requests": 0,
                "request_body_bytes": 0,
                "response_bytes": 0,
                "open_or_failed": 0,
            },
        )
        row["requests"] += 1
        row["request_body_bytes"] += r["request_body"]
        row["response_bytes"] += r["response_bytes"] or 0
        row["open_or_failed"] += r["status"] != "finished"
    return list(rows.values())


def measure(url: str, chromium: str, strokes: int, quiet_s: float) -> dict:
    """Load the page, draw, and record every request; the page's answer at the end."""
    from playwright.sync_api import sync_playwright

    recorder = Recorder()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=BROWSER_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", recorder.on_request)
            page.on("requestfinished", recorder.on_finished)
            page.on("requestfailed", recorder.on_failed)
            t = time.perf_counter()
            page.goto(url, wait_until="load", timeout=60_000)
            page.wait_for_selector("#sketch canvas", timeout=30_000)
            recorder.wait_quiet(page, quiet_s, 15)  # the sketchpad's brush is picked after load
            load_s = time.perf_counter() - t
            box = canvas_box(page)
            stroke_s = []
            for i, points in enumerate(STROKES[:strokes], 1):
                draw(page, box, points)
                # The clock starts at mouse-up: both inputs send the drawing when a stroke ends.
                recorder.start_phase(f"stroke {i}")
                recorder.wait_quiet(page, quiet_s, 20)
                stroke_s.append(
                    time.perf_counter() - recorder.phase_start - quiet_s
                )  # time to quiet, less the quiet window
            recorder.upload_sizes()
            result_text = " ".join(page.locator("#result").inner_text().split())
        finally:
            browser.close()
    drawing = [r for r in recorder.records if r["phase"] != "load"]
    by_kind = {r["kind"]: r for r in totals([{**r, "phase": "drawing"} for r in drawing])}
    return {
        "page_load_s": load_s,
        "stroke_seconds": stroke_s,
        "result_text": result_text,
        "viewport": box["viewport"],
        "by_phase_and_kind": totals(recorder.records),
        "drawing_by_kind": by_kind,
        "drawing_requests": sum(r["requests"] for r in by_kind.values()),
        "drawing_bytes": sum(r["request_body_bytes"] + r["response_bytes"] for r in by_kind.values()),
        "requests": recorder.records,
    }


def report(name: str, run: dict, strokes: int, verbose: bool) -> None:
    print(
        f"\n== {name}: page load {run['page_load_s']:.1f} s until quiet; answer after drawing: {run['result_text']!r}"
    )
    if verbose:
        for r in run["requests"]:
            if r["phase"] != "load":
                print(
                    f"{r['phase']:>8} +{r['t']:6.3f}s {r['method']:4} {urlparse(r['url']).path[:60]:60} "
                    f"req {r['request_body']:>6} resp {r['response_bytes'] or 0:>6} {r['status']}"
                )
    print_table(
        [r for r in run["by_phase_and_kind"] if r["phase"] != "load"],
        ["phase", "kind", "requests", "request_body_bytes", "response_bytes", "open_or_failed"],
    )
    print(
        f"total for the drawing ({strokes} strokes): {run['drawing_requests']} requests, {run['drawing_bytes']} bytes; "
        f"stroke-to-quiet times {', '.join(f'{s:.2f}' for s in run['stroke_seconds'])} s"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--chromium", default="/usr/bin/chromium", help="browser executable (default /usr/bin/chromium)"
    )
    parser.add_argument("--strokes", type=int, default=len(STROKES), choices=range(1, len(STROKES) + 1))
    parser.add_argument("--only", choices=["sketchpad", "app"], help="measure one of the two pages only")
    parser.add_argument("--verbose", action="store_true", help="list every request of the drawing")
    parser.add_argument("--quiet", type=float, default=2.0, help="seconds without traffic that end a stroke's window")
    parser.add_argument("--no-wait", action="store_true", help="start at once even if the machine is busy")
    args = parser.parse_args(argv)
    if not args.no_wait:
        wait_for_quiet()

    info = machine_info("server: see app")
    print_machine(info)
    pages = {"sketchpad": "before: Gradio sketchpad (first version)", "app": "after: the app's drawing pad"}
    runs = {}
    for key, name in pages.items():
        if args.only and key != args.only:
            continue
        with serve(key) as app:
            runs[key] = measure(app.url, args.chromium, args.strokes, args.quiet)
        report(name, runs[key], args.strokes, args.verbose)

    rows = [
        {
            "page": pages[key],
            "requests": run["drawing_requests"],
            "per_stroke": run["drawing_requests"] / args.strokes,
            "bytes": run["drawing_bytes"],
            "answer": run["result_text"],
        }
        for key, run in runs.items()
    ]
    print(f"\none drawn digit ({args.strokes} strokes):")
    print_table(rows, ["page", "requests", "per_stroke", "bytes", "answer"])
    if len(runs) == 2:
        before, after = runs["sketchpad"], runs["app"]
        print(
            f"requests: {before['drawing_requests'] / max(1, after['drawing_requests']):.1f}x fewer; "
            f"bytes: {before['drawing_bytes'] / max(1, after['drawing_bytes']):.1f}x fewer"
        )
    write_results(
        "requests_per_drawing",
        {"machine": info, "strokes": args.strokes, "pages": {k: pages[k] for k in runs}, "runs": runs},
    )


if __name__ == "__main__":
    main()
