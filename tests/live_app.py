"""Start the real app as a separate process on a free loopback port, for tests that call it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(command: list[str] | None = None, env_extra: dict | None = None):
    """Run ``python -m demo`` (or ``command``) on a free port; yield its URL; stop it afterwards."""
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
                    time.sleep(0.3)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
