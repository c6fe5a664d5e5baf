"""The drawing page's way to a class's wall: the class code it carries, and "what I meant", a tap
that sends the drawing, labelled, to that class's wall; every value the page sends is hostile."""

from __future__ import annotations

import pytest
from PIL import Image

from demo import meant_row
from tests.conftest import draw_digit, pad_value


@pytest.fixture
def joined(store):
    """A server's classes and the code of one of them, as a student's page holds it."""
    school_class, _ = store.start_class()
    return store, school_class.code


def test_a_tap_puts_the_drawing_on_its_class_wall_with_both_answers(classifier, joined):
    store, code = joined
    other, _ = store.start_class()
    sent, message = meant_row.label_drawing(classifier, store, code, pad_value(draw_digit(7)), "7", "page")
    assert sent and message == "On the class wall as **7**. Softmax regression said 7, the MLP said 7."
    [entry] = store.find(code).wall.entries()
    assert entry.label == 7 and entry.answers == {"softmax": 7, "mlp": 7}
    sent, message = meant_row.label_drawing(
        classifier, store, code.lower(), pad_value(draw_digit(1)), 4, "page", language="ko"
    )
    assert sent and "**4**" in message and "MLP의 답 1" in message
    assert [e.label for e in store.find(code).wall.entries()] == [7, 4]  # what the student meant
    assert len(other.wall) == 0  # and only on the wall of the class the page named


@pytest.mark.parametrize(
    "drawing, digit, message",
    [
        (None, "7", "Draw a digit first"),
        ("", "7", "Draw a digit first"),
        (pad_value(Image.new("RGBA", (400, 400))), "7", "Draw a digit first"),
        (pad_value(draw_digit(7)), "11", "one of the digits 0-9"),
        (pad_value(draw_digit(7)), 11, "one of the digits 0-9"),
        (pad_value(draw_digit(7)), None, "one of the digits 0-9"),
        (pad_value(draw_digit(7)), ["7"], "one of the digits 0-9"),
        (pad_value(draw_digit(7)), "7" * 100_000, "one of the digits 0-9"),
        ("/etc/passwd", "7", "did not arrive as a PNG"),
        (["data:image/png;base64,AAAA"], "7", "did not arrive as a PNG"),
        ("data:image/png;base64," + "A" * (9 * 1024 * 1024), "7", "MB of text"),
        ("data:image/png;base64,iVBORw0KGgo=", "7", "not an image"),
    ],
    ids=[
        "none",
        "blank",
        "empty-picture",
        "eleven",
        "int-eleven",
        "no-digit",
        "a-list",
        "huge-digit",
        "path",
        "list",
        "9-mb",
        "truncated",
    ],
)
def test_a_tap_with_hostile_values_is_refused_with_a_message(classifier, joined, drawing, digit, message):
    store, code = joined
    sent, text = meant_row.label_drawing(classifier, store, code, drawing, digit, "page")
    assert not sent and message in text, text
    assert len(store.find(code).wall) == 0


def test_a_page_or_a_network_tapping_too_fast_is_told_to_wait(classifier, joined):
    store, code = joined
    drawing = pad_value(draw_digit(0))
    for _ in range(5):
        assert meant_row.label_drawing(classifier, store, code, drawing, 0, "page")[0]
    sent, message = meant_row.label_drawing(classifier, store, code, drawing, 0, "page", language="ko")
    assert not sent and "너무 빠릅니다" in message
    assert meant_row.label_drawing(classifier, store, code, drawing, 0, "another page")[0]
    for n in range(3):  # many pages from one address: held to a class's rate
        meant_row.label_drawing(classifier, store, code, drawing, 0, f"page-{n}", language="en", address="203.0.113.9")
    sent, message = "", ""
    for n in range(10):
        sent, message = meant_row.label_drawing(
            classifier, store, code, drawing, 0, f"made-up-{n}", language="en", address="203.0.113.9"
        )
    assert not sent and "arriving from your network" in message


@pytest.mark.parametrize(
    "code, expected",
    [
        ("", "Not in a class yet"),
        (None, "Not in a class yet"),
        (["ABCDEF"], "Not in a class yet"),
        ("x" * 100_000, "Not in a class yet"),
        ("MNPQRT", "There is no class with the code MNPQRT"),
    ],
)
def test_a_tap_without_a_class_says_how_to_join_one(classifier, joined, code, expected):
    store, _ = joined
    sent, message = meant_row.label_drawing(classifier, store, code, pad_value(draw_digit(7)), 7, "page")
    assert not sent and expected in message
    assert expected.split(":")[0][:10] in meant_row.joined(store, code, "en") or not code


def test_a_paused_or_ended_class_says_so_in_the_students_language(classifier, joined):
    store, code = joined
    store.set_paused(store.find(code), True)
    assert (
        "잠시 멈췄습니다"
        in meant_row.label_drawing(classifier, store, code, pad_value(draw_digit(7)), 7, "p", language="ko")[1]
    )
    store.idle_s = -1  # as if it had been idle past its time
    message = meant_row.label_drawing(classifier, store, code, pad_value(draw_digit(7)), 7, "p")[1]
    assert message == f"Class {code} has ended: it was idle too long, and its drawings were deleted."
