"""The class wall over HTTP, as the pages call it: students' labelled drawings reach the classroom's
wall with both models' answers; values no page would send, and a wrong teacher password, get a
clear message and the app keeps answering."""

from __future__ import annotations

import io
import re
import time
import zipfile

import pytest

from tests.conftest import draw_digit, pad_value
from tests.live_app import GradioHTTP, running_app
from tests.test_security import assert_still_answering

pytestmark = pytest.mark.app

PASSWORD = "correct horse"
WRONG = "Wrong or missing teacher password."
OWN = object()  # a tap sending the digit tapped


@pytest.fixture(scope="module")
def app():
    with running_app(env_extra={"MNIST_TEACHER_PASSWORD": PASSWORD}) as url:
        client = GradioHTTP(url, timeout_s=30)
        yield client
        client.close()


class Events:
    """The wall's events in the pages' config, found by what they are attached to. The classroom's
    are made for each page that opens it (gr.render): they are called in the session of one
    classroom page, opened once."""

    CLASSROOM = "projector"

    def __init__(self, app: GradioHTTP) -> None:
        self.app = app
        home = {c["id"] for c in app.config()["components"]}
        config = app.open_page("classroom", self.CLASSROOM)
        self.components = config["components"]
        self.dependencies = config["dependencies"]
        self.rendered = {c["id"] for c in self.components} - home
        self.meant = self.by_elem("meant")

    def by_elem(self, elem_id: str) -> int:
        return next(c["id"] for c in self.components if c.get("props", {}).get("elem_id") == elem_id)

    def on(self, target: int, event: str) -> dict:
        return next(d for d in self.dependencies if [target, event] in d["targets"])

    def call(self, target: int, event: str, data: list, session: str) -> dict:
        session = self.CLASSROOM if target in self.rendered else session
        completed = self.app.event(self.on(target, event)["id"], data, target, session)
        assert completed["msg"] == "process_completed" and "Traceback" not in str(completed.get("output"))
        return completed

    def tap(self, digit: str, drawing: object, session: str, sent: object = OWN) -> str:
        """Tap ``digit`` in the "what I meant" row, sending ``sent`` as the digit (default: ``digit``)."""
        completed = self.call(self.meant, "input", [drawing, digit if sent is OWN else sent], session)
        assert completed["success"], completed
        return completed["output"]["data"][1]

    def wall(self, session: str = "projector", digit: object = -1, missed: object = "all") -> tuple[str, str]:
        """The wall and its figures, as the classroom page gets them when a filter changes."""
        completed = self.call(self.by_elem("wall-digit"), "input", [digit, missed], session)
        grid, figures, _ = completed["output"]["data"]
        return grid, figures

    def teacher(self, elem_id: str, data: list, session: str = "teacher") -> list:
        completed = self.call(self.by_elem(elem_id), "click", data, session)
        assert completed["success"], completed
        return completed["output"]["data"]


@pytest.fixture(scope="module")
def events(app):
    return Events(app)


def test_labelled_drawings_reach_the_wall_with_both_answers(events):
    choices = next(c for c in events.components if c["id"] == events.meant)["props"]["choices"]
    assert [value for _, value in choices] == [str(d) for d in range(10)]
    assert events.teacher("wall-clear", [PASSWORD]) == ["The wall is empty."]
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


@pytest.mark.parametrize("password", [None, "", "Correct horse", PASSWORD + " ", 7, [PASSWORD], "x" * 1_000_000])
def test_a_wrong_teacher_password_changes_nothing(app, events, password):
    grid, _ = events.wall()
    assert events.teacher("wall-clear", [password]) == [WRONG]
    zip_file, message = events.teacher("wall-export", [password])
    assert zip_file is None and message == WRONG
    assert events.teacher("fine-tune", [password, "mlp"]) == [WRONG]
    assert events.teacher("fine-tune-reset", [password]) == [WRONG]
    status, _, _ = events.teacher("train-start", ["softmax", 1, 5000, password])
    assert status == WRONG
    assert events.wall()[0] == grid
    assert_still_answering(app)


def test_the_teacher_downloads_the_wall_and_clears_it(app, events):
    events.tap("0", pad_value(draw_digit(0)), "last-student")
    grid, _ = events.wall()
    count = int(re.search(r'data-count="(\d+)"', grid).group(1))
    zip_file, message = events.teacher("wall-export", [PASSWORD])
    assert message == f"{count} drawings in the ZIP."
    data = app.http.get(zip_file["url"]).content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        assert "labels.csv" in names and len(names) == count + 1
    assert events.teacher("wall-clear", [PASSWORD]) == ["The wall is empty."]
    assert 'data-count="0"' in events.wall()[0]


def test_the_classroom_timer_sends_the_wall_only_when_it_moved(events):
    timer = next(c["id"] for c in events.components if c["type"] == "timer")
    start = time.perf_counter()
    skipped = lambda data: all(isinstance(value, dict) and value.get("__type__") == "update" for value in data[:2])
    # The page keeps the version it shows on the server (a gr.State): what a client sends for it is ignored.
    events.call(timer, "tick", [None, -1, "all"], events.CLASSROOM)  # up to date with any earlier test
    assert skipped(events.call(timer, "tick", [None, -1, "all"], events.CLASSROOM)["output"]["data"])
    events.tap("7", pad_value(draw_digit(7)), "timer-student")
    moved = events.call(timer, "tick", [None, -1, "all"], events.CLASSROOM)["output"]["data"]
    assert "wall-card" in moved[0]
    assert skipped(events.call(timer, "tick", [-1, -1, "all"], events.CLASSROOM)["output"]["data"])
    assert time.perf_counter() - start < 10
