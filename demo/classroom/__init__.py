"""The classroom page at /classroom, for the projector: a drawing pad beside eight tabs (the
class wall, compare the models, inside softmax, inside the MLP, model cards, digit or not, the
test set, train live), one module a tab, each with its ``build(context)`` beside its handlers.

The page's content is built for each visitor of the page (``gr.render``), in their language, so
only the classroom's own sessions carry its components: a student's session, made by the drawing
page, holds the drawing page's alone (Gradio copies the config of every component of the Blocks
into each new session).

The tabs that explain a drawing follow the pad as it changes, but only the tab on screen is
computed (``follow_pad``): the others catch up when they are opened.
"""

from __future__ import annotations

import math

import gradio as gr

from demo.classroom import (
    cards,
    class_panel,
    compare,
    digit_or_not,
    inside_mlp,
    inside_softmax,
    live_training,
    test_set,
    wall,
)
from demo.classroom.pages import ClassroomPages
from demo.classroom.room import Classroom, Context
from demo.drawing_pad import drawing_pad
from demo.events import HIDDEN
from demo.language import pad_texts, say, viewer_language, wall_message
from demo.visitor import client_address
from mnist_models.classes.class_wall import WallError
from mnist_models.classes.store import SchoolClass

TABS = (wall, compare, inside_softmax, inside_mlp, cards, digit_or_not, test_set, live_training)


# Building a page takes the CPU for a moment (benchmarks/RESULTS.md): one at a time, the rest wait
# in the queue instead of slowing everyone's drawings.
RENDERS_AT_ONCE = 1


def build(room: Classroom, i18n: gr.I18n, pages: ClassroomPages | None = None) -> None:
    """The page, inside the Blocks' open ``route(...)``: its title, and its content rendered when a
    visitor opens it, and again when this browser starts or leaves a class; with ``pages``, the
    server keeps a bounded number of them."""
    gr.Markdown(i18n("classroom_title"))
    # The teacher key of this browser's class, in the browser's own storage: it survives a reload
    # and a restart of the server, and is never shown on the page.
    teacher = teacher_key(room)

    @gr.render(inputs=[teacher], concurrency_limit=RENDERS_AT_ONCE, concurrency_id="classroom-render")
    def classroom(key, request: gr.Request):
        school_class, notice = kept_class(room, key, viewer_language(request))
        session, address = getattr(request, "session_hash", None) or "", client_address(request)
        if pages is not None:
            wait = pages.build_wait(address, teacher=school_class is not None)
            if wait:
                gr.Markdown(say("classroom_busy", viewer_language(request), seconds=math.ceil(wait)))
                # The page has nothing more to ask: nothing of its session need be kept.
                pages.forget(session)
                return
        build_content(room, request, teacher, school_class, notice)
        if pages is not None:
            pages.opened(session, address, school_class.code if school_class else None)


def kept_class(room: Classroom, key: object, language: str) -> tuple[SchoolClass | None, str]:
    """The class of the teacher key this browser keeps (``key``), read when the page opens, or
    None and why not in ``language`` ("" when it keeps none). A kept key that no longer reads (an
    expired class) is no guess, so unlike ``Classroom.teacher_check`` it counts no failed try."""
    if key is None:
        return None, ""
    code, secret = (key.get("code"), key.get("secret")) if isinstance(key, dict) else (None, None)
    try:
        return room.store.as_teacher(code, secret), ""
    except WallError as error:  # an expired class, a key from another server
        return None, wall_message(error, language)


def teacher_key(room: Classroom) -> gr.BrowserState:
    # Encrypted in the browser with a secret the store keeps (made at its first start): a key
    # kept before a restart, or by another server on the same database, still reads. One that
    # does not (another deployment's) reads as no key: the page says to start a class.
    return gr.BrowserState(None, storage_key="mnist-draw-teacher", secret=room.store.browser_secret)


def build_content(
    room: Classroom,
    request: gr.Request | None = None,
    teacher=None,
    school_class: SchoolClass | None = None,
    notice: str = "",
) -> Context:
    """The pad and the class beside the tabs, for the viewer of ``request``: the page of
    ``school_class`` when their browser holds its teacher key (in the component ``teacher``), or
    a page without a class, saying ``notice``."""
    context = Context(room, request, teacher if teacher is not None else teacher_key(room), school_class, notice)
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            context.pad = drawing_pad(pad_texts(), elem_id="sketch")
            gr.Markdown(context.text("to_draw"), elem_id="to-draw")
            class_panel.build(context)
            # Which tab is on screen, so a new stroke recomputes that tab alone.
            showing = gr.State(wall.NAME)
        with gr.Column(scale=2, min_width=300), gr.Tabs():
            tabs = {tab.NAME: tab.build(context) for tab in TABS}
    follow_pad(context, tabs, showing)
    return context


def follow_pad(context: Context, tabs: dict[str, gr.Tab], showing: gr.State) -> None:
    """One event for the pad's change: the tab on screen recomputes its outputs and every other
    output is skipped; opening a tab records it as on screen and brings it up to date."""
    followers = context.followers
    extra = [component for follower in followers for component in follower.inputs]
    outputs = [component for follower in followers for component in follower.outputs]
    hidden = HIDDEN

    def follow(on_screen, pad_value, *values):
        shown = []
        for follower in followers:
            count = len(follower.inputs)
            mine, values = values[:count], values[count:]
            if follower.tab == on_screen:
                shown += follower.show(pad_value, *mine, context.language)
            else:
                shown += [gr.skip()] * len(follower.outputs)
        return shown

    context.pad.change(
        follow, inputs=[showing, context.pad, *extra], outputs=outputs, trigger_mode="always_last", **hidden
    )
    following = {follower.tab: follower for follower in followers}
    for name, tab in tabs.items():
        if name in following:
            follower = following[name]
            tab.select(
                lambda pad_value, *values, follower=follower: (
                    follower.tab,
                    *follower.show(pad_value, *values, context.language),
                ),
                inputs=[context.pad, *follower.inputs],
                outputs=[showing, *follower.outputs],
                **hidden,
            )
        else:
            tab.select(lambda name=name: name, outputs=showing, queue=False, **hidden)
