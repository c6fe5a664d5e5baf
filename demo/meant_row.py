"""The drawing page's way to a class's wall: the class code (from the teacher's link, or typed in
a box folded into one line under the chart), and "what I meant", the digits 0-9 as one row of big
choices right under the answer, shown once the page is in a class: a tap sends the drawing,
labelled, to the wall of that class.

A tap -> ``label_drawing`` -> ``ClassStore.admit`` -> ``Classifier.read`` with both models ->
``ClassStore.add_drawing`` (the class's wall, kept before the page is told).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from demo.events import HIDDEN
from demo.language import reading_error, say, viewer_language, wall_message
from demo.visitor import client_address
from mnist_models.classes import codes
from mnist_models.classes.class_wall import Entry, WallError, check_digit
from mnist_models.classes.store import ClassStore
from mnist_models.reading.classifier import Classifier
from mnist_models.reading.preprocess import DrawingError, EmptyDrawingError

# The pad back on screen, without a jump when it is already in view.
SHOW_PAD = """() => {
  const pad = document.querySelector("#sketch");
  const box = pad && pad.getBoundingClientRect();
  if (box && (box.top < 0 || box.bottom > window.innerHeight)) pad.scrollIntoView({behavior: "smooth", block: "start"});
}"""


def label_drawing(
    classifier: Classifier,
    store: ClassStore,
    code: Any,
    pad_value: Any,
    digit: Any,
    session: str,
    *,
    language: str = "en",
    address: str | None = None,
) -> tuple[bool, str]:
    """Put the pad's drawing on class ``code``'s wall as the digit the student meant: (sent,
    message).

    Every value comes from the browser: the drawing is read only as a bounded data URL, the same
    way as for the answer, the digit must be 0-9 and the code a class's. Refusals (no class, no
    drawing, a page or a network sending too fast, a paused or full wall, a picture with no digit)
    say why in the viewer's language.
    """
    try:
        digit = check_digit(digit)
        if codes.read_code(code) is None:
            return False, say("class_none", language)
        if not pad_value:
            return False, say("wall_draw_first", language)
        # Admitted before the drawing is read: a page sending pictures with no digit in them
        # costs the server decoding work too, and is held to the same rate.
        store.admit(code, session, address)
        entry = store.add_drawing(
            code, Entry.of_reading(classifier.read(pad_value, source="pad"), pad_value, digit), session
        )
    except WallError as error:
        return False, wall_message(error, language)
    except EmptyDrawingError:
        return False, say("wall_draw_first", language)
    except DrawingError as error:
        return False, reading_error(error, language)
    return True, say("wall_sent", language, digit=entry.label, **entry.answers)


def joined(store: ClassStore, code: Any, language: str) -> str:
    """What the page says of the class code it holds."""
    if codes.read_code(code) is None:
        return say("class_none", language)
    try:
        school_class = store.find(code)
    except WallError as error:
        return wall_message(error, language)
    return say("class_joined", language, code=school_class.code)


def row_shown(store: ClassStore, code: Any) -> bool:
    """Whether the page holds the code of a live class: its "what I meant" row is then shown."""
    try:
        return codes.read_code(code) is not None and store.find(code) is not None
    except WallError:
        return False


def build(
    classifier: Classifier, store: ClassStore, i18n: gr.I18n, pad: gr.HTML, page: gr.Blocks | None
) -> Callable[[], None]:
    """The "what I meant" row, inside the open gr.Blocks ``page`` (right under the answer), hidden
    until the page holds a class's code; returns the function that builds, where it is called,
    the one line to join a class (a folded code box). The code comes from the page's link
    (``?class=CODE``) as it opens, or is typed."""
    meant = gr.Radio(
        [str(d) for d in range(10)],
        value=None,
        label=i18n("meant_label"),
        info=i18n("meant_info"),
        visible=False,
        elem_id="meant",
    )
    status = gr.Markdown(elem_id="meant-status")

    def join_line() -> None:
        with gr.Accordion(i18n("class_join_title"), open=False, elem_id="class-join") as folded:
            code = gr.Textbox(
                label=i18n("class_code_label"),
                info=i18n("class_code_info"),
                max_lines=1,
                max_length=40,
                elem_id="class-code",
            )
        wire(classifier, store, page, pad, meant=meant, status=status, code=code, folded=folded)

    return join_line


def wire(classifier, store, page, pad, *, meant, status, code, folded) -> None:
    """The row's events: the code from the link or typed (the row shown for a live class), and a
    tap that sends the drawing."""

    def from_link(request: gr.Request):
        given = codes.read_code(dict(getattr(request, "query_params", None) or {}).get("class")) or ""
        shown = row_shown(store, given)
        message = joined(store, given, viewer_language(request)) if given else ""
        return given, message, gr.update(visible=shown), gr.update(open=bool(given) and not shown)

    def check(value: Any, request: gr.Request):
        message = joined(store, value, viewer_language(request)) if str(value or "").strip() else ""
        return message, gr.update(visible=row_shown(store, value))

    def send(pad_value: Any, digit: Any, value: Any, request: gr.Request):
        session = getattr(request, "session_hash", None) or ""
        sent, message = label_drawing(
            classifier,
            store,
            value,
            pad_value,
            digit,
            session,
            language=viewer_language(request),
            address=client_address(request),
        )
        # A drawing on the wall leaves the pad blank for the next one.
        return ("" if sent else gr.skip()), message, None

    if page is not None:
        page.load(from_link, outputs=[code, status, meant, folded], **HIDDEN)
    code.submit(check, inputs=code, outputs=[status, meant], **HIDDEN)
    code.blur(check, inputs=code, outputs=[status, meant], **HIDDEN)
    # What the client sends as the digit is checked by label_drawing (0-9), so that a wrong one
    # gets the app's own message in the viewer's language rather than Gradio's list of choices.
    # On a phone the row sits below the pad: after a tap the pad comes back into view, to draw
    # the next digit (in the browser, no request).
    meant.input(send, inputs=[pad, meant, code], outputs=[pad, status, meant], preprocess=False, **HIDDEN).then(
        None, js=SHOW_PAD, **HIDDEN
    )
