"""The drawing app: a drawing pad, a model selector, a live bar chart and a JSON API at /, and the
classroom tabs at /classroom. One Gradio app with two pages, started with ``launch()``.

    python -m demo [--host 0.0.0.0] [--port 7860] [--share] [--teacher-password PASSWORD]
                   [--classes-dir DIR] [--backup-dir DIR] [--database-url URL] ...
    python demo/app.py          # how Hugging Face Spaces starts it

Every setting has a flag and an environment variable (``demo.settings.Settings``; the table is
in docs/deploy.md).
"""

from __future__ import annotations

import gc
import signal
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a file (Spaces): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gradio as gr
import torch

from demo import classroom, drawing_pad, gate, student, visitor
from demo.classroom.pages import ClassroomPages
from demo.classroom.room import Classroom, LazyMNIST
from demo.language import translations
from demo.settings import Settings, quiet_gradio_queue
from mnist_models.classes.backup import SYNC_S, Backup, restore
from mnist_models.classes.database import DATABASE, StoreError, engine_name
from mnist_models.classes.store import ClassStore
from mnist_models.device import on_zerogpu
from mnist_models.models.checkpoints import WeightsError
from mnist_models.reading.classifier import Classifier
from mnist_models.reading.preprocess import MAX_FILE_BYTES

# Uploads as large as the reader reads: a phone photo of a digit on paper is often several MB.
MAX_FILE_SIZE = MAX_FILE_BYTES
CLASSROOM_PATH = "/classroom"
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
    settings: Settings | None = None,
    storage_warning: Callable[[], tuple[str, dict] | None] = lambda: None,
) -> gr.Blocks:
    """The student page at / (draw and see the answer, send it to a class's wall, a link to the
    classroom, the API) and the teacher's page for the projector at /classroom (a drawing pad
    beside the class and the classroom tabs, the class wall first). The classes are ``store``'s;
    ``settings`` (the defaults when None) say who may start a class, how long a live training
    runs, where MNIST is and which proxies are trusted; the classroom page says
    ``storage_warning()`` when there is one."""
    settings = settings or Settings()
    visitor.trust_proxies(settings.hops)
    with gr.Blocks(title="MNIST: draw a digit", delete_cache=(600, UPLOADS_KEPT_S)) as demo:
        gr.Navbar(visible=False)  # each page links to the other in its own words
        student.build(classifier, i18n, store, demo)
    with demo.route("Classroom", CLASSROOM_PATH, show_in_navbar=False):
        room = Classroom(
            classifier,
            store,
            data=LazyMNIST(settings.data_dir),
            start_password=settings.teacher_password,
            training_seconds=settings.training_seconds,
        )
        room.storage_warning = storage_warning
        pages = ClassroomPages(demo, settings.classroom_pages_per_address, settings.classroom_builds_burst)
        classroom.build(room, i18n, pages)
    return queue(demo)


def open_classes(settings: Settings) -> tuple[ClassStore, Backup | None]:
    """The classes' store: in the database at ``settings.database_url`` (shared by several
    servers), else in ``settings.classes_dir``, first restored from the copy in
    ``settings.backup_dir`` on a new machine, and kept copied there; says on the console which case
    it is in. SystemExit with the reason when the classes cannot be kept or the copy cannot be read."""
    folder, backup_dir, url = settings.classes_dir, settings.backup_dir, settings.database_url
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
        where = "lost when this Space restarts" if settings.on_space else f"in {store.path}"
        print(f"Classes: kept on this machine only, {where} (--backup-dir keeps a copy)", flush=True)
        return store, None
    try:
        backup = Backup(store.path, Path(backup_dir))
    except StoreError as error:
        raise SystemExit(f"error: {error}") from error
    print(f"Classes: kept in {store.path}, copied to {backup_dir} within {SYNC_S} s of each change", flush=True)
    return store, backup


def storage_warning(store: ClassStore, backup: Backup | None, on_space: bool) -> Callable[[], tuple[str, dict] | None]:
    """What the classroom page says of where the classes are kept: nothing while they are safe
    (a database server, a copy being kept, a disk of one's own)."""

    def warning() -> tuple[str, dict] | None:
        if backup is None:
            return ("classes_here_only", {}) if on_space and store.path is not None else None
        if backup.error is not None:
            return "classes_copy_failed", {"folder": str(backup.folder), "error": backup.error}
        return None

    return warning


def queue(demo: gr.Blocks) -> gr.Blocks:
    """The Blocks' ``queue()`` with the app's settings; the benchmarks' floor queues the same way."""
    quiet_gradio_queue()
    return demo.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=QUEUE_MAX_SIZE)


def serve(demo: gr.Blocks, i18n: gr.I18n, settings: Settings | None = None) -> str:
    """Start ``demo`` with the app's settings, without blocking; returns its address. The
    benchmarks' floor starts the same way."""
    settings = settings or Settings()
    # Start-up leaves a large heap (Gradio, torch, pandas, the pages) that lives as long as the
    # server; frozen, full garbage collections skip it instead of pausing the server to walk it.
    gc.collect()
    gc.freeze()
    gate.sweep(settings.upload_dir, older_than_s=UPLOADS_KEPT_S)
    demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        share=settings.share or None,
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
    settings = Settings.read(argv)
    # One drawing is a tiny forward pass; intra-op threads only fight the server's own threads for
    # two cores (benchmarks/README.md).
    torch.set_num_threads(1)
    store, backup = open_classes(settings)
    try:
        classifier = Classifier(settings.device)
    except WeightsError as error:  # a weights or metrics file missing, corrupt, or not JSON
        raise SystemExit(f"error: {error}") from error
    i18n = translations(classifier.metrics, classifier.device_label, on_zerogpu())
    demo = build_demo(classifier, i18n, store, settings, storage_warning(store, backup, settings.on_space))
    root = serve(demo, i18n, settings)
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
