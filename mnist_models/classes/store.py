"""The server's classes, kept: each class's wall in memory, written through to one SQLite file.

A teacher starts a class and gets its join code and a secret; students' labelled drawings go to
the class of the code their page carries. Every change is committed before it is acknowledged
(SQLite in WAL mode: a drawing the page was told is on the wall survives a crash or a ``kill -9``),
and a restart reads every live class back under its code. The store is bounded: at most
``max_classes`` classes, each wall at most ``capacity`` drawings; a class with no drawing and no
teacher's action for ``idle_s`` expires, and its data is deleted.

Safe to call from several threads at once: one connection, one lock.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mnist_models.classes import codes
from mnist_models.classes.class_wall import CAPACITY, ClassWall, Entry, WallError
from mnist_models.reading.classifier import Classifier

DATABASE = "classes.sqlite3"
MAX_CLASSES = 200
IDLE_S = 6 * 3600  # a school day's gap between two lessons of the same class
UNDO_S = 120  # how long a removal or a clear can be taken back

SCHEMA = """
CREATE TABLE IF NOT EXISTS classes (
    code TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, key_secret BLOB NOT NULL,
    created REAL NOT NULL, last_active REAL NOT NULL, paused INTEGER NOT NULL DEFAULT 0,
    tuned TEXT
);
CREATE TABLE IF NOT EXISTS drawings (
    code TEXT NOT NULL, number INTEGER NOT NULL, image BLOB NOT NULL, thumbnail BLOB NOT NULL,
    label INTEGER NOT NULL, answers TEXT NOT NULL, time REAL NOT NULL, key TEXT NOT NULL,
    removed REAL, PRIMARY KEY (code, number)
);
CREATE TABLE IF NOT EXISTS expired (code TEXT PRIMARY KEY, at REAL NOT NULL);
"""


class StoreError(RuntimeError):
    """The data folder cannot hold the classes (missing, not writable, not a database)."""


@dataclass
class SchoolClass:
    """One class: its code, its wall, and what its teacher set."""

    code: str
    wall: ClassWall
    created: float
    last_active: float
    paused: bool = False
    tuned: dict | None = None  # the fine-tuned copy's figures (``FineTuneResult`` less the model)
    undo: tuple[str, list[Entry], float] | None = None  # ("remove" or "clear", the entries, until when)


class ClassStore:
    """The classes of this server, kept in ``folder``/classes.sqlite3."""

    def __init__(
        self,
        folder: str | Path,
        max_classes: int = MAX_CLASSES,
        capacity: int = CAPACITY,
        idle_s: float = IDLE_S,
        clock=time.time,
    ) -> None:
        self.path = Path(folder) / DATABASE
        self.max_classes, self.capacity, self.idle_s, self._clock = max_classes, capacity, idle_s, clock
        self._lock = threading.RLock()
        self._db = open_database(self.path)
        self._classes: dict[str, SchoolClass] = {}
        self._load()

    # --- classes ---------------------------------------------------------------------------------
    def start_class(self, entries: list[Entry] = ()) -> tuple[SchoolClass, str]:
        """A new class (with ``entries`` on its wall: an import) and its teacher's secret."""
        with self._lock:
            self.expire_idle()
            if len(self._classes) >= self.max_classes:
                raise WallError("This server holds as many classes as it can.", "server_full", limit=self.max_classes)
            code, secret, key_secret, now = (
                codes.new_code(set(self._classes)),
                codes.new_secret(),
                secrets.token_bytes(16),
                self._clock(),
            )
            with self._db:
                self._db.execute(
                    "INSERT INTO classes (code, secret_hash, key_secret, created, last_active) VALUES (?, ?, ?, ?, ?)",
                    (code, codes.secret_hash(secret), key_secret, now, now),
                )
                self._db.executemany(
                    "INSERT INTO drawings VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)", [row(code, e) for e in entries]
                )
            school_class = SchoolClass(code, ClassWall(self.capacity, secret=key_secret), now, now)
            for entry in entries:
                school_class.wall.put(entry)
            self._classes[code] = school_class
        return school_class, secret

    def find(self, code: object) -> SchoolClass:
        """The live class of join code ``code``; WallError "unknown_class" or "expired"."""
        read = codes.read_code(code)
        with self._lock:
            school_class = self._classes.get(read) if read else None
            if school_class is not None and self._clock() - school_class.last_active > self.idle_s:
                self.expire_idle()
                school_class = None
            if school_class is None:
                expired = read and self._db.execute("SELECT 1 FROM expired WHERE code = ?", (read,)).fetchone()
                reason = "expired" if expired else "unknown_class"
                raise WallError(
                    f"There is no class {'any more ' if expired else ''}with the code {code!r}.",
                    reason,
                    code=read or "",
                )
            return school_class

    def as_teacher(self, code: object, secret: object) -> SchoolClass:
        """The class, for the holder of its teacher secret; WallError "not_teacher" otherwise."""
        school_class = self.find(code)
        digest = self._db.execute("SELECT secret_hash FROM classes WHERE code = ?", (school_class.code,)).fetchone()[0]
        if not codes.secret_matches(secret, digest):
            raise WallError("Only the class's teacher can do this.", "not_teacher")
        self._touch(school_class)
        return school_class

    def __len__(self) -> int:
        return len(self._classes)

    # --- drawings --------------------------------------------------------------------------------
    def add_drawing(
        self, code: object, classifier: Classifier, pad_value: object, label: object, session: str, address=None
    ) -> Entry:
        """Read the pad's value and put it on the wall of class ``code``, kept before it returns."""
        school_class = self.find(code)
        if school_class.paused:
            raise WallError("The teacher has paused the wall.", "paused")
        entry = school_class.wall.add_drawing(classifier, pad_value, label, session, address)
        try:
            with self._lock, self._db:
                self._db.execute(
                    "INSERT INTO drawings VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)", row(school_class.code, entry)
                )
        except sqlite3.Error:
            school_class.wall.remove(entry.number)  # not kept, so not on the wall either
            raise
        self._touch(school_class)
        return entry

    def remove(self, school_class: SchoolClass, number: object) -> Entry:
        """Take one drawing off the wall (the teacher's undo can put it back for UNDO_S)."""
        if (
            isinstance(number, bool)
            or not isinstance(number, int)
            or (entry := school_class.wall.remove(number)) is None
        ):
            raise WallError("That drawing is not on the wall.", "no_drawing")
        self._mark_removed(school_class, [entry], "remove")
        return entry

    def clear(self, school_class: SchoolClass) -> list[Entry]:
        """Take every drawing off the wall (the teacher's undo can put them back for UNDO_S)."""
        taken = school_class.wall.clear()
        self._mark_removed(school_class, taken, "clear")
        return taken

    def undo(self, school_class: SchoolClass) -> tuple[str, int]:
        """Put back what the last removal or clear took: (which it was, how many drawings)."""
        with self._lock:
            if school_class.undo is None or self._clock() > school_class.undo[2]:
                raise WallError("There is nothing to undo any more.", "too_late", seconds=UNDO_S)
            kind, entries, _ = school_class.undo
            school_class.undo = None
            with self._db:
                self._db.executemany(
                    "UPDATE drawings SET removed = NULL WHERE code = ? AND number = ?",
                    [(school_class.code, e.number) for e in entries],
                )
            for entry in entries:
                school_class.wall.put(entry)
        return kind, len(entries)

    def set_paused(self, school_class: SchoolClass, paused: bool) -> None:
        with self._lock, self._db:
            self._db.execute("UPDATE classes SET paused = ? WHERE code = ?", (int(paused), school_class.code))
            school_class.paused = bool(paused)

    def save_tuned(self, school_class: SchoolClass, figures: dict | None) -> None:
        """Keep (or, with None, forget) the figures of the class's fine-tuned copy."""
        with self._lock, self._db:
            self._db.execute(
                "UPDATE classes SET tuned = ? WHERE code = ?",
                (None if figures is None else json.dumps(figures), school_class.code),
            )
            school_class.tuned = figures

    # --- upkeep ----------------------------------------------------------------------------------
    def expire_idle(self) -> list[str]:
        """Delete the classes idle for longer than ``idle_s``, and drawings removed for good;
        the codes expired."""
        with self._lock:
            now = self._clock()
            gone = [code for code, c in self._classes.items() if now - c.last_active > self.idle_s]
            with self._db:
                for code in gone:
                    self._db.execute("DELETE FROM drawings WHERE code = ?", (code,))
                    self._db.execute("DELETE FROM classes WHERE code = ?", (code,))
                    self._db.execute("INSERT OR REPLACE INTO expired VALUES (?, ?)", (code, now))
                    del self._classes[code]
                self._db.execute("DELETE FROM drawings WHERE removed IS NOT NULL AND removed < ?", (now - UNDO_S,))
                self._db.execute("DELETE FROM expired WHERE at < ?", (now - 30 * 86400,))
        return gone

    def _touch(self, school_class: SchoolClass) -> None:
        now = self._clock()
        if now - school_class.last_active > 60:  # a minute's precision is plenty for expiry
            with self._lock, self._db:
                self._db.execute("UPDATE classes SET last_active = ? WHERE code = ?", (now, school_class.code))
        school_class.last_active = now

    def _mark_removed(self, school_class: SchoolClass, entries: list[Entry], kind: str) -> None:
        with self._lock:
            now = self._clock()
            with self._db:
                self._db.executemany(
                    "UPDATE drawings SET removed = ? WHERE code = ? AND number = ?",
                    [(now, school_class.code, e.number) for e in entries],
                )
            school_class.undo = (kind, entries, now + UNDO_S)
        self._touch(school_class)

    def _load(self) -> None:
        """Every live class back from the database, its wall as it was."""
        classes = self._db.execute(
            "SELECT code, key_secret, created, last_active, paused, tuned FROM classes"
        ).fetchall()
        for code, key_secret, created, last_active, paused, tuned in classes:
            wall = ClassWall(self.capacity, secret=key_secret)
            self._classes[code] = SchoolClass(
                code, wall, created, last_active, bool(paused), tuned and json.loads(tuned)
            )
        rows = self._db.execute(
            "SELECT code, number, image, thumbnail, label, answers, time, key FROM drawings WHERE removed IS NULL ORDER BY code, number"
        )
        for code, *fields in rows:
            if code in self._classes:
                self._classes[code].wall.put(entry_from_row(*fields))
        self.expire_idle()


def open_database(path: Path) -> sqlite3.Connection:
    """The classes' database at ``path``, made if new, in WAL mode; StoreError if it cannot be
    written, so that a server that could not keep its classes fails as it starts."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        # A commit reaches the operating system before it returns: it survives the process
        # being killed (NORMAL keeps WAL's speed; FULL would also survive a power cut).
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        db.isolation_level = ""  # transactions from here on: `with db:` commits or rolls back
        with db:
            db.execute("CREATE TABLE IF NOT EXISTS written (at REAL)")
            db.execute("DELETE FROM written")
            db.execute("INSERT INTO written VALUES (?)", (time.time(),))
        return db
    except (OSError, sqlite3.Error) as error:
        raise StoreError(
            f"cannot keep the classes in {path}: {error}. Give a writable folder with --data-dir."
        ) from error


def row(code: str, entry: Entry) -> tuple:
    image = (np.clip(entry.image, 0, 1) * 255).round().astype(np.uint8).tobytes()
    answers = {
        name: {
            "digit": entry.answers[name],
            "is_digit": entry.taken_for_digit(name),
            "probabilities": (entry.probabilities or {}).get(name),
        }
        for name in entry.answers
    }
    return (code, entry.number, image, entry.thumbnail, entry.label, json.dumps(answers), entry.time, entry.key)


def entry_from_row(number, image, thumbnail, label, answers, when, key) -> Entry:
    answers = json.loads(answers)
    probabilities = {name: a["probabilities"] for name, a in answers.items()}
    return Entry(
        number,
        np.frombuffer(image, np.uint8).reshape(28, 28).astype(np.float32) / 255.0,
        bytes(thumbnail),
        label,
        {name: a["digit"] for name, a in answers.items()},
        when,
        key,
        {name: a["is_digit"] for name, a in answers.items()},
        probabilities if all(p is not None for p in probabilities.values()) else None,
    )
