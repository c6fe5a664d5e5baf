"""The classes' database: its tables (SQLAlchemy Core, so that the same queries serve SQLite and
other databases), how it is opened and brought up to this version, and how a wall's entry is
written as a row and read back. ``store.ClassStore`` is what the app uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from mnist_models.classes.class_wall import Entry

DATABASE = "classes.sqlite3"
SCHEMA_VERSION = 2

metadata = sa.MetaData()
classes = sa.Table(
    "classes",
    metadata,
    sa.Column("code", sa.String(8), primary_key=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("key_secret", sa.LargeBinary, nullable=False),  # hashes a page's session into its key
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("last_active", sa.Float, nullable=False),
    sa.Column("paused", sa.Integer, nullable=False, server_default="0"),
    sa.Column("tuned", sa.Text),  # the fine-tuned copy's figures, JSON
    sa.Column("numbered", sa.Integer, nullable=False, server_default="0"),  # the last number given
    sa.Column("version", sa.Integer, nullable=False, server_default="0"),  # moves on every change
    sa.Column("undo_kind", sa.String(8)),  # "remove" or "clear": what the undo puts back
    sa.Column("undo_version", sa.Integer),  # the drawings taken off at this version
    sa.Column("undo_until", sa.Float),
)
drawings = sa.Table(
    "drawings",
    metadata,
    sa.Column("code", sa.String(8), primary_key=True),
    sa.Column("number", sa.Integer, primary_key=True),
    sa.Column("image", sa.LargeBinary, nullable=False),
    sa.Column("thumbnail", sa.LargeBinary, nullable=False),
    sa.Column("label", sa.Integer, nullable=False),
    sa.Column("answers", sa.Text, nullable=False),
    sa.Column("time", sa.Float, nullable=False),
    sa.Column("key", sa.String(16), nullable=False),
    sa.Column("removed", sa.Float),  # when it was taken off the wall
    sa.Column("removed_in", sa.Integer),  # the class's version that took it off (an undo's batch)
)
expired = sa.Table(
    "expired",
    metadata,
    sa.Column("code", sa.String(8), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
)
settings = sa.Table(
    "settings",
    metadata,
    sa.Column("name", sa.String(40), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)


class StoreError(RuntimeError):
    """The database cannot hold the classes (a folder missing or not writable, not a database, a
    database from a newer version)."""


def kept_setting(engine: sa.Engine, name: str, make: Callable[[], str]) -> str:
    """A value kept in the database, made at the first start: every later start, and every
    process on the same database, reads the same."""
    with engine.connect() as db:
        value = db.scalar(sa.select(settings.c.value).where(settings.c.name == name))
    if value is None:
        try:
            with engine.begin() as db:
                db.execute(settings.insert().values(name=name, value=make()))
        except IntegrityError:  # another process made it first
            pass
        with engine.connect() as db:
            value = db.scalar(sa.select(settings.c.value).where(settings.c.name == name))
    return value


def live_count(db: sa.Connection, code: str) -> int:
    """How many drawings are on class ``code``'s wall."""
    return db.scalar(sa.select(sa.func.count()).where(drawings.c.code == code, drawings.c.removed.is_(None)))


# What an entry is read from (``entry_from_row``).
ENTRY_COLUMNS = (
    drawings.c.number,
    drawings.c.image,
    drawings.c.thumbnail,
    drawings.c.label,
    drawings.c.answers,
    drawings.c.time,
    drawings.c.key,
)


def open_database(url: str, path: Path | None = None) -> sa.Engine:
    """The classes' database at ``url``, its tables made if new; StoreError if it cannot be
    written or is from a newer version, so that a server that could not keep its classes fails
    as it starts."""
    try:
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        sqlite = url.startswith("sqlite")
        # A database server may drop an idle connection (a restart, a failover): checked before use.
        engine = sa.create_engine(url, **({} if sqlite else {"pool_pre_ping": True}))
        if sqlite:
            sa.event.listen(engine, "connect", sqlite_connected)
            sa.event.listen(engine, "begin", lambda db: db.exec_driver_sql("BEGIN"))
        with engine.begin() as db:
            if engine.dialect.name == "postgresql":  # several servers starting at once: one makes the tables
                db.exec_driver_sql("SELECT pg_advisory_xact_lock(7860)")
            migrate(db)
        return engine
    except (OSError, SQLAlchemyError) as error:
        where = path or engine_name(url)
        fix = (
            "Give a writable folder with --classes-dir."
            if path
            else "Check --database-url and that the server answers."
        )
        raise StoreError(f"cannot keep the classes in {where}: {error}. {fix}") from error


def engine_name(url: str) -> str:
    """A database URL as it may be shown: without its password."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


def sqlite_connected(connection, _record) -> None:
    # Transactions begin where SQLAlchemy says (the "begin" event), not where the driver guesses.
    connection.isolation_level = None
    connection.execute("PRAGMA journal_mode=WAL")
    # A commit reaches the operating system before it returns: it survives the process being
    # killed (NORMAL keeps WAL's speed; FULL would also survive a power cut).
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA busy_timeout=10000")


def migrate(db: sa.Connection) -> None:
    """Make the tables of a new database, bring one of an older version up to this one, and
    refuse one of a newer version."""
    tables = set(sa.inspect(db).get_table_names())
    if "classes" not in tables:
        metadata.create_all(db)
        db.execute(settings.insert().values(name="schema_version", value=str(SCHEMA_VERSION)))
        return
    found = 1
    if "settings" in tables:
        found = int(db.scalar(sa.select(settings.c.value).where(settings.c.name == "schema_version")) or 1)
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"the classes' database is of version {found}, newer than this app's {SCHEMA_VERSION}: "
            "run the newer version of the app, or move the database aside to start with no classes"
        )
    if found == 1:  # the first SQLite schema: no numbering, versions or undo in the database
        for column in (
            "numbered INTEGER NOT NULL DEFAULT 0",
            "version INTEGER NOT NULL DEFAULT 1",
            "undo_kind VARCHAR(8)",
            "undo_version INTEGER",
            "undo_until FLOAT",
        ):
            db.exec_driver_sql(f"ALTER TABLE classes ADD COLUMN {column}")
        db.exec_driver_sql("ALTER TABLE drawings ADD COLUMN removed_in INTEGER")
        db.exec_driver_sql(
            "UPDATE classes SET numbered = (SELECT COALESCE(MAX(number), 0) FROM drawings d WHERE d.code = classes.code)"
        )
        db.exec_driver_sql("UPDATE drawings SET removed_in = 0 WHERE removed IS NOT NULL")
        db.exec_driver_sql("DROP TABLE IF EXISTS written")
        metadata.create_all(db)
        db.execute(settings.insert().values(name="schema_version", value=str(SCHEMA_VERSION)))


def row(code: str, entry: Entry) -> dict:
    image = (np.clip(entry.image, 0, 1) * 255).round().astype(np.uint8).tobytes()
    answers = {
        name: {
            "digit": entry.answers[name],
            "is_digit": entry.is_digit_for(name),
            "probabilities": (entry.probabilities or {}).get(name),
        }
        for name in entry.answers
    }
    return {
        "code": code,
        "number": entry.number,
        "image": image,
        "thumbnail": entry.thumbnail,
        "label": entry.label,
        "answers": json.dumps(answers),
        "time": entry.time,
        "key": entry.key,
    }


def entry_from_row(found: sa.Row) -> Entry:
    """The entry of a row selected with ENTRY_COLUMNS."""
    answers = json.loads(found.answers)
    probabilities = {name: a["probabilities"] for name, a in answers.items()}
    return Entry(
        number=found.number,
        image=np.frombuffer(found.image, np.uint8).reshape(28, 28).astype(np.float32) / 255.0,
        thumbnail=bytes(found.thumbnail),
        label=found.label,
        answers={name: a["digit"] for name, a in answers.items()},
        time=found.time,
        key=found.key,
        is_digit={name: a["is_digit"] for name, a in answers.items()},
        probabilities=probabilities if all(p is not None for p in probabilities.values()) else None,
    )
