"""Start the real app as a separate process on a free loopback port, for tests and benchmarks
that call it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveApp:
    url: str
    process: subprocess.Popen
    started: float  # time.perf_counter() just before the process was started


@contextmanager
def live_app(command: list[str] | None = None, env_extra: dict | None = None) -> Iterator[LiveApp]:
    """Run ``python -m demo`` (or ``command``, which reads its port from $GRADIO_SERVER_PORT) on a
    free port until its /config answers; yield its URL and process; stop it afterwards."""
    port = free_port()
    command = command or [sys.executable, "-m", "demo", "--host", "127.0.0.1", "--port", str(port)]
    env = {
        **os.environ,
        "GRADIO_ANALYTICS_ENABLED": "False",
        "MNIST_DEVICE": "cpu",
        "GRADIO_SERVER_NAME": "127.0.0.1",
        "GRADIO_SERVER_PORT": str(port),
        **(env_extra or {}),
    }
    # The server's output goes to a file: a pipe that nobody reads fills up, and the server then
    # blocks on its next log line (Gradio prints a traceback for every failed event).
    with tempfile.TemporaryFile(mode="w+") as log:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        url = f"http://127.0.0.1:{port}/"
        try:
            deadline = time.monotonic() + 90
            while True:
                if process.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"the app exited with {process.returncode}:\n{log.read()[-5000:]}")
                try:
                    urllib.request.urlopen(url + "config", timeout=2)
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("the app did not answer within 90 s") from None
                    time.sleep(0.1)
            yield LiveApp(url, process, started)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@contextmanager
def running_app(command: list[str] | None = None, env_extra: dict | None = None) -> Iterator[str]:
    """``live_app`` for callers that need only the URL."""
    with live_app(command, env_extra) as app:
        yield app.url
