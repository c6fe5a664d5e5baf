"""A copy of the classes on storage that outlives the machine: two ways, measured in one run.

    python benchmarks/class_copies.py [--prefill 3000] [--drawings 300] [--rate 10]

- ``sqlite-backup``: SQLite's online backup of the whole database into the folder, at most every
  second while it changes (``WholeCopy`` below; not shipped).
- ``litestream``: what the app ships (mnist_models/classes/backup.py), Litestream replicating the
  database's changes alone to the folder, a process beside the app (sync every second).
- ``none``: no copy, the baseline for the time a drawing takes to be kept.

For each: a database holding ``--prefill`` drawings (50 classes x 30 students x 2, the classroom
load), then ``--drawings`` more at ``--rate`` a second, each timed as the store keeps it; the bytes
written to the folder per drawing. Then what a ``kill -9`` loses: a writer keeps drawings at the
same rate and is killed with its copier; the copy restored on an empty machine is counted
against the drawings acknowledged.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import _common

from mnist_models.classes.backup import Backup, restore
from mnist_models.classes.class_wall import Entry, WallLimits
from mnist_models.classes.database import DATABASE
from mnist_models.classes.store import ClassStore
from mnist_models.reading.classifier import Classifier

CANDIDATES = ("none", "sqlite-backup", "litestream")


class WholeCopy:
    """The candidate not shipped: the whole database copied into ``folder`` (SQLite's online
    backup to a local file, then written under a temporary name and renamed), at most every
    second while it changes."""

    def __init__(self, database: Path, folder: Path) -> None:
        self.database, self.folder, self.bytes_written = database, folder, 0
        self._stop = threading.Event()
        self._seen = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            changed = [p.stat().st_mtime_ns for p in (self.database, Path(f"{self.database}-wal")) if p.exists()]
            if changed != self._seen:
                self._seen = changed
                self.copy()

    def copy(self) -> None:
        local = self.database.with_name("copy.sqlite3")
        source, copy = sqlite3.connect(self.database), sqlite3.connect(local)
        source.backup(copy)
        source.close()
        copy.close()
        partial = self.folder / f".{DATABASE}.partial"
        with open(local, "rb") as read, open(partial, "wb") as write:
            shutil.copyfileobj(read, write, 1 << 20)
            write.flush()
            os.fsync(write.fileno())
        os.replace(partial, self.folder / DATABASE)
        self.bytes_written += local.stat().st_size

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self.copy()


def drawn_entries(count: int) -> list[Entry]:
    """Cards as the wall keeps them: drawings read by the shipped models, with their thumbnails."""
    classifier = Classifier("cpu")
    return [
        Entry.of_reading(classifier.read(pad, source="pad"), pad, label) for pad, label in _common.pad_values(count)
    ]


def bytes_written(copier) -> int:
    """Bytes a candidate has written so far: Litestream's write() calls, from /proc."""
    if isinstance(copier, WholeCopy):
        return copier.bytes_written
    if isinstance(copier, Backup):
        for line in Path(f"/proc/{copier.process.pid}/io").read_text().splitlines():
            if line.startswith("wchar:"):
                return int(line.split()[1])
    return 0


def run_candidate(name: str, entries: list[Entry], args, root: Path) -> dict:
    """One candidate over a prefilled database: ms per drawing kept, bytes written per drawing."""
    store = ClassStore(root / "machine", max_classes=100, limits=lambda: WallLimits(1e6, 10**6))
    codes = [store.start_class()[0].code for _ in range(50)]
    for n in range(args.prefill):
        store.add_drawing(codes[n % len(codes)], entries[n % len(entries)], f"prefill-{n}")
    folder = root / "bucket"
    folder.mkdir()
    copier = {"none": lambda *_: None, "sqlite-backup": WholeCopy, "litestream": Backup}[name](store.path, folder)
    time.sleep(3)  # the first, whole copy is made: what follows is the steady state
    before = bytes_written(copier)
    kept = []
    for n in range(args.drawings):
        started = time.perf_counter()
        store.add_drawing(codes[n % len(codes)], entries[n % len(entries)], f"timed-{n}")
        kept.append(time.perf_counter() - started)
        time.sleep(max(0.0, 1 / args.rate - (time.perf_counter() - started)))
    time.sleep(2)  # the last changes copied
    after = bytes_written(copier)
    if copier is not None:
        copier.close()
    size = store.path.stat().st_size
    store.close()
    return {"kept": _common.percentiles(kept), "bytes_per_drawing": (after - before) / args.drawings, "db_bytes": size}


KILLED_WRITER = """
import sys, time
sys.path[:0] = [{root!r}, {benchmarks!r}]
import class_copies as bench
from mnist_models.classes.backup import Backup
from mnist_models.classes.class_wall import WallLimits
from mnist_models.classes.store import ClassStore
from pathlib import Path
entries = bench.drawn_entries(20)
store = ClassStore({machine!r}, limits=lambda: WallLimits(1e6, 10**6))
code = store.start_class()[0].code
copier = (bench.WholeCopy if {name!r} == "sqlite-backup" else Backup)(store.path, Path({folder!r}))
time.sleep(2)
for n in range(10**6):
    store.add_drawing(code, entries[n % len(entries)], f"page-{{n}}")
    print(n + 1, flush=True)
    time.sleep(1 / {rate})
"""


def kill_loss(name: str, args, root: Path) -> dict:
    """Drawings acknowledged before a kill -9 of the writer and its copier, and found in the copy."""
    folder = root / "bucket"
    folder.mkdir()
    script = KILLED_WRITER.format(
        root=str(_common.ROOT),
        benchmarks=str(Path(__file__).parent),
        machine=str(root / "machine"),
        folder=str(folder),
        name=name,
        rate=args.rate,
    )
    writer = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True)
    acknowledged = 0
    deadline = time.monotonic() + 8
    while time.monotonic() < deadline:
        line = writer.stdout.readline()
        acknowledged = int(line) if line.strip() else acknowledged
    os.killpg(writer.pid, signal.SIGKILL)  # the machine goes: the app and its copier with it
    writer.wait()
    machine = root / "restored"
    if name == "sqlite-backup":
        machine.mkdir()
        shutil.copyfile(folder / DATABASE, machine / DATABASE)
    else:
        restore(machine / DATABASE, folder)
    store = ClassStore(machine)
    with store.engine.connect() as db:
        found = db.exec_driver_sql("SELECT COUNT(*) FROM drawings").scalar()
    store.close()
    return {"acknowledged": acknowledged, "restored": found, "lost": acknowledged - found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--prefill", type=int, default=3000)
    parser.add_argument("--drawings", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10.0, help="drawings a second")
    args = parser.parse_args()
    info = _common.machine_info()
    _common.print_machine(info)
    candidates = CANDIDATES
    entries = drawn_entries(50)
    results = {}
    for name in candidates:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
            results[name] = run_candidate(name, entries, args, Path(folder))
        if name != "none":
            with tempfile.TemporaryDirectory(prefix=f"bench-kill-{name}-") as folder:
                results[name]["kill_9"] = kill_loss(name, args, Path(folder))
    base = results["none"]["kept"]["p50_ms"]
    for name, r in results.items():
        kill = r.get("kill_9")
        print(
            f"{name:14s} kept p50 {r['kept']['p50_ms']:.2f} ms ({r['kept']['p50_ms'] / base:.2f}x none), "
            f"p95 {r['kept']['p95_ms']:.2f} ms; {r['bytes_per_drawing'] / 1024:.1f} KiB written per drawing "
            f"(database {r['db_bytes'] / 2**20:.1f} MiB)"
            + (f"; kill -9: {kill['lost']} of {kill['acknowledged']} acknowledged lost" if kill else "")
        )
    print("results:", _common.write_results("class_copies", {"machine": info, **vars(args), "results": results}))


if __name__ == "__main__":
    main()
