"""The classroom's wall tab, called as the app calls it: a class's wall with its cards and
filters, its timer, the teacher's controls (each needs the class's teacher key), the fine-tuned
copy and the address students join at."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest
from PIL import Image

from demo.classroom import fine_tune, live_training, wall
from demo.classroom.room import Classroom, LazyMNIST
from mnist_models.classes.archive import import_archive
from tests.conftest import draw_digit, pad_value, send_drawing

ADDRESS = "198.51.100.7"


def class_with(room: Classroom, classifier, drawings: list[tuple[int, int]]):
    """A new class in ``room`` holding drawn digits (digit drawn, digit meant), each from its own
    page; (the class, its teacher key)."""
    school_class, secret = room.store.start_class()
    for n, (drawn, meant) in enumerate(drawings):
        send_drawing(room.store, classifier, school_class.code, pad_value(draw_digit(drawn)), meant, f"page-{n}")
    return school_class, {"code": school_class.code, "secret": secret}


def test_the_wall_shows_each_drawing_with_its_label_and_both_answers(classifier, store):
    room = Classroom(classifier, store)
    school_class, _ = class_with(room, classifier, [(7, 7), (1, 1), (0, 6)])
    class_with(room, classifier, [(7, 7)])  # another class's drawing is not on this wall
    grid, figures, version = wall.view(room, school_class, -1, "all")
    assert version == "3|" and school_class.wall.version == 3  # the wall's version, and no warning
    assert grid.count('class="wall-card') == 3 and 'data-count="3"' in grid
    assert grid.index('data-label="6"') < grid.index('data-label="7"')  # newest first
    assert grid.count('class="wall-card missed"') == 1 and "Softmax 0 ✗" in grid
    assert grid.count("data:image/png;base64,") == 3 and "#3" in grid  # each card's number
    assert "<b>3</b> drawings" in figures and "66.7%" in figures  # 2 of 3 right for both models
    assert "on the MNIST test set" in figures and f"{classifier.metrics['mlp']['test_accuracy']:.1%}" in figures
    assert figures.count('class="confusion-table"') == 2
    only_sixes, _, _ = wall.view(room, school_class, 6, "all")
    assert only_sixes.count('class="wall-card') == 1
    missed, _, _ = wall.view(room, school_class, "-1", "mlp")
    assert missed.count('class="wall-card') == 1 and 'data-label="6"' in missed
    korean, figures, _ = wall.view(room, school_class, -1, "all", "ko")
    assert "학급 그림 정확도" in figures and "소프트맥스 0 ✗" in korean


@pytest.mark.parametrize("digit, missed", [(None, None), ("x" * 100_000, []), (11, "cnn"), ({}, {"a": 1}), (True, 7)])
def test_hostile_filters_show_the_whole_wall(classifier, store, digit, missed):
    room = Classroom(classifier, store)
    school_class, _ = class_with(room, classifier, [(7, 7), (1, 1)])
    grid, _, _ = wall.view(room, school_class, digit, missed)
    assert grid.count('class="wall-card') == 2


def test_the_timer_redraws_only_when_the_wall_moved(classifier, store):
    room = Classroom(classifier, store)
    school_class, _ = class_with(room, classifier, [(7, 7)])
    skipped = lambda value: isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1
    grid, _, version = wall.tick(room, school_class, -1, -1, "all", "en")
    assert "wall-card" in grid
    assert all(skipped(value) for value in wall.tick(room, school_class, version, -1, "all", "en"))
    for hostile in (None, "1", True, 1e9, [version]):
        assert not skipped(wall.tick(room, school_class, hostile, -1, "all", "en")[0])
    send_drawing(room.store, classifier, school_class.code, pad_value(draw_digit(1)), 1, "another page")
    grid, _, newer = wall.tick(room, school_class, version, -1, "all", "en")
    assert newer == f"{int(version.split('|')[0]) + 1}|" and grid.count('class="wall-card') == 2


def test_every_teacher_control_needs_the_class_teacher_key(classifier, store, tmp_path):
    room = Classroom(classifier, store, LazyMNIST(tmp_path, download=False))
    school_class, key = class_with(room, classifier, [(7, 7), (1, 1)])
    _, other_key = class_with(room, classifier, [])
    refusals = {
        "Only this class's teacher can do this (from the browser that started it).",
        "Start a class first: the wall, its controls and its training belong to a class.",
    }
    addresses = (f"203.0.113.{n}" for n in range(1, 250))  # one each: none is slowed down here
    for wrong in (None, "", 7, {"code": school_class.code}, {"code": school_class.code, "secret": other_key["secret"]}):
        assert wall.clear(room, wrong, 0.0, next(addresses))[0] in refusals
        assert wall.export(room, wrong, next(addresses))[1] in refusals
        assert wall.remove(room, wrong, 1, next(addresses)) in refusals
        assert wall.undo(room, wrong, next(addresses)) in refusals
        [message] = list(fine_tune.run(room, wrong, "mlp", next(addresses)))
        assert message in refusals
        assert fine_tune.reset(room, wrong, next(addresses)) in refusals
        [frame] = list(
            live_training.run(room, "softmax", 1, 5_000, wrong, "teacher", language="en", address=next(addresses))
        )
        assert frame[0] in refusals and frame[1:] == (None, None)
    assert len(school_class.wall) == 2
    # Someone guessing keys from one address is slowed down after a few tries, even with the right one.
    for _ in range(4):
        wall.undo(room, {"code": school_class.code, "secret": "guess"}, ADDRESS)
    assert "wait" in wall.undo(room, key, ADDRESS)
    assert "기다" in wall.undo(room, key, ADDRESS, "ko") or "초 뒤" in wall.undo(room, key, ADDRESS, "ko")


def test_the_teacher_removes_clears_undoes_and_exports(classifier, store):
    room = Classroom(classifier, store)
    school_class, key = class_with(room, classifier, [(7, 7), (1, 1), (0, 0)])
    assert wall.remove(room, key, 2, ADDRESS).startswith("Drawing 2 is off the wall")
    assert [e.number for e in school_class.wall.entries()] == [1, 3]
    assert wall.undo(room, key, ADDRESS) == "Put back on the wall: 1 drawings."
    for hostile in (None, "2", 2.5, 10**30, True, [2]):
        assert "no drawing" in wall.remove(room, key, hostile, ADDRESS)
    message, pending = wall.clear(room, key, 0.0, ADDRESS)
    assert "Press Clear again" in message and len(school_class.wall) == 3  # asked, not done
    message, _ = wall.clear(room, key, pending, ADDRESS)
    assert message.startswith("The wall is empty") and len(school_class.wall) == 0
    assert wall.undo(room, key, ADDRESS) == "Put back on the wall: 3 drawings."
    button, message = wall.export(room, key, ADDRESS)
    assert message == "3 drawings in the ZIP: press Download."
    assert button["visible"] is True  # the download button shows once there is a ZIP in it
    path = Path(button["value"])
    with zipfile.ZipFile(path) as archive:
        assert len(archive.namelist()) == 5  # class.json, drawings.csv, three pictures
    assert len(import_archive(path.read_bytes())) == 3


def test_fine_tuning_a_copy_from_the_wall_tab(classifier, store, tmp_path):
    from mnist_models.training.fine_tuning import MIN_DRAWINGS

    room = Classroom(classifier, store, LazyMNIST(tmp_path, download=False))
    school_class, key = class_with(room, classifier, [(7, 1), (1, 7)] * 3)
    assert "at least 10" in list(fine_tune.run(room, key, "mlp"))[-1]
    for n in range(MIN_DRAWINGS):
        send_drawing(
            store, classifier, school_class.code, pad_value(draw_digit((7, 1)[n % 2])), (1, 7)[n % 2], f"more-{n}"
        )
    frames = list(fine_tune.run(room, key, "softmax", ADDRESS, "en"))
    assert frames[0].startswith("Fine-tuning a copy of softmax regression")
    final = frames[-1]
    assert final.startswith("Copy of softmax regression: fine-tuned for") and "alone (no MNIST on this server)" in final
    tuned = store.find(school_class.code).tuned
    assert "held-back drawings: **" in final and tuned["model"] == "softmax"
    assert type(store)(store.path.parent).find(school_class.code).tuned == tuned  # kept
    assert fine_tune.reset(room, key).startswith("The fine-tuned copy is gone")
    assert store.find(school_class.code).tuned is None
    assert fine_tune.reset(room, key) == "There is no fine-tuned copy."


@pytest.mark.parametrize(
    "headers, url",
    [
        ({"host": "10.0.0.5:7860"}, "http://10.0.0.5:7860/"),
        ({"host": "class.example.org"}, "http://class.example.org/"),
        (
            {"host": "a:1", "x-forwarded-host": "mnist.example.org", "x-forwarded-proto": "https"},
            "https://mnist.example.org/",
        ),
        ({"host": "a", "x-forwarded-host": "x.org, y.org", "x-forwarded-proto": "https, http"}, "https://x.org/"),
        ({"host": "x.org", "x-forwarded-proto": "javascript"}, "http://x.org/"),
        ({"host": 'evil.org/"><script>'}, None),
        ({"host": "user@evil.org"}, None),
        ({"host": "x.org:99999999"}, None),
        ({"host": "-x.org"}, None),
        ({"host": ""}, None),
        ({}, None),
    ],
)
def test_the_address_to_join_is_the_one_the_page_was_opened_at_if_it_is_a_plain_host(headers, url):
    from demo.classroom.wall import student_url

    assert student_url(SimpleNamespace(headers=headers)) == url


def test_the_join_box_shows_the_address_and_a_qr_code_of_it():
    import base64
    import io

    import zxingcpp

    box = wall.join_html(SimpleNamespace(headers={"host": "192.168.1.20:7860"}), "KX7M3P")
    assert ">http://192.168.1.20:7860/?class=KX7M3P</a>" in box
    data = re.search(r'src="data:image/png;base64,([^"]+)"', box).group(1)
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(data))))
    assert code.text == "http://192.168.1.20:7860/?class=KX7M3P"
    assert "<img" not in wall.join_html(SimpleNamespace(headers={"host": "<script>"}), "KX7M3P")
