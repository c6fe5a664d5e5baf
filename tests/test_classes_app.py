"""Classes over HTTP, as the pages call them: a teacher starts a class and gets its code and key;
students' labelled drawings reach the wall of the class their page names, and no other; a wrong
key, values no page would send and a full or paused class get a clear message and the app keeps
answering; a class survives a ``kill -9`` and a restart, and its export imports into a new one."""

from __future__ import annotations

import io
import os
import re
import signal
import zipfile
import zlib

import pytest

from tests.conftest import draw_digit, pad_value
from tests.live_app import GradioHTTP, file_data, live_app, running_app
from tests.test_security import assert_still_answering

pytestmark = pytest.mark.app

NOT_TEACHER = "Only this class's teacher can do this (from the browser that started it)."
OWN = object()  # a tap sending the digit tapped


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    env = {"MNIST_CLASSES_DIR": str(tmp_path_factory.mktemp("classes")), "MNIST_FORWARDED_HOPS": "1"}
    with running_app(env_extra=env) as url:
        client = GradioHTTP(url, timeout_s=30)
        yield client
        client.close()


class Classroom:
    """One teacher's classroom page over HTTP: it starts a class, then is opened again with the
    class's key as the teacher's browser keeps it; the class's events are made for that page
    (gr.render) and called in its session."""

    def __init__(self, app: GradioHTTP, session: str, key: dict | None = None) -> None:
        self.app, self.session = app, session
        if key is None:
            self.open(None)
            completed = app.event(self.on(self.by_elem("class-start"), "click")["id"], [""], None, session)
            key, message = completed["output"]["data"]
            assert "has started" in message, message
        self.key = key
        self.code = key["code"]
        self.open(key)

    def open(self, key: object) -> dict:
        home = {c["id"] for c in self.app.config()["components"]}
        config = self.app.open_page("classroom", self.session, key)
        self.components, self.dependencies = config["components"], config["dependencies"]
        self.rendered = {c["id"] for c in self.components} - home
        self.meant = self.by_elem("meant")
        return config

    def by_elem(self, elem_id: str) -> int:
        return next(c["id"] for c in self.components if c.get("props", {}).get("elem_id") == elem_id)

    def on(self, target: int, event: str) -> dict:
        return next(d for d in self.dependencies if [target, event] in d["targets"])

    def call(self, target: int, event: str, data: list, session: str | None = None) -> dict:
        session = self.session if target in self.rendered else session
        # Each page from an address of its own, as students' phones reach a server on the school
        # network; the app believes the header because the test says one proxy stands in front.
        address = {"x-forwarded-for": f"198.51.100.{zlib.crc32(session.encode()) % 250 + 1}"}
        completed = self.app.event(self.on(target, event)["id"], data, target, session, headers=address)
        assert completed["msg"] == "process_completed" and "Traceback" not in str(completed.get("output"))
        return completed

    def tap(self, digit: str, drawing: object, session: str, sent: object = OWN, code: object = None) -> str:
        """A student's tap on ``digit`` in the "what I meant" row, on a page holding this class's
        code (or ``code``), sending ``sent`` as the digit (default: ``digit``)."""
        data = [drawing, digit if sent is OWN else sent, self.code if code is None else code]
        completed = self.call(self.meant, "input", data, session)
        assert completed["success"], completed
        return completed["output"]["data"][1]

    def wall(self, digit: object = -1, missed: object = "all") -> tuple[str, str]:
        """The wall and its figures, as the classroom page gets them when a filter changes."""
        grid, figures, _ = self.call(self.by_elem("wall-digit"), "input", [digit, missed])["output"]["data"]
        return grid, figures

    def teacher(self, elem_id: str, data: list, key: object = OWN) -> list:
        """A teacher control, sent with this browser's key (or ``key``)."""
        completed = self.call(self.by_elem(elem_id), "click", [self.key if key is OWN else key, *data])
        assert completed["success"], completed
        return completed["output"]["data"]


@pytest.fixture(scope="module")
def events(app):
    return Classroom(app, "projector")


def test_labelled_drawings_reach_the_wall_of_their_class_alone(app, events):
    choices = next(c for c in events.components if c["id"] == events.meant)["props"]["choices"]
    assert [value for _, value in choices] == [str(d) for d in range(10)]
    other = Classroom(app, "other-projector")
    assert other.tap("3", pad_value(draw_digit(7)), "other-student").startswith("On the class wall")
    for n, (digit, meant) in enumerate([(7, "7"), (1, "1"), (0, "0"), (7, "1")]):
        message = events.tap(meant, pad_value(draw_digit(digit)), f"student-{n % 2}")
        assert message.startswith(f"On the class wall as **{meant}**"), message
    grid, figures = events.wall()
    assert 'data-count="4"' in grid and grid.count('class="wall-card') == 4
    labels = re.findall(r'data-label="(\d)"', grid)
    assert labels == ["1", "0", "1", "7"]  # newest first
    assert grid.count("Softmax 7") == 2 and grid.count("MLP 7") == 2  # both 7s read as 7 ...
    assert grid.count('class="wall-card missed"') == 1  # ... one of them meant as 1
    assert "<b>4</b> drawings" in figures and "75.0%" in figures
    grid, _ = events.wall(digit=1)
    assert re.findall(r'data-label="(\d)"', grid) == ["1", "1"]
    grid, _ = events.wall(missed="mlp")
    assert re.findall(r'data-label="(\d)"', grid) == ["1"]
    grid, _ = other.wall()
    assert re.findall(r'data-label="(\d)"', grid) == ["3"]  # the other class sees its own drawing only


@pytest.mark.parametrize(
    "drawing, sent, message",
    [
        (pad_value(draw_digit(7)), "11", "Tap one of the digits 0-9."),
        (pad_value(draw_digit(7)), 11, "Tap one of the digits 0-9."),
        (pad_value(draw_digit(7)), None, "Tap one of the digits 0-9."),
        (pad_value(draw_digit(7)), {"digit": 7}, "Tap one of the digits 0-9."),
        (pad_value(draw_digit(7)), "7" * 1_000_000, "Tap one of the digits 0-9."),
        ("", "7", "Draw a digit first"),
        (None, "7", "Draw a digit first"),
        (12345, "7", "did not arrive as a PNG"),
        ("/etc/passwd", "7", "did not arrive as a PNG"),
        ({"path": "/etc/passwd"}, "7", "did not arrive as a PNG"),
        ("data:image/png;base64," + "A" * (9 * 1024 * 1024), "7", "MB of text"),
    ],
    ids=[
        "eleven",
        "int-eleven",
        "none",
        "dict",
        "huge-digit",
        "blank",
        "no-drawing",
        "number",
        "path",
        "file-data",
        "9-mb",
    ],
)
def test_hostile_taps_get_a_clear_message_and_the_app_keeps_answering(app, events, drawing, sent, message):
    before, _ = events.wall()
    reply = events.tap("7", drawing, "hostile-student", sent)
    assert message in reply, reply
    after, _ = events.wall()
    assert re.search(r'data-count="\d+"', after).group() == re.search(r'data-count="\d+"', before).group()
    assert_still_answering(app)


def test_a_page_tapping_too_fast_is_told_to_wait(events):
    drawing = pad_value(draw_digit(1))
    replies = [events.tap("1", drawing, "eager-student") for _ in range(7)]
    assert all(reply.startswith("On the class wall") for reply in replies[:5])
    assert "Too fast: wait" in replies[-1]


REFUSALS = (
    NOT_TEACHER,
    "Start a class first: the wall, its controls and its training belong to a class.",
    "There is no class with the code AAAAAA. Check the code your teacher shows.",
)


@pytest.mark.parametrize("key", [None, "", 7, ["x"], {"code": "AAAAAA"}, {"code": None, "secret": "x" * 1_000_000}])
def test_a_wrong_teacher_key_changes_nothing(app, events, key):
    grid, _ = events.wall()
    assert events.teacher("wall-clear", [0.0], key)[0] in REFUSALS
    assert events.teacher("wall-export", [], key)[1] in REFUSALS
    assert events.teacher("wall-undo", [], key)[0] in REFUSALS
    assert events.teacher("fine-tune", ["mlp"], key)[0] in REFUSALS
    assert events.teacher("class-pause", [], key)[0] in REFUSALS
    train_start = events.call(events.by_elem("train-start"), "click", ["softmax", 1, 5000, key])
    status, curves, weights = train_start["output"]["data"]
    assert status in REFUSALS and curves is None and weights is None
    assert events.wall()[0] == grid
    assert_still_answering(app)


def test_guessing_a_class_key_from_one_address_is_slowed_down(app):
    classroom = Classroom(app, "guessed-class")
    guess = {"code": classroom.code, "secret": "guess"}
    replies = [classroom.teacher("wall-undo", [], guess)[0] for _ in range(5)]
    assert replies[0] == NOT_TEACHER and "wait" in replies[-1], replies
    assert "wait" in classroom.teacher("wall-undo", [])[0]  # even the right key waits its turn


def test_a_paused_class_takes_no_drawings_and_a_wrong_code_says_so(events):
    assert events.teacher("class-pause", [])[0].startswith("The wall is paused")
    assert "paused the wall" in events.tap("7", pad_value(draw_digit(7)), "paused-student")
    assert events.teacher("class-resume", [])[0] == "The wall takes drawings again."
    for code, expected in (("MNPQRT", "There is no class with the code MNPQRT"), ("", "Not in a class yet")):
        assert expected in events.tap("7", pad_value(draw_digit(7)), "lost-student", code=code)


def test_the_teacher_exports_the_class_and_it_imports_into_a_new_one(app, events):
    events.tap("0", pad_value(draw_digit(0)), "last-student")
    grid, _ = events.wall()
    count = int(re.search(r'data-count="(\d+)"', grid).group(1))
    download, message = events.teacher("wall-export", [])
    assert message == f"{count} drawings in the ZIP: press Download."
    data = app.http.get(download["value"]["url"]).content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert {"class.json", "drawings.csv"} <= set(archive.namelist()) and len(archive.namelist()) == count + 2
    fresh = Classroom.__new__(Classroom)
    fresh.app, fresh.session = app, "importing-teacher"
    fresh.open(None)
    upload = fresh.by_elem("class-import")
    completed = fresh.call(upload, "upload", ["", file_data(app.upload(data, "class.zip"))])
    key, message = completed["output"]["data"]
    assert f"with the {count} imported drawings" in message, message
    imported = Classroom(app, "importing-teacher", key)
    assert imported.code != events.code
    assert re.findall(r'data-label="(\d)"', imported.wall()[0]) == re.findall(r'data-label="(\d)"', grid)
    message, pending = events.teacher("wall-clear", [0.0])
    assert "Press Clear again" in message
    assert events.teacher("wall-clear", [pending])[0].startswith("The wall is empty")
    assert 'data-count="0"' in events.wall()[0]
    assert events.teacher("wall-undo", [])[0] == f"Put back on the wall: {count} drawings."


def test_the_classroom_timer_sends_the_wall_only_when_it_moved(events):
    timer = next(c["id"] for c in events.components if c["type"] == "timer")
    skipped = lambda data: all(isinstance(value, dict) and value.get("__type__") == "update" for value in data[:2])
    # The page keeps the version it shows on the server (a gr.State): what a client sends for it is ignored.
    events.call(timer, "tick", [None, -1, "all"])  # up to date with any earlier test
    assert skipped(events.call(timer, "tick", [None, -1, "all"])["output"]["data"])
    events.tap("7", pad_value(draw_digit(7)), "timer-student")
    moved = events.call(timer, "tick", [None, -1, "all"])["output"]["data"]
    assert "wall-card" in moved[0]
    assert skipped(events.call(timer, "tick", [-1, -1, "all"])["output"]["data"])


def test_every_acknowledged_drawing_is_back_under_its_code_after_a_kill_9(tmp_path):
    env = {"MNIST_CLASSES_DIR": str(tmp_path), "MNIST_FORWARDED_HOPS": "1"}
    with live_app(env_extra=env) as server:
        app = GradioHTTP(server.url)
        classroom = Classroom(app, "teacher")
        acknowledged = [
            classroom.tap(str(d), pad_value(draw_digit(d)), f"student-{n}") for n, d in enumerate((7, 1, 0, 7))
        ]
        assert all(reply.startswith("On the class wall") for reply in acknowledged)
        os.kill(server.process.pid, signal.SIGKILL)  # mid-lesson: no shutdown, no flush
        server.process.wait()
        app.close()
    with live_app(env_extra=env) as server:
        app = GradioHTTP(server.url)
        restarted = Classroom(app, "teacher", classroom.key)
        assert re.findall(r'data-label="(\d)"', restarted.wall()[0]) == ["7", "0", "1", "7"]
        assert restarted.tap("1", pad_value(draw_digit(1)), "late-student").startswith("On the class wall")
        app.close()
