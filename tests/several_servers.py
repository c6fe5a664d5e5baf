"""Several app servers on one PostgreSQL behind HAProxy, configured as deploy/haproxy.cfg says:
for the tests and benchmarks that need them."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests.live_app import ROOT, LiveApp, free_port, live_app, proxy_running

CONFIG = ROOT / "deploy" / "haproxy.cfg"


def haproxy_config(front: int, backs: list[int]) -> str:
    """deploy/haproxy.cfg with its ports: the front on ``front``, one server a port of ``backs``."""
    lines = []
    for line in CONFIG.read_text().splitlines():
        if line.strip().startswith("bind "):
            line = f"    bind 127.0.0.1:{front}"
        if line.strip().startswith("server app"):
            if line.strip().startswith("server app1"):
                lines += [f"    server app{n} 127.0.0.1:{port} check cookie app{n}" for n, port in enumerate(backs, 1)]
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


@contextmanager
def haproxy(backs: list[int]) -> Iterator[str]:
    """HAProxy in front of the servers on ports ``backs``; yields its address, once it answers."""
    front = free_port()
    with tempfile.TemporaryDirectory(prefix="haproxy-") as folder:
        config = Path(folder) / "haproxy.cfg"
        config.write_text(haproxy_config(front, backs))
        with proxy_running(["haproxy", "-db", "-f", str(config)], f"http://127.0.0.1:{front}/", "haproxy") as url:
            yield url


@contextmanager
def servers_on(database_url: str, count: int = 2, env: dict | None = None) -> Iterator[tuple[str, list[LiveApp]]]:
    """``count`` app servers sharing ``database_url``, behind HAProxy: (its address, the servers)."""
    with ExitStack() as stack:
        apps = [
            stack.enter_context(live_app(env_extra={"MNIST_DATABASE_URL": database_url, **(env or {})}))
            for _ in range(count)
        ]
        ports = [int(app.url.rstrip("/").rsplit(":", 1)[1]) for app in apps]
        front = stack.enter_context(haproxy(ports))
        yield front, apps
