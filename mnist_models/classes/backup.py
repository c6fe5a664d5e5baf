"""A copy of the classes' SQLite database on storage that outlives the machine: a bucket mounted on
a Hugging Face Space, a network share.

The live database stays on the local disk (SQLite in WAL mode needs one host's shared memory and
does not work over a network filesystem); ``Backup`` copies it whole into the folder with SQLite's
online backup, at most every ``interval_s`` while it changes and once more at a clean stop, each
copy written under a temporary name and renamed, so the folder always holds one complete copy.
``restore`` brings that copy back on a new machine before the app serves anyone.

benchmarks/backup.py measured this against Litestream's replication of the changes alone
(benchmarks/RESULTS.md, Backup).
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import time
from pathlib import Path

from mnist_models.classes.database import DATABASE, SCHEMA_VERSION, StoreError

INTERVAL_S = 1.0  # a kill -9 loses at most this, and the time of one copy

log = logging.getLogger(__name__)


def restore(database: Path, folder: Path) -> bool:
    """Copy ``folder``'s copy of the database to ``database`` when there is none there (a new
    machine): whether it did. A copy that cannot be read stops here with a StoreError that says
    what to do; it is never replaced by an empty database."""
    copy = Path(folder) / DATABASE
    if database.exists() or not copy.is_file():
        return False
    database.parent.mkdir(parents=True, exist_ok=True)
    partial = database.with_name(database.name + ".restoring")
    try:
        shutil.copyfile(copy, partial)
        check_copy(partial)
    except (OSError, sqlite3.Error, StoreError) as error:
        partial.unlink(missing_ok=True)
        raise StoreError(
            f"the copy of the classes in {copy} cannot be read ({error}). Put a good copy there, "
            f"or move it aside to start with no classes."
        ) from error
    os.replace(partial, database)
    return True


def check_copy(path: Path) -> None:
    """StoreError unless ``path`` is a whole SQLite database of the classes, of a version this
    app reads."""
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


class Backup:
    """Keeps ``folder``/classes.sqlite3 a copy of the live ``database``, at most ``interval_s``
    behind while it changes. ``changed()`` after each committed change, ``close()`` at a clean
    stop (one last copy). ``error`` is why the last copy failed, or None."""

    def __init__(self, database: Path, folder: Path, interval_s: float = INTERVAL_S) -> None:
        self.database, self.folder, self.interval_s = Path(database), Path(folder), interval_s
        self.error: str | None = None
        self.copies = 0
        self.bytes_written = 0
        self._dirty = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="classes-backup", daemon=True)
        self._dirty.set()  # a first copy at start: the folder then holds this database's copy
        self._thread.start()

    def changed(self) -> None:
        self._dirty.set()

    def copy_now(self) -> bool:
        """One copy, now: whether it was written (``error`` says why not)."""
        with self._lock:
            self._dirty.clear()
            target = self.folder / DATABASE
            local = self.database.with_name(self.database.name + ".copy")
            partial = self.folder / f".{DATABASE}.partial"
            try:
                # The online backup reads a consistent snapshot while writers go on; the file is
                # made on the local disk, then sent whole: a network mount sees plain writes.
                source, copy = sqlite3.connect(self.database), sqlite3.connect(local)
                try:
                    source.backup(copy)
                finally:
                    source.close()
                    copy.close()
                if not self.folder.is_dir():  # never made here: a mount that is gone would fill the local disk
                    raise NotADirectoryError(f"{self.folder} is not a folder (is the storage mounted?)")
                with open(local, "rb") as read, open(partial, "wb") as write:
                    shutil.copyfileobj(read, write, 1 << 20)
                    write.flush()
                    os.fsync(write.fileno())
                os.replace(partial, target)
            except (OSError, sqlite3.Error) as error:
                self._dirty.set()  # still to be copied when the storage comes back
                if self.error is None:
                    log.error("the classes cannot be copied to %s: %s", self.folder, error)
                self.error = f"{type(error).__name__}: {error}"
                return False
            finally:
                local.unlink(missing_ok=True)
            if self.error is not None:
                log.warning("the classes are copied to %s again", self.folder)
            self.error = None
            self.copies += 1
            self.bytes_written += target.stat().st_size
            return True

    def close(self) -> None:
        """Stop copying, after one last copy of what changed."""
        self._stopping.set()
        self._dirty.set()
        self._thread.join(timeout=30)
        self.copy_now()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._dirty.wait()
            if self._stopping.is_set():
                return
            started = time.monotonic()
            self.copy_now()
            # At most one copy an interval; a failing storage is tried again at the same pace.
            self._stopping.wait(max(0.0, self.interval_s - (time.monotonic() - started)))
