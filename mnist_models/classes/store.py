"""The server's classes, kept in a database that is the one truth: each class's wall, its counts,
its pause, its undo window and its expiry are read from there; what a process keeps in memory
(the walls last read, the rate limits) is a cache or a limit it may lose.

A teacher starts a class and gets its join code and a secret; students' labelled drawings go to
the class of the code their page carries. Every change is committed before it is acknowledged
(SQLite in WAL mode on the local disk: a drawing the page was told is on the wall survives a crash
or a ``kill -9``), and a restart, or another process on the same database, finds every live class
under its code. The store never sees a model: the caller reads a drawing and hands over the
``Entry`` (``Entry.of_reading``). It is bounded: at most ``max_classes`` classes, each wall at most
``capacity`` drawings; a class with no drawing and no teacher's action for ``idle_s`` expires, and
its data is deleted.

The tables are ``database``'s (SQLAlchemy Core: the same queries serve SQLite and other
databases). A copy on storage that outlives the machine is ``backup.Backup``'s.

Safe to call from several threads at once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from mnist_models.classes import codes
from mnist_models.classes.class_wall import CAPACITY, Entry, SchoolClass, Wall, WallError, WallLimits
from mnist_models.classes.database import (
    DATABASE,
    ENTRY_COLUMNS,
    classes,
    drawings,
    entry_from_row,
    expired,
    kept_setting,
    live_count,
    open_database,
    row,
)

MAX_CLASSES = 200
IDLE_S = 6 * 3600  # a school day's gap between two lessons of the same class
UNDO_S = 120  # how long a removal or a clear can be taken back
WALLS_CACHED = 64  # walls kept decoded in memory, the most recently read; more are read again


class ClassStore:
    """The classes, kept in ``folder``/classes.sqlite3, or in the database at ``url`` (a
    PostgreSQL server several app servers share: ``postgresql+psycopg://...``)."""

    def __init__(
        self,
        folder: str | Path | None = None,
        *,
        max_classes: int = MAX_CLASSES,
        capacity: int = CAPACITY,
        idle_s: float = IDLE_S,
        clock=time.time,
        url: str | None = None,
        limits: Callable[[], WallLimits] = WallLimits,
    ) -> None:
        if (folder is None) == (url is None):
            raise ValueError("give the folder of a SQLite database, or a database URL")
        self.path = Path(folder) / DATABASE if folder is not None else None
        self.max_classes, self.capacity, self.idle_s, self._clock = max_classes, capacity, idle_s, clock
        self.engine = open_database(url or f"sqlite:///{self.path}", self.path)
        # SQLite takes one writer at a time: this process's writers queue here rather than in
        # SQLite's busy loop. Other databases lock the class's row in the transaction instead.
        self._writing = threading.Lock() if self.engine.dialect.name == "sqlite" else nullcontext()
        self._limits_of = limits
        self._limits: dict[str, WallLimits] = {}
        self._key_secrets: dict[str, bytes] = {}
        self._walls: OrderedDict[str, tuple[int, list[Entry]]] = OrderedDict()  # code -> (version, entries)
        self._cache_lock = threading.Lock()
        self.browser_secret = kept_setting(self.engine, "browser_secret", lambda: secrets.token_urlsafe(24))
        self.expire_idle()

    # --- classes ---------------------------------------------------------------------------------
    def start_class(self, entries: list[Entry] = ()) -> tuple[SchoolClass, str]:
        """A new class (with ``entries`` on its wall: an import) and its teacher's secret."""
        self.expire_idle()
        secret, now = codes.new_secret(), self._clock()
        entries = list(entries)
        while True:
            code = codes.new_code()
            try:
                with self._writing, self.engine.begin() as db:
                    if db.scalar(sa.select(sa.func.count()).select_from(classes)) >= self.max_classes:
                        raise WallError(
                            "This server holds as many classes as it can.", "server_full", limit=self.max_classes
                        )
                    db.execute(
                        classes.insert().values(
                            code=code,
                            secret_hash=codes.secret_hash(secret),
                            key_secret=secrets.token_bytes(16),
                            created=now,
                            last_active=now,
                            numbered=max((e.number for e in entries), default=0),
                        )
                    )
                    if entries:
                        db.execute(drawings.insert(), [row(code, e) for e in entries])
                break
            except IntegrityError:  # a code another start took a moment ago: draw again
                continue
        return self.find(code), secret

    def find(self, code: object) -> SchoolClass:
        """The live class of join code ``code``; WallError "unknown_class" or "expired"."""
        read = codes.read_code(code) or ""
        with self.engine.connect() as db:
            found = db.execute(sa.select(classes).where(classes.c.code == read)).first()
            if found is not None and self._clock() - found.last_active <= self.idle_s:
                self._key_secrets.setdefault(found.code, bytes(found.key_secret))
                tuned = json.loads(found.tuned) if found.tuned else None
                wall = Wall(self, found.code)
                return SchoolClass(found.code, found.created, found.last_active, bool(found.paused), tuned, wall)
        if found is not None:
            self.expire_idle()
        with self.engine.connect() as db:
            was = db.scalar(sa.select(expired.c.code).where(expired.c.code == read)) is not None
        raise WallError(
            f"There is no class {'any more ' if was else ''}with the code {code!r}.",
            "expired" if was else "unknown_class",
            code=read,
        )

    def as_teacher(self, code: object, secret: object) -> SchoolClass:
        """The class, for the holder of its teacher secret; WallError "not_teacher" otherwise."""
        school_class = self.find(code)
        with self.engine.connect() as db:
            digest = db.scalar(sa.select(classes.c.secret_hash).where(classes.c.code == school_class.code))
        if digest is None or not codes.secret_matches(secret, digest):
            raise WallError("Only the class's teacher can do this.", "not_teacher")
        self._touch(school_class.code)
        return school_class

    def __len__(self) -> int:
        with self.engine.connect() as db:
            return db.scalar(sa.select(sa.func.count()).select_from(classes))

    # --- drawings --------------------------------------------------------------------------------
    def admit(self, code: object, session: str, address: str | None = None) -> SchoolClass:
        """Whether class ``code`` takes a drawing from the page ``session`` at ``address`` now,
        spending one of the page's and the address's tokens: the class, or WallError ("paused",
        "full", "rate", "rate_network", or the class's own). Asked before the drawing is read, so a
        page sending pictures is held to the rate whatever they hold."""
        school_class = self.find(code)
        if school_class.paused:
            raise WallError("The teacher has paused the wall.", "paused")
        with self.engine.connect() as db:
            self._full_check(school_class.code, live_count(db, school_class.code))
        self._limits_for(school_class.code).admit(self.page_key(school_class.code, session), address)
        return school_class

    def add_drawing(self, code: object, entry: Entry, session: str) -> Entry:
        """Put ``entry`` (``Entry.of_reading``) on the wall of class ``code`` from the page
        ``session``, numbered next, kept before it returns; WallError if the class does not take
        it now (paused, full, gone)."""
        school_class = self.find(code)
        code = school_class.code
        entry = dataclasses.replace(entry, time=time.time(), key=self.page_key(code, session))
        with self._writing, self.engine.begin() as db:
            # The class's row is updated first: another writer to this class waits here.
            number = db.scalar(
                classes.update()
                .where(classes.c.code == code, classes.c.paused == 0)
                .values(numbered=classes.c.numbered + 1, version=classes.c.version + 1, last_active=self._clock())
                .returning(classes.c.numbered)
            )
            if number is None:
                raise WallError("The teacher has paused the wall.", "paused")
            self._full_check(code, live_count(db, code))
            entry = dataclasses.replace(entry, number=number)
            db.execute(drawings.insert().values(row(code, entry)))
        return entry

    def remove(self, school_class: SchoolClass, number: object) -> Entry:
        """Take one drawing off the wall (the teacher's undo can put it back for UNDO_S)."""
        if isinstance(number, bool) or not isinstance(number, int) or not 0 < number < 2**31:
            raise WallError("That drawing is not on the wall.", "no_drawing")
        taken = self._take_off(school_class.code, "remove", drawings.c.number == number)
        if not taken:
            raise WallError("That drawing is not on the wall.", "no_drawing")
        return taken[0]

    def clear(self, school_class: SchoolClass) -> list[Entry]:
        """Take every drawing off the wall (the teacher's undo can put them back for UNDO_S)."""
        return self._take_off(school_class.code, "clear", sa.true())

    def undo(self, school_class: SchoolClass) -> tuple[str, int]:
        """Put back what the last removal or clear took: (which it was, how many drawings)."""
        code = school_class.code
        with self._writing, self.engine.begin() as db:
            found = db.execute(
                sa.select(classes.c.undo_kind, classes.c.undo_version, classes.c.undo_until)
                .where(classes.c.code == code)
                .with_for_update()
            ).first()
            if found is None or found.undo_kind is None or self._clock() > found.undo_until:
                raise WallError("There is nothing to undo any more.", "too_late", seconds=UNDO_S)
            put_back = db.execute(
                drawings.update()
                .where(drawings.c.code == code, drawings.c.removed_in == found.undo_version)
                .values(removed=None, removed_in=None)
            ).rowcount
            db.execute(
                classes.update()
                .where(classes.c.code == code)
                .values(undo_kind=None, undo_version=None, undo_until=None, version=classes.c.version + 1)
            )
        self._touch(code)
        return found.undo_kind, put_back

    def set_paused(self, school_class: SchoolClass, paused: bool) -> None:
        self._update(school_class.code, paused=int(bool(paused)))

    def save_tuned(self, school_class: SchoolClass, figures: dict | None) -> None:
        """Keep (or, with None, forget) the figures of the class's fine-tuned copy."""
        self._update(school_class.code, tuned=None if figures is None else json.dumps(figures))

    # --- reading a wall --------------------------------------------------------------------------
    def version(self, code: str) -> int:
        with self.engine.connect() as db:
            return db.scalar(sa.select(classes.c.version).where(classes.c.code == code)) or 0

    def entries(self, code: str) -> list[Entry]:
        """Class ``code``'s wall, oldest first: read again only when its version moved."""
        with self.engine.connect() as db:
            version = db.scalar(sa.select(classes.c.version).where(classes.c.code == code))
            with self._cache_lock:
                cached = self._walls.get(code)
                if cached is not None and cached[0] == version:
                    self._walls.move_to_end(code)
                    return cached[1]
            # Read in the same transaction as the version: what is cached under it is its wall.
            found = [
                entry_from_row(found)
                for found in db.execute(
                    sa.select(*ENTRY_COLUMNS)
                    .where(drawings.c.code == code, drawings.c.removed.is_(None))
                    .order_by(drawings.c.number)
                )
            ]
        if version is not None:
            with self._cache_lock:
                self._walls[code] = (version, found)
                self._walls.move_to_end(code)
                while len(self._walls) > WALLS_CACHED:
                    self._walls.popitem(last=False)
        return found

    def page_key(self, code: str, session: str) -> str:
        """The page's opaque key on class ``code``'s wall: a keyed hash of its session, so that
        the wall and its export never hold a session id someone could reuse."""
        secret = self._key_secrets.get(code)  # never changes for a class
        if secret is None:
            with self.engine.connect() as db:
                secret = bytes(db.scalar(sa.select(classes.c.key_secret).where(classes.c.code == code)) or b"")
            self._key_secrets[code] = secret
        return hmac.new(secret, str(session).encode(), hashlib.sha256).hexdigest()[:12]

    # --- upkeep ----------------------------------------------------------------------------------
    def expire_idle(self) -> list[str]:
        """Delete the classes idle for longer than ``idle_s``, and drawings removed for good;
        the codes expired."""
        now = self._clock()
        try:
            gone = self._delete_idle(now)
        except IntegrityError:  # another server expired the same class a moment ago
            return []
        for code in gone:
            self._limits.pop(code, None)
            self._key_secrets.pop(code, None)
            with self._cache_lock:
                self._walls.pop(code, None)
        return gone

    def _delete_idle(self, now: float) -> list[str]:
        with self._writing, self.engine.begin() as db:
            gone = list(db.scalars(sa.select(classes.c.code).where(classes.c.last_active < now - self.idle_s)))
            if gone:
                db.execute(drawings.delete().where(drawings.c.code.in_(gone)))
                db.execute(classes.delete().where(classes.c.code.in_(gone)))
                db.execute(expired.delete().where(expired.c.code.in_(gone)))
                db.execute(expired.insert(), [{"code": code, "at": now} for code in gone])
            db.execute(drawings.delete().where(drawings.c.removed < now - UNDO_S))
            db.execute(expired.delete().where(expired.c.at < now - 30 * 86400))
        return gone

    def close(self) -> None:
        self.engine.dispose()

    def _take_off(self, code: str, kind: str, which) -> list[Entry]:
        now = self._clock()
        with self._writing, self.engine.begin() as db:
            version = db.scalar(
                classes.update()
                .where(classes.c.code == code)
                .values(version=classes.c.version + 1, last_active=now)
                .returning(classes.c.version)
            )
            live = sa.and_(drawings.c.code == code, drawings.c.removed.is_(None), which)
            taken = [entry_from_row(found) for found in db.execute(sa.select(*ENTRY_COLUMNS).where(live))]
            if taken:
                db.execute(drawings.update().where(live).values(removed=now, removed_in=version))
                db.execute(
                    classes.update()
                    .where(classes.c.code == code)
                    .values(undo_kind=kind, undo_version=version, undo_until=now + UNDO_S)
                )
        return taken

    def _update(self, code: str, **values) -> None:
        with self._writing, self.engine.begin() as db:
            db.execute(
                classes.update()
                .where(classes.c.code == code)
                .values(**values, version=classes.c.version + 1, last_active=self._clock())
            )

    def _touch(self, code: str) -> None:
        now = self._clock()
        # A minute's precision is plenty for expiry: a teacher's clicks do not each write.
        with self._writing, self.engine.begin() as db:
            db.execute(
                classes.update().where(classes.c.code == code, classes.c.last_active < now - 60).values(last_active=now)
            )

    def _full_check(self, code: str, live: int) -> None:
        if live >= self.capacity:
            raise WallError(f"The class wall is full ({self.capacity} drawings).", "full", limit=self.capacity)

    def _limits_for(self, code: str) -> WallLimits:
        limits = self._limits.get(code)
        if limits is None:
            limits = self._limits.setdefault(code, self._limits_of())
        return limits
