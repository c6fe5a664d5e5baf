"""nginx from Debian in front of an app server, configured as deploy/nginx.conf says, on a free
loopback port, in a folder of its own; for the tests and benchmarks that need it."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live_app import ROOT, free_port, proxy_running

CONFIG = ROOT / "deploy" / "nginx.conf"


@contextmanager
def nginx(app_port: int) -> Iterator[str]:
    """nginx in front of the app on ``app_port``; yields its address once the app answers through it."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="nginx-") as folder:
        os.chmod(folder, 0o777)  # its workers, as nginx's own user, keep request bodies there
        text = CONFIG.read_text().replace("127.0.0.1:7860", f"127.0.0.1:{app_port}")
        config = Path(folder) / "nginx.conf"
        config.write_text(text.replace("listen 80;", f"listen 127.0.0.1:{port};"))
        command = [shutil.which("nginx") or "/usr/sbin/nginx", "-p", folder, "-c", str(config), "-g", "daemon off;"]
        with proxy_running(command, f"http://127.0.0.1:{port}/", "nginx") as url:
            yield url
