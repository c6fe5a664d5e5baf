"""The app's settings, in one place: each has one flag and one environment variable, named alike
(``--classes-dir`` and ``MNIST_CLASSES_DIR``); a flag wins over its variable, the variable over the
default. ``Settings.read`` makes them once, in ``demo.app.main``; what needs one is given it, and
nothing reads the environment after start-up. docs/deploy.md has the table of them, which a test
holds to this module.

What the platform says of itself (a Hugging Face Space sets ``SPACE_ID``; Gradio's upload folder is
``GRADIO_TEMP_DIR``) is read here too, once, as ``Settings.on_space`` and ``Settings.upload_dir``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path

from demo.classroom.pages import BUILDS_BURST, PAGES_PER_ADDRESS
from mnist_models.training.live import MAX_SECONDS


def option(flag: str, variable: str, kind: type, about: str) -> dict:
    """What a field of ``Settings`` keeps beside its default: its flag, its environment variable,
    how its text is read (``kind``) and what it does, for ``--help`` and the docs' table."""
    return {"flag": flag, "variable": variable, "kind": kind, "about": about}


@dataclass(frozen=True)
class Settings:
    host: str | None = field(
        default=None,
        metadata=option(
            "--host", "GRADIO_SERVER_NAME", str, "the address to listen on (Gradio's variable; default 127.0.0.1)"
        ),
    )
    port: int | None = field(
        default=None, metadata=option("--port", "GRADIO_SERVER_PORT", int, "the port (Gradio's variable; default 7860)")
    )
    share: bool = field(
        default=False,
        metadata=option(
            "--share",
            "MNIST_SHARE",
            bool,
            "also serve through a public Gradio share link (the variable: 1 to turn it on)",
        ),
    )
    device: str = field(
        default="auto", metadata=option("--device", "MNIST_DEVICE", str, "where the models run: cuda, mps, cpu or auto")
    )
    data_dir: Path = field(
        default=Path("data"),
        metadata=option(
            "--data-dir",
            "MNIST_DATA_DIR",
            Path,
            "the folder with MNIST's files, for the classroom's Test set and Train live tabs (downloaded there when missing)",
        ),
    )
    classes_dir: Path = field(
        default=Path("data"),
        metadata=option("--classes-dir", "MNIST_CLASSES_DIR", Path, "where the classes' live SQLite database is kept"),
    )
    database_url: str | None = field(
        default=None,
        metadata=option(
            "--database-url",
            "MNIST_DATABASE_URL",
            str,
            "the classes in a database server several app servers share, e.g. postgresql+psycopg://user@host/db",
        ),
    )
    backup_dir: Path | None = field(
        default=None,
        metadata=option(
            "--backup-dir",
            "MNIST_BACKUP_DIR",
            Path,
            "a folder on storage that outlives the machine (a bucket on a Space): the classes are copied there "
            "within a second of each change, and restored from there on a new machine",
        ),
    )
    teacher_password: str | None = field(
        default=None,
        metadata=option(
            "--teacher-password",
            "MNIST_TEACHER_PASSWORD",
            str,
            "a password needed to start a class (the variable keeps it out of the process list)",
        ),
    )
    training_seconds: float = field(
        default=MAX_SECONDS,
        metadata=option("--training-seconds", "MNIST_TRAINING_SECONDS", float, "the longest a live training may run"),
    )
    forwarded_hops: int | None = field(
        default=None,
        metadata=option(
            "--forwarded-hops",
            "MNIST_FORWARDED_HOPS",
            int,
            "how many proxies in front of the app write X-Forwarded-For (default: 1 on a Space, else 0)",
        ),
    )
    classroom_pages_per_address: int = field(
        default=PAGES_PER_ADDRESS,
        metadata=option(
            "--classroom-pages-per-address",
            "MNIST_CLASSROOM_PAGES_PER_ADDRESS",
            int,
            "the newest classroom pages kept for one address (a school behind one router may raise it)",
        ),
    )
    classroom_builds_burst: int = field(
        default=BUILDS_BURST,
        metadata=option(
            "--classroom-builds-burst",
            "MNIST_CLASSROOM_BUILDS_BURST",
            int,
            "classroom pages one address may have built at once",
        ),
    )
    on_space: bool = False  # Hugging Face sets SPACE_ID on a Space
    upload_dir: Path = Path(tempfile.gettempdir()) / "gradio"  # Gradio's uploads: GRADIO_TEMP_DIR

    @property
    def hops(self) -> int:
        """The proxies trusted to write X-Forwarded-For: as set, else one on a Space (its own)."""
        return self.forwarded_hops if self.forwarded_hops is not None else int(self.on_space)

    @classmethod
    def options(cls) -> list:
        """The fields that are settings (a flag each), in the order of the table."""
        return [f for f in fields(cls) if "flag" in f.metadata]

    @classmethod
    def parser(cls) -> argparse.ArgumentParser:
        parser = argparse.ArgumentParser(prog="python -m demo", description="MNIST drawing demo")
        for option in cls.options():
            meta = option.metadata
            where = f" (${meta['variable']})"
            if meta["kind"] is bool:
                parser.add_argument(meta["flag"], action="store_true", default=None, help=f"{meta['about']}{where}")
            else:
                parser.add_argument(meta["flag"], type=str, help=f"{meta['about']}{where}")
        return parser

    @classmethod
    def read(cls, argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings from the command line ``argv`` and the environment ``environ`` (this
        process's by default); exits with a message for a value that does not read."""
        environ = os.environ if environ is None else environ
        parser = cls.parser()
        args = parser.parse_args(argv)
        chosen = {}
        for option in cls.options():
            meta = option.metadata
            given = getattr(args, option.name)
            if given is None and meta["variable"]:
                given = environ.get(meta["variable"]) or None
            if given is None:
                continue
            try:
                chosen[option.name] = read_value(given, meta["kind"])
            except ValueError:
                parser.error(f"{meta['flag']} (or ${meta['variable']}): {given!r} is not a {meta['kind'].__name__}")
        if uploads := environ.get("GRADIO_TEMP_DIR"):
            chosen["upload_dir"] = Path(uploads)
        return cls(**chosen, on_space=bool(environ.get("SPACE_ID")))


def settings_table() -> str:
    """The table of every setting, as docs/deploy.md shows it (a test holds the two alike)."""
    rows = ["| flag | variable | default | what it does |", "| --- | --- | --- | --- |"]
    for option in Settings.options():
        meta, default = option.metadata, option.default
        shown = "none" if default is None else "off" if default is False else f"`{default}`"
        rows.append(f"| `{meta['flag']}` | `{meta['variable']}` | {shown} | {meta['about']} |")
    return "\n".join(rows)


def read_value(given: object, kind: type):
    """A flag's or a variable's text as ``kind``; a switch is on when given, or set to 1, true or yes."""
    if kind is bool:
        return given is True or str(given).strip().lower() in ("1", "true", "yes")
    return kind(given)


def quiet_gradio_queue() -> None:
    """Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event, for a
    monitoring page this app does not enable; every 1000th event keeps it (benchmarks/README.md).
    The queue reads the variable when it is made."""
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
