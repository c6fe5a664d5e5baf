"""Classes of their own: a join code and a teacher secret per class, its wall kept in SQLite
across restarts and a ``kill -9``, run by its teacher (remove, pause, clear, undo), bounded, expiring
when idle, and exported and imported as a ZIP that is checked as hostile input."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import zipfile

import pytest

from mnist_models.classes import codes
from mnist_models.classes.archive import export_archive, import_archive
from mnist_models.classes.class_wall import WallError
from mnist_models.classes.database import StoreError
from mnist_models.classes.store import UNDO_S, ClassStore
from tests.conftest import draw_digit, pad_value, send_drawing
from tests.live_app import ROOT

SEVEN = pad_value(draw_digit(7))


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def send(store: ClassStore, classifier, code: str, label: int = 7, page: str = "student", value: str = SEVEN):
    return send_drawing(store, classifier, code, value, label, page)


def test_a_join_code_is_short_and_has_no_characters_that_look_alike():
    code = codes.new_code()
    assert len(code) == 6 and not set(code) & set("0O1IL2Z5S6G8B")
    assert codes.read_code(f" {code.lower()[:3]}-{code.lower()[3:]} ") == code
    for bad in (None, 7, "", "ABC", "ABCDEFG", "ABC0EF", "x" * 10_000, ["ABCDEF"]):
        assert codes.read_code(bad) is None


def test_two_classes_keep_their_drawings_apart(tmp_path, classifier):
    store = ClassStore(tmp_path)
    (first, _), (second, _) = store.start_class(), store.start_class()
    assert first.code != second.code
    send(store, classifier, first.code, 7)
    send(store, classifier, second.code, 1, value=pad_value(draw_digit(1)))
    assert [e.label for e in store.find(first.code).wall.entries()] == [7]
    assert [e.label for e in store.find(second.code).wall.entries()] == [1]


def test_only_the_teacher_secret_opens_a_class_for_its_teacher(tmp_path):
    store = ClassStore(tmp_path)
    (school_class, secret), (_, other_secret) = store.start_class(), store.start_class()
    assert store.as_teacher(school_class.code, secret).code == school_class.code
    for wrong in (other_secret, "", None, 7, secret + "x", "x" * 100_000):
        with pytest.raises(WallError) as refused:
            store.as_teacher(school_class.code, wrong)
        assert refused.value.reason == "not_teacher"


def test_a_wrong_code_and_an_expired_class_are_told_apart(tmp_path, classifier):
    clock = Clock()
    store = ClassStore(tmp_path, idle_s=3600, clock=clock)
    school_class, _ = store.start_class()
    with pytest.raises(WallError) as unknown:
        store.find("AAAAAA" if school_class.code != "AAAAAA" else "CCCCCC")
    assert unknown.value.reason == "unknown_class"
    clock.now += 3601
    with pytest.raises(WallError) as expired:
        send(store, classifier, school_class.code)
    assert expired.value.reason == "expired"
    with sqlite3.connect(tmp_path / "classes.sqlite3") as db:
        assert not db.execute("SELECT * FROM drawings").fetchall()  # its data is deleted


def test_drawings_survive_a_restart_under_the_same_code(tmp_path, classifier):
    store = ClassStore(tmp_path)
    school_class, secret = store.start_class()
    sent = [send(store, classifier, school_class.code, label, f"page-{label}") for label in (7, 7, 3)]
    store.set_paused(school_class, True)
    again = ClassStore(tmp_path)
    restored = again.as_teacher(school_class.code, secret)
    assert [(e.number, e.label, e.answers) for e in restored.wall.entries()] == [
        (e.number, e.label, e.answers) for e in sent
    ]
    assert restored.paused and restored.wall.entries()[0].probabilities == sent[0].probabilities


KILLED_WRITER = """
import os, sys
sys.path.insert(0, {root!r})
from mnist_models.classes.class_wall import Entry
from mnist_models.classes.store import ClassStore
from mnist_models.reading.classifier import Classifier
from tests.conftest import draw_digit, pad_value, send_drawing
store = ClassStore({folder!r})
school_class, secret = store.start_class()
classifier = Classifier("cpu")
seven = pad_value(draw_digit(7))
for n in range(5):
    store.add_drawing(school_class.code, Entry.of_reading(classifier.read(seven, source='pad'), seven, 7), f"page-{{n}}")
    print("acknowledged", school_class.code, n + 1, flush=True)
print("secret", secret, flush=True)
sys.stdin.readline()  # killed here, mid-lesson
"""


def test_every_acknowledged_drawing_is_back_after_a_kill_9(tmp_path):
    script = KILLED_WRITER.format(root=str(ROOT), folder=str(tmp_path))
    process = subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lines = []
    while not (lines and lines[-1].startswith("secret")):
        lines.append(process.stdout.readline())
        assert lines[-1], "the writer stopped before it was killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    code, acknowledged = lines[-2].split()[1], int(lines[-2].split()[2])
    school_class = ClassStore(tmp_path).as_teacher(code, lines[-1].split()[1])
    assert len(school_class.wall) == acknowledged == 5


def test_a_full_class_and_a_full_server_say_so(tmp_path, classifier):
    store = ClassStore(tmp_path, max_classes=2, capacity=2)
    school_class, _ = store.start_class()
    send(store, classifier, school_class.code, page="a")
    send(store, classifier, school_class.code, page="b")
    with pytest.raises(WallError) as full:
        send(store, classifier, school_class.code, page="c")
    assert full.value.reason == "full"
    store.start_class()
    with pytest.raises(WallError) as no_room:
        store.start_class()
    assert no_room.value.reason == "server_full"


def test_the_teacher_pauses_removes_clears_and_undoes(tmp_path, classifier):
    clock = Clock()
    store = ClassStore(tmp_path, clock=clock)
    school_class, _ = store.start_class()
    first, second = (
        send(store, classifier, school_class.code, page="a"),
        send(store, classifier, school_class.code, page="b"),
    )
    store.remove(school_class, first.number)
    assert [e.number for e in school_class.wall.entries()] == [second.number]
    assert store.undo(school_class) == ("remove", 1)
    assert [e.number for e in school_class.wall.entries()] == [first.number, second.number]
    store.set_paused(school_class, True)
    with pytest.raises(WallError) as paused:
        send(store, classifier, school_class.code, page="c")
    assert paused.value.reason == "paused"
    store.clear(school_class)
    assert len(school_class.wall) == 0 and len(ClassStore(tmp_path, clock=clock).find(school_class.code).wall) == 0
    clock.now += UNDO_S + 1
    with pytest.raises(WallError) as late:
        store.undo(school_class)
    assert late.value.reason == "too_late"
    for hostile in (None, "1", True, -1, 10**9):
        with pytest.raises(WallError):
            store.remove(school_class, hostile)


def test_an_exported_class_imports_into_a_new_one_exactly(tmp_path, classifier):
    store = ClassStore(tmp_path)
    school_class, _ = store.start_class()
    for label, digit in ((7, 7), (1, 1), (0, 0), (7, 1)):
        send(store, classifier, school_class.code, label, f"page-{label}-{digit}", pad_value(draw_digit(digit)))
    exported = export_archive(school_class.wall.entries())
    imported, _ = store.start_class(import_archive(exported))
    assert imported.code != school_class.code
    assert export_archive(imported.wall.entries()) == exported
    assert [(e.label, e.answers, e.probabilities) for e in imported.wall.entries()] == [
        (e.label, e.answers, e.probabilities) for e in school_class.wall.entries()
    ]


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_corrupt_or_hostile_import_is_refused_with_a_reason(tmp_path, classifier):
    store = ClassStore(tmp_path)
    school_class, _ = store.start_class()
    send(store, classifier, school_class.code)
    good = export_archive(school_class.wall.entries())
    with zipfile.ZipFile(io.BytesIO(good)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    csv_text = members["drawings.csv"].decode()
    hostile = [
        b"not a zip",
        good[: len(good) // 2],
        b"PK" + b"\0" * 30,
        zip_of({**members, "../../etc/passwd": b"x"}),
        zip_of({**members, "images/00001.png": b"not a png"}),
        zip_of({**members, "images/00001.png": draw_digit_png(56)}),
        zip_of({**members, "class.json": b'{"format": "something else"}'}),
        zip_of({**members, "drawings.csv": csv_text.replace(",7,", ",12,", 1).encode()}),
        zip_of({**members, "drawings.csv": b"number\n1\n"}),
        zip_of({**members, "drawings.csv": b"\0" * (5 * 1024 * 1024)}),
        zip_of({k: v for k, v in members.items() if k != "class.json"}),
    ]
    for data in hostile:
        with pytest.raises(WallError) as refused:
            import_archive(data)
        assert refused.value.reason == "bad_import" and "not a class exported" in str(refused.value)


def draw_digit_png(side: int) -> bytes:
    buffer = io.BytesIO()
    draw_digit(7).convert("L").resize((side, side)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_folder_that_cannot_be_written_fails_at_once(tmp_path):
    blocked = tmp_path / "blocked"
    blocked.write_text("a file, not a folder")
    with pytest.raises(StoreError, match="--classes-dir"):
        ClassStore(blocked)
