"""A class outlives its machine: the live database on the local disk, a copy on storage that
outlives it (``--backup-dir``), restored on a new machine before the app serves anyone. A clean
stop loses nothing, nor does a ``kill -9`` 3 s after the last drawing; a copy that cannot be written is said
and the drawings stay on the server; a copy that cannot be read stops the start with what to do."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time

import numpy as np
import pytest

from mnist_models.classes.backup import REPLICA, Backup, restore
from mnist_models.classes.class_wall import Entry
from mnist_models.classes.database import DATABASE, StoreError
from mnist_models.classes.store import ClassStore
from tests.conftest import draw_digit, pad_value
from tests.live_app import GradioHTTP, live_app
from tests.test_classes_app import Classroom


def entry(label: int) -> Entry:
    return Entry(
        number=0,
        image=np.full((28, 28), label / 10, np.float32),
        thumbnail=b"png",
        label=label,
        answers={"softmax": label, "mlp": label},
        time=0.0,
        key="",
    )


def a_class_with_drawings(folder, labels=(7, 1, 0)) -> tuple[ClassStore, str, str]:
    store = ClassStore(folder)
    school_class, secret = store.start_class()
    for n, label in enumerate(labels):
        store.add_drawing(school_class.code, entry(label), f"page-{n}")
    return store, school_class.code, secret


def test_a_new_machine_gets_every_class_back_from_the_copy(tmp_path):
    (tmp_path / "bucket").mkdir()
    store, code, secret = a_class_with_drawings(tmp_path / "machine-1")
    backup = Backup(store.path, tmp_path / "bucket")
    store.add_drawing(code, entry(4), "late-page")
    backup.close()  # a clean stop: Litestream's last sync
    assert backup.error is None and (tmp_path / "bucket" / REPLICA).is_dir()

    fresh = tmp_path / "machine-2" / DATABASE
    assert restore(fresh, tmp_path / "bucket")
    again = ClassStore(fresh.parent)
    school_class = again.as_teacher(code, secret)
    assert [e.label for e in school_class.wall.entries()] == [7, 1, 0, 4]
    assert again.browser_secret == store.browser_secret  # the teacher's browser still reads its key
    assert not restore(fresh, tmp_path / "bucket")  # a machine with its database keeps it


def corrupt_copy(bucket) -> None:
    level = bucket / REPLICA / "ltx" / "0"
    level.mkdir(parents=True)
    (level / "0000000000000001-0000000000000001.ltx").write_bytes(b"\x07" * 5000)


def test_a_copy_that_cannot_be_read_stops_the_start_and_is_never_replaced(tmp_path):
    bucket = tmp_path / "bucket"
    corrupt_copy(bucket)
    with pytest.raises(StoreError, match="cannot be read.*move it aside"):
        restore(tmp_path / "machine" / DATABASE, bucket)
    assert not (tmp_path / "machine" / DATABASE).exists()
    assert next((bucket / REPLICA).rglob("*.ltx")).read_bytes() == b"\x07" * 5000  # left as it was

    store, _, _ = a_class_with_drawings(tmp_path / "newer")
    with store.engine.begin() as db:
        db.exec_driver_sql("UPDATE settings SET value = '99' WHERE name = 'schema_version'")
    newer = tmp_path / "newer-bucket"
    newer.mkdir()
    Backup(store.path, newer).close()
    with pytest.raises(StoreError, match="version 99, newer"):
        restore(tmp_path / "machine" / DATABASE, newer)


@contextlib.contextmanager
def read_only_folder(path):
    """A folder nobody may write to, root included: a read-only file system mounted there."""
    path.mkdir()
    if os.geteuid() != 0:
        path.chmod(0o555)
        yield path
        path.chmod(0o755)
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=True)


def error_of(backup: Backup) -> str | None:
    """The copy's error, once Litestream has tried to write (it tries every second)."""
    for _ in range(100):
        if backup.error:
            return backup.error
        time.sleep(0.1)
    return None


@pytest.mark.parametrize("storage", ["read-only", "missing", "not a folder"])
def test_a_copy_that_cannot_be_written_is_said_and_no_drawing_is_lost(tmp_path, storage):
    store, code, _ = a_class_with_drawings(tmp_path / "machine")
    with contextlib.ExitStack() as stack:
        folder = tmp_path / "bucket"
        if storage == "read-only":
            stack.enter_context(read_only_folder(folder))
        elif storage == "not a folder":
            folder.write_text("a file where the mount should be")
        backup = Backup(store.path, folder)
        store.add_drawing(code, entry(5), "page-after")
        assert error_of(backup)
        backup.close()
        assert not (folder / REPLICA).exists()
    assert [e.label for e in store.find(code).wall.entries()] == [7, 1, 0, 5]


# The app, started as a Space starts it, over HTTP -------------------------------------------------


def secret_of(app: GradioHTTP) -> str:
    """The secret the classroom page's browser storage is encrypted with, from the page's config."""
    config = app.config()
    return next(c["props"]["secret"] for c in config["components"] if c["type"] == "browserstate")


def tap_all(classroom: Classroom, digits) -> None:
    for n, digit in enumerate(digits):
        reply = classroom.tap(str(digit), pad_value(draw_digit(digit)), f"student-{n}")
        assert reply.startswith("On the class wall"), reply


def labels_on(classroom: Classroom) -> list[str]:
    return re.findall(r'data-label="(\d)"', classroom.wall()[0])


@pytest.mark.app
@pytest.mark.parametrize("stop", ["SIGTERM", "kill -9, 3 s after the last drawing"])
def test_a_class_comes_back_on_an_empty_machine_from_the_backup_dir(tmp_path, stop):
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    env = {"MNIST_CLASSES_DIR": str(tmp_path / "machine-1"), "MNIST_BACKUP_DIR": str(bucket)}
    env["MNIST_FORWARDED_HOPS"] = "1"
    with live_app(env_extra=env) as server:
        app = GradioHTTP(server.url)
        secret, teacher = secret_of(app), Classroom(app, "teacher")
        tap_all(teacher, (7, 1, 0, 7, 1))
        if stop == "SIGTERM":
            os.kill(server.process.pid, signal.SIGTERM)
        else:
            time.sleep(3)
            os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
        app.close()
    shutil.rmtree(tmp_path / "machine-1")  # a Space's disk after a restart
    env["MNIST_CLASSES_DIR"] = str(tmp_path / "machine-2")
    with live_app(env_extra=env) as server:
        app = GradioHTTP(server.url)
        assert secret_of(app) == secret
        again = Classroom(app, "teacher", teacher.key)  # the key the teacher's browser kept
        assert again.code == teacher.code and labels_on(again) == ["1", "7", "0", "1", "7"]
        assert again.teacher("wall-remove", [2])[0].startswith("Drawing 2 is off the wall")
        tap_all(again, (0,))
        assert labels_on(again) == ["0", "1", "7", "0", "7"]
        app.close()


@pytest.mark.app
def test_the_app_says_where_its_classes_are_kept_and_a_bad_copy_stops_it(tmp_path):
    bucket = tmp_path / "bucket"
    corrupt_copy(bucket)
    env = {"MNIST_CLASSES_DIR": str(tmp_path / "machine"), "MNIST_BACKUP_DIR": str(bucket)}
    with (
        pytest.raises(RuntimeError, match=r"(?s)exited with 1.*cannot be read.*move it aside"),
        live_app(env_extra=env),
    ):
        pass
    assert not (tmp_path / "machine" / DATABASE).exists()

    # On a Space without a bucket: the teacher is told, in their language, that a restart loses the classes.
    env = {"MNIST_CLASSES_DIR": str(tmp_path / "machine"), "SPACE_ID": "someone/mnist-draw", "MNIST_BACKUP_DIR": ""}
    with live_app(env_extra=env) as server:
        app = GradioHTTP(server.url)
        page = str(app.open_page("classroom", "teacher"))
        assert "lost when this Space restarts" in page
        app.close()

    # A backup dir that cannot be written: the page says so, and drawings are kept on the server.
    (tmp_path / "not-a-folder").write_text("where the bucket should be mounted")
    env = {"MNIST_CLASSES_DIR": str(tmp_path / "machine-2"), "MNIST_BACKUP_DIR": str(tmp_path / "not-a-folder")}
    env["MNIST_FORWARDED_HOPS"] = "1"
    with live_app(env_extra=env) as server:
        app = GradioHTTP(server.url)
        teacher = Classroom(app, "teacher")
        tap_all(teacher, (7,))
        assert labels_on(teacher) == ["7"]
        assert "cannot be copied to" in teacher.wall()[1] and "is not a folder" in teacher.wall()[1]
        app.close()


def test_a_space_is_warned_only_when_its_classes_die_with_its_disk(tmp_path):
    from demo.app import storage_warning

    on_disk = ClassStore(tmp_path / "disk")
    assert storage_warning(on_disk, None, on_space=True)() == ("classes_here_only", {})
    shared = ClassStore(url=f"sqlite:///{tmp_path / 'server.sqlite3'}")  # as a database server is
    assert storage_warning(shared, None, on_space=True)() is None
    assert storage_warning(on_disk, None, on_space=False)() is None  # a disk of one's own
