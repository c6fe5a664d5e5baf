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

import gradio as gr

from demo.classroom import cards, compare, digit_or_not, explorer, inside_mlp, inside_softmax, train, wall
from demo.classroom.room import Classroom, Context
from demo.drawing_pad import drawing_pad
from demo.language import pad_texts

TABS = (wall, compare, inside_softmax, inside_mlp, cards, digit_or_not, explorer, train)


def build(room: Classroom, i18n: gr.I18n) -> None:
    """The page, inside the open ``demo.route(...)``: its title, and its content rendered when
    a visitor opens it."""
    gr.Markdown(i18n("classroom_title"))

    @gr.render()
    def classroom(request: gr.Request):
        build_content(room, request)


def build_content(room: Classroom, request: gr.Request | None = None) -> Context:
    """The pad and the password box beside the tabs, for the viewer of ``request``."""
    context = Context(room, request)
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            context.pad = drawing_pad(pad_texts(), elem_id="sketch")
            gr.Markdown(context.text("to_draw"), elem_id="to-draw")
            context.password = gr.Textbox(
                label=context.text("teacher_password"),
                type="password",
                max_length=200,
                visible=bool(room.teacher_password),
                elem_id="teacher-password",
            )
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
    hidden = {"api_visibility": "private", "show_progress": "hidden"}

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
