"""Uploads, bounded per address: Gradio takes any number of files in one request to its upload
route, each up to ``launch(max_file_size=...)``, and keeps them on disk. In front of that route
(a Starlette middleware, given to Gradio's FastAPI app through ``launch(app_kwargs=...)``):

- a request must say its length, and one request carries at most one picture's worth of bytes;
- each address may send ``UPLOADS_BURST`` uploads at once, then ``UPLOADS_PER_S`` a second, and
  ``BYTES_BURST`` bytes at once, then ``BYTES_PER_S`` a second (a class of 30 behind one router
  can each send a phone photo at the same moment; the pad itself uploads nothing);
- past that the answer is HTTP 429 with the seconds to wait (``Retry-After``).

Gradio removes the files it made after ``delete_cache``'s age; files left by a server that was
killed are nobody's, so ``sweep`` removes them when the next one starts.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse

from demo.visitor import address_of
from mnist_models.limits import TokenBuckets

UPLOAD_PATH = "/gradio_api/upload"
UPLOADS_BURST, UPLOADS_PER_S = 60, 5.0
BYTES_BURST, BYTES_PER_S = 96 * 2**20, 1 * 2**20
# A multipart request's own framing around its one file.
FRAMING_BYTES = 64 * 1024


class UploadLimits:
    """The ASGI middleware: refuses an upload request over the limits before Gradio reads it."""

    def __init__(self, app, max_file_bytes: int) -> None:
        self.app = app
        self.max_request_bytes = max_file_bytes + FRAMING_BYTES
        self.uploads = TokenBuckets(UPLOADS_PER_S, UPLOADS_BURST)
        self.bytes = TokenBuckets(BYTES_PER_S, BYTES_BURST)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].endswith(UPLOAD_PATH):
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            await refusal(scope, receive, send)

    def refusal(self, scope) -> PlainTextResponse | None:
        """The answer to an upload over the limits, or None to let it through."""
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        length = headers.get("content-length", "")
        if not length.isdigit():
            return PlainTextResponse("An upload must say its length (Content-Length).", status_code=411)
        if int(length) > self.max_request_bytes:
            return PlainTextResponse(
                f"One picture at a time, of at most {self.max_request_bytes // 2**20} MB.", status_code=413
            )
        address = address_of(headers, (scope.get("client") or (None,))[0])
        wait = max(self.uploads.take(address), self.bytes.take(address, int(length)))
        if wait:
            seconds = math.ceil(wait)
            return PlainTextResponse(
                f"Too many uploads from your address: try again in {seconds} s.",
                status_code=429,
                headers={"Retry-After": str(seconds)},
            )
        return None


def upload_limits(max_file_bytes: int) -> Middleware:
    return Middleware(UploadLimits, max_file_bytes=max_file_bytes)


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
