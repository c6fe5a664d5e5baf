"""The drawing app: a drawing pad, a model selector, a live bar chart and a JSON API at /, and the
classroom tabs at /classroom. One Gradio app with two pages, started with ``launch()``.

    python -m demo [--host 0.0.0.0] [--port 7860] [--share] [--teacher-password PASSWORD]
                   [--data-dir DIR] [--backup-dir DIR] [--database-url URL]
    python demo/app.py          # how Hugging Face Spaces starts it
"""

from __future__ import annotations

import argparse
import gc
import os
import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a file (Spaces): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gradio as gr
import torch

from demo import classroom, drawing_pad, gate, student
from demo.classroom.pages import ClassroomPages
from demo.classroom.room import Classroom
from demo.language import translations
from mnist_models.classes.backup import SYNC_S, Backup, restore
from mnist_models.classes.database import DATABASE, StoreError, engine_name
from mnist_models.classes.store import ClassStore
from mnist_models.device import on_zerogpu
from mnist_models.models.checkpoints import WeightsError
from mnist_models.reading.classifier import Classifier
from mnist_models.reading.preprocess import MAX_FILE_BYTES
from mnist_models.training.live import MAX_SECONDS

# Uploads as large as the reader reads: a phone photo of a digit on paper is often several MB.
MAX_FILE_SIZE = MAX_FILE_BYTES
CLASSROOM_PATH = "/classroom"
TEACHER_PASSWORD_ENV = "MNIST_TEACHER_PASSWORD"
TRAINING_SECONDS_ENV = "MNIST_TRAINING_SECONDS"
DATA_HOME_ENV = "MNIST_CLASSES_DIR"
BACKUP_DIR_ENV = "MNIST_BACKUP_DIR"
DATABASE_URL_ENV = "MNIST_DATABASE_URL"
HERE = Path(__file__).resolve().parent
CSS = (HERE / "app.css").read_text() + drawing_pad.STYLE
# Runs once when a page loads: the keyboard on the "what I meant" row, and a mark on a page shown
# inside another site's.
JS = "() => {{ ({})(); ({})(); }}".format(*((HERE / name).read_text() for name in ("meant_keys.js", "framed.js")))
QUEUE_CONCURRENCY = 4
# Events waiting past this many are refused at once (HTTP 503, and Gradio's "Queue is full" on the
# page) rather than queued for minutes: a hundred students drawing at once leave far fewer waiting,
# since each drawing takes a few milliseconds (benchmarks/RESULTS.md, Classroom load).
QUEUE_MAX_SIZE = 256
# Gradio keeps a session per visitor (its state and a copy of the drawing page's config) and drops
# the oldest past this many. A class of 100 makes a few hundred (a page reloaded, a phone woken up,
# a second tab); a student loses nothing when theirs is dropped (the drawing page keeps no state on
# the server), and the teacher's, which holds the classroom page, stays among the newest as its
# wall's timer touches it every 2 s. So sessions made up by a script stay bounded, a small share of
# what Gradio's 10,000 would take (benchmarks/RESULTS.md, Sessions).
SESSION_CAPACITY = 1_000
# Gradio removes the uploads it took once they are this old (checked every 10 minutes); at start
# the app removes those older still that a killed server left behind (demo/gate.py).
UPLOADS_KEPT_S = 1800


def build_demo(
    classifier: Classifier,
    i18n: gr.I18n,
    store: ClassStore,
    start_password: str | None = None,
    training_seconds: float = MAX_SECONDS,
    storage_warning: Callable[[], tuple[str, dict] | None] = lambda: None,
) -> gr.Blocks:
    """The student page at / (draw and see the answer, send it to a class's wall, a link to the
    classroom, the API) and the teacher's page for the projector at /classroom (a drawing pad
    beside the class and the classroom tabs, the class wall first). The classes are ``store``'s;
    with ``start_password``, starting a class asks for it; a live training ends after
    ``training_seconds``; the classroom page says ``storage_warning()`` when there is one."""
    with gr.Blocks(title="MNIST: draw a digit", delete_cache=(600, UPLOADS_KEPT_S)) as demo:
        gr.Navbar(visible=False)  # each page links to the other in its own words
        student.build(classifier, i18n, store, demo)
    with demo.route("Classroom", CLASSROOM_PATH, show_in_navbar=False):
        room = Classroom(classifier, store, start_password=start_password, training_seconds=training_seconds)
        room.storage_warning = storage_warning
        classroom.build(room, i18n, ClassroomPages(demo))
    return queue(demo)


def data_dir(given: str | None) -> Path:
    """Where the live database of the classes is kept: ``given``, else $MNIST_CLASSES_DIR, else
    ./data. On a Hugging Face Space that disk is wiped at every restart: ``--backup-dir``."""
    return Path(given or os.environ.get(DATA_HOME_ENV) or "data")


def open_classes(folder: Path, backup_dir: str | None, url: str | None = None) -> tuple[ClassStore, Backup | None]:
    """The classes' store: in the database at ``url`` (shared by several servers), else in
    ``folder``, first restored from ``backup_dir``'s copy on a new machine, and kept copied there;
    says on the console which case it is in. SystemExit with the reason when the classes cannot be
    kept or the copy cannot be read."""
    if url:
        if backup_dir:
            raise SystemExit(
                "error: --backup-dir copies the SQLite database; with --database-url the database keeps the classes"
            )
        try:
            store = ClassStore(url=url)
        except StoreError as error:
            raise SystemExit(f"error: {error}") from error
        print(f"Classes: kept in {engine_name(url)}", flush=True)
        return store, None
    try:  # opened first: a server that cannot keep its classes says so before it serves anyone
        if backup_dir and restore(folder / DATABASE, Path(backup_dir)):
            print(f"Classes: restored from the copy in {backup_dir}", flush=True)
        store = ClassStore(folder)
    except StoreError as error:
        raise SystemExit(f"error: {error}") from error
    if not backup_dir:
        where = "lost when this Space restarts" if on_space() else f"in {store.path}"
        print(f"Classes: kept on this machine only, {where} (--backup-dir keeps a copy)", flush=True)
        return store, None
    try:
        backup = Backup(store.path, Path(backup_dir))
    except StoreError as error:
        raise SystemExit(f"error: {error}") from error
    print(f"Classes: kept in {store.path}, copied to {backup_dir} within {SYNC_S} s of each change", flush=True)
    return store, backup


def on_space() -> bool:
    """Whether this runs on a Hugging Face Space (which sets SPACE_ID)."""
    return bool(os.environ.get("SPACE_ID"))


def storage_warning(store: ClassStore, backup: Backup | None) -> Callable[[], tuple[str, dict] | None]:
    """What the classroom page says of where the classes are kept: nothing while they are safe
    (a database server, a copy being kept, a disk of one's own)."""

    def warning() -> tuple[str, dict] | None:
        if backup is None:
            return ("classes_here_only", {}) if on_space() and store.path is not None else None
        if backup.error is not None:
            return "classes_copy_failed", {"folder": str(backup.folder), "error": backup.error}
        return None

    return warning


def upload_folder() -> Path:
    """Where Gradio keeps uploads: $GRADIO_TEMP_DIR, else the system's temporary folder's gradio/."""
    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio")


def queue(demo: gr.Blocks) -> gr.Blocks:
    """``demo.queue()`` with the app's settings; the benchmarks' floor queues the same way."""
    # Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event, for a
    # monitoring page this app does not enable; every 1000th event keeps it (benchmarks/README.md).
    # The queue reads the setting when it is made, here.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    return demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_MAX_SIZE)


def serve(demo: gr.Blocks, i18n: gr.I18n, host: str | None = None, port: int | None = None, share: bool = False) -> str:
    """Start ``demo`` with the app's settings, without blocking; returns its address. The
    benchmarks' floor starts the same way."""
    # Start-up leaves a large heap (Gradio, torch, pandas, the pages) that lives as long as the
    # server; frozen, full garbage collections skip it instead of pausing the server to walk it.
    gc.collect()
    gc.freeze()
    gate.sweep(upload_folder(), older_than_s=UPLOADS_KEPT_S)
    demo.launch(
        server_name=host,
        server_port=port,
        share=share or None,
        max_file_size=MAX_FILE_SIZE,
        css=CSS,
        js=JS,
        i18n=i18n,
        footer_links=["api", "gradio"],
        # Callers see why a call failed (a path that was never uploaded, a value that is not one
        # of a control's choices), not a bare "Error"; the app's own errors say what to send.
        show_error=True,
        state_session_capacity=SESSION_CAPACITY,  # launch() sets it, over any value the Blocks had
        # Uploads and events bounded per address before Gradio reads them (demo/gate.py).
        app_kwargs={"middleware": [gate.gate(MAX_FILE_SIZE)]},
        prevent_thread_lock=True,
    )
    return (demo.share_url or demo.local_url).rstrip("/")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="MNIST drawing demo")
    parser.add_argument("--host", help="address to listen on (default: $GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--share", action="store_true", help="also serve through a public Gradio share link")
    parser.add_argument("--device", help="cuda, mps, cpu or auto (default: $MNIST_DEVICE or auto)")
    parser.add_argument(
        "--teacher-password",
        help=f"a password needed to start a class on this server (default: ${TEACHER_PASSWORD_ENV}; "
        "the variable keeps it out of the process list)",
    )
    parser.add_argument(
        "--data-dir", help=f"where the classes' live database is kept (default: ${DATA_HOME_ENV} or ./data)"
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(DATABASE_URL_ENV) or None,
        help="the classes in a database server that several app servers share, e.g. "
        f"postgresql+psycopg://user@host/db (default: ${DATABASE_URL_ENV}; without it, SQLite in --data-dir)",
    )
    parser.add_argument(
        "--backup-dir",
        default=os.environ.get(BACKUP_DIR_ENV) or None,
        help=f"a folder on storage that outlives this machine (a bucket mounted on a Space): the classes are copied "
        f"there every second, and restored from there on a new machine (default: ${BACKUP_DIR_ENV})",
    )
    parser.add_argument(
        "--training-seconds",
        type=float,
        default=float(os.environ.get(TRAINING_SECONDS_ENV) or MAX_SECONDS),
        help=f"the longest a live training may run (default: ${TRAINING_SECONDS_ENV} or {MAX_SECONDS:.0f})",
    )
    args = parser.parse_args(argv)
    teacher_password = args.teacher_password or os.environ.get(TEACHER_PASSWORD_ENV) or None
    # One drawing is a tiny forward pass; intra-op threads only fight the server's own threads for
    # two cores (benchmarks/README.md).
    torch.set_num_threads(1)
    store, backup = open_classes(data_dir(args.data_dir), args.backup_dir, args.database_url)
    try:
        classifier = Classifier(args.device)
    except WeightsError as error:  # a weights or metrics file missing, corrupt, or not JSON
        raise SystemExit(f"error: {error}") from error
    i18n = translations(classifier.metrics, classifier.device_label, on_zerogpu())
    demo = build_demo(classifier, i18n, store, teacher_password, args.training_seconds, storage_warning(store, backup))
    root = serve(demo, i18n, args.host, args.port, args.share)
    print(f"Drawing page: {root}/  Classroom: {root}{CLASSROOM_PATH}", flush=True)
    # SIGTERM is how a Space (and most process managers) stops the app: closed as Ctrl-C is, so
    # the last changes are copied before it exits.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        demo.block_thread()
    finally:
        if backup is not None:
            backup.close()
        store.close()


if __name__ == "__main__":
    main()
