"""A real PostgreSQL server of a test's own: Debian's ``postgresql`` programs, a cluster made in a
temporary folder, listening on a free loopback port, stopped and deleted afterwards.

PostgreSQL refuses to run as root, so as root (CI's user) the server runs as the ``postgres`` user
the package makes.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.live_app import free_port


def binaries() -> Path | None:
    """The folder of PostgreSQL's server programs (initdb, pg_ctl), or None when it is not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def why_missing() -> str | None:
    if binaries() is None:
        return "PostgreSQL is not installed (apt-get install postgresql)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "PostgreSQL will not run as root, and runuser is missing"
    return None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a cluster; yield its SQLAlchemy URL (psycopg 3) to an empty database; stop it."""
    folder = Path(tempfile.mkdtemp(prefix="test-postgres-"))
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_user:
        shutil.chown(folder, "postgres")
    data, port, bin_dir = folder / "data", free_port(), binaries()
    run = lambda *command: subprocess.run([*as_user, *command], check=True, capture_output=True, text=True)
    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "mnist", "--auth=trust", "-E", "UTF8")
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"), "-w", "start")
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "mnist", "classes")
        yield f"postgresql+psycopg://mnist@127.0.0.1:{port}/classes"
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)
