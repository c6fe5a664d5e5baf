"""What a caller may ask before Gradio reads it, bounded per address: a Starlette middleware in
front of Gradio's routes, given to its FastAPI app through ``launch(app_kwargs=...)``.

- **Uploads** (``/gradio_api/upload``): Gradio takes any number of files in one request, each up
  to ``launch(max_file_size=...)``, and keeps them on disk. Here a request must say its length,
  carry one picture's worth of bytes at most, and one file (more are refused whole, before any is
  written); each address may send ``UPLOADS_BURST``
  uploads at once, then ``UPLOADS_PER_S`` a second, and ``BYTES_BURST`` bytes at once, then
  ``BYTES_PER_S`` a second (a class of 30 behind one router can each send a phone photo at the
  same moment; the pad itself uploads nothing).
- **Events** (``/gradio_api/queue/join``): each address may put ``EVENTS_BURST`` events in
  Gradio's queue at once, then ``EVENTS_PER_S`` a second: a class of 30 behind one router,
  drawing a stroke a second each, stays within it; a script flooding the queue from one address
  waits outside it, so that the events of others do not queue behind its own
  (benchmarks/abuse.py: benchmarks/RESULTS.md, Abuse).
- **Pages** (the two pages and their ``/config``): each address may load ``PAGES_BURST`` at once,
  then ``PAGES_PER_S`` a second (a class of 30 behind one router opening the page together
  stays within it); each load builds the whole app's config, so a script reloading in a loop
  would otherwise take the CPU from everyone's drawings.

Past a limit the answer is HTTP 429 with the seconds to wait (``Retry-After``), and says so,
once that wait is over (``HOLD_S`` at most): so a flood from one address costs the server a
timer per connection, not a request per moment. A caller on this machine itself (a loopback
address: the person running the app, its tests and benchmarks) is not limited; behind a proxy,
configure the proxies it trusts (demo/visitor.py), or every visitor would look like one and
share one address's limits.

Gradio removes the files it made after ``delete_cache``'s age; files left by a server that was
killed are nobody's, so ``sweep`` removes them when the next one starts.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import math
import os
import re
import time
from pathlib import Path

from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse

from demo.visitor import address_of, is_local
from mnist_models.limits import TokenBuckets

UPLOAD_PATH = "/gradio_api/upload"
JOIN_PATH = "/gradio_api/queue/join"
UPLOADS_BURST, UPLOADS_PER_S = 60, 5.0
BYTES_BURST, BYTES_PER_S = 96 * 2**20, 1 * 2**20
EVENTS_BURST, EVENTS_PER_S = 60, 30.0
PAGES_BURST, PAGES_PER_S = 120, 4.0
PAGE_PATHS = ("", "/classroom", "/config")
# A multipart request's own framing around its one file.
FRAMING_BYTES = 64 * 1024
HOLD_S = 2.0
# Page loads from this machine without X-Forwarded-For, in a window, past which a proxy that does
# not pass visitors' addresses is suspected: a person reloading a page makes a few a minute.
SILENT_PROXY_LOADS, SILENT_PROXY_WINDOW_S = 30, 60.0

log = logging.getLogger(__name__)


class Gate:
    """The ASGI middleware: refuses an upload, an event or a page load over the limits before
    Gradio reads it."""

    def __init__(self, app, max_file_bytes: int) -> None:
        self.app = app
        self.max_request_bytes = max_file_bytes + FRAMING_BYTES
        self.uploads = TokenBuckets(UPLOADS_PER_S, UPLOADS_BURST)
        self.bytes = TokenBuckets(BYTES_PER_S, BYTES_BURST)
        self.events = TokenBuckets(EVENTS_PER_S, EVENTS_BURST)
        self.pages = TokenBuckets(PAGES_PER_S, PAGES_BURST)
        self._local_loads: collections.deque[float] = collections.deque()
        self._silent_proxy_said = False

    async def __call__(self, scope, receive, send) -> None:
        refusal = None
        if scope["type"] == "http" and scope["method"] == "POST":
            if scope["path"].endswith(UPLOAD_PATH):
                refusal = self.upload_refusal(scope)
                if refusal is None:
                    receive, refusal = await one_file_only(scope, receive)
            elif scope["path"].endswith(JOIN_PATH):
                refusal = self.counted(self.events, "requests", scope)
        elif scope["type"] == "http" and scope["method"] == "GET" and scope["path"].rstrip("/") in PAGE_PATHS:
            refusal = self.counted(self.pages, "page loads", scope)
            self.notice_a_silent_proxy(scope)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        if refusal.status_code == 429:
            # Held for the wait it is told (up to HOLD_S): a caller that retries at once, on each of
            # its connections, is slowed to their number every few seconds, for the price of a timer.
            await asyncio.sleep(min(HOLD_S, float(refusal.headers["retry-after"])))
        await refusal(scope, receive, send)

    def upload_refusal(self, scope) -> PlainTextResponse | None:
        """The answer to an upload over the limits, or None to let it through."""
        headers = request_headers(scope)
        length = headers.get("content-length", "")
        if not length.isdigit():
            return PlainTextResponse("An upload must say its length (Content-Length).", status_code=411)
        if int(length) > self.max_request_bytes:
            return PlainTextResponse(
                f"One picture at a time, of at most {self.max_request_bytes // 2**20} MB.", status_code=413
            )
        address = address_of(headers, peer(scope))
        if is_local(address):
            return None
        wait = max(self.uploads.take(address), self.bytes.take(address, int(length)))
        return too_many("uploads", wait)

    def notice_a_silent_proxy(self, scope) -> None:
        """Say once, in the log, when pages load from this machine without ``X-Forwarded-For``
        faster than one person loads them: a proxy in front that does not pass the visitor's
        address makes every visitor this machine's owner, whom no limit holds."""
        if self._silent_proxy_said or not is_local(peer(scope) or "") or "x-forwarded-for" in request_headers(scope):
            return
        now = time.monotonic()
        self._local_loads.append(now)
        while self._local_loads and self._local_loads[0] < now - SILENT_PROXY_WINDOW_S:
            self._local_loads.popleft()
        if len(self._local_loads) >= SILENT_PROXY_LOADS:
            self._silent_proxy_said = True
            log.warning(
                "%d pages loaded from this machine in %.0f s, none with X-Forwarded-For: if a proxy stands in front, "
                "have it set X-Forwarded-For, or no visitor is limited (docs/security.md)",
                len(self._local_loads),
                SILENT_PROXY_WINDOW_S,
            )

    def counted(self, buckets: TokenBuckets, what: str, scope) -> PlainTextResponse | None:
        """The answer to a request over its address's limit in ``buckets``, or None to let it through."""
        address = address_of(request_headers(scope), peer(scope))
        return None if is_local(address) else too_many(what, buckets.take(address))


async def one_file_only(scope, receive):
    """(a receive that gives the app the body read here, the refusal or None): an upload's body,
    already bounded by its length, read whole and refused whole (HTTP 413) when it carries more
    than one file, before Gradio writes any of them."""
    boundary = re.search(r"boundary=\"?([^\";]+)", request_headers(scope).get("content-type", ""))
    body, more = b"", True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    sent = False

    async def replay():
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    # Each part opens with "--boundary", and the body closes with "--boundary--".
    parts = body.count(b"--" + boundary.group(1).encode("latin-1")) - 1 if boundary else 0
    if parts > 1:
        return replay, PlainTextResponse("One picture at a time: this upload carries several files.", status_code=413)
    return replay, None


def request_headers(scope) -> dict[str, str]:
    return {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}


def peer(scope) -> str | None:
    return (scope.get("client") or (None,))[0]


def too_many(what: str, wait: float) -> PlainTextResponse | None:
    if not wait:
        return None
    seconds = math.ceil(wait)
    return PlainTextResponse(
        f"Too many {what} from your address: try again in {seconds} s.",
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


def gate(max_file_bytes: int) -> Middleware:
    return Middleware(Gate, max_file_bytes=max_file_bytes)


def sweep(folder: str | Path, older_than_s: float) -> int:
    """Remove the files under ``folder`` last changed more than ``older_than_s`` ago, and the
    folders they leave empty; return how many files went."""
    removed = 0
    cutoff = time.time() - older_than_s
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = os.path.join(root, name)
            try:
                if os.lstat(path).st_mtime < cutoff:
                    os.remove(path)
                    removed += 1
            except OSError:
                continue  # gone meanwhile, or not ours to remove
        for name in dirs:
            try:
                os.rmdir(os.path.join(root, name))
            except OSError:
                continue  # not empty
    return removed
