"""Inside softmax: the weight templates (ten digits, and "not a digit" for a model with that output),
and what the drawing's ink adds to two digits' scores."""

from __future__ import annotations

import gradio as gr

from demo.classroom.room import Classroom, Context, digit
from demo.events import QUIET
from demo.language import say
from mnist_models import pictures
from mnist_models.models import explain

NAME = "inside_softmax"


def show(room: Classroom, pad_value: object, other: object, language: str = "en"):
    """(templates, contribution maps or None, scores text, the digit compared with) for the pad's value."""
    predictions = room.read(pad_value)
    if predictions is None:
        return room.templates_picture, None, say("draw_first", language), digit(other)
    prediction = predictions["softmax"]
    model = room.classifier.model("softmax")
    answer = prediction.digit
    other = digit(other)
    other = other if other is not None else (answer + 1) % 10
    bias = explain.softmax_bias(model)
    maps = {d: explain.softmax_contributions(model, prediction.image, d) for d in (answer, other)}
    picture = pictures.contributions_picture(
        prediction.image, [(f"→ {answer}", maps[answer]), (f"→ {other}", maps[other])]
    )
    text = say(
        "scores",
        language,
        digit=answer,
        total=maps[answer].sum() + bias[answer],
        ink=maps[answer].sum(),
        bias=bias[answer],
        other=other,
        other_total=maps[other].sum() + bias[other],
        other_ink=maps[other].sum(),
        other_bias=bias[other],
    )
    return room.templates_picture, picture, text, other


def build(context: Context) -> gr.Tab:
    with gr.Tab(context.text("tab_softmax"), id=NAME) as tab:
        gr.Markdown(context.text("softmax_intro"))
        if context.room.classifier.model("softmax").not_a_digit:
            gr.Markdown(context.text("softmax_not_a_digit"))
        templates = context.picture("templates_label", "templates")
        other = gr.Dropdown(
            context.digit_choices(), value=None, label=context.text("other_digit_label"), elem_id="other-digit"
        )
        contributions = context.picture("contributions_label", "contributions")
        scores = gr.Markdown(elem_id="softmax-scores", elem_classes=["classroom-message"])
        outputs = [templates, contributions, scores, other]

        def choose(pad_value, chosen, request: gr.Request):
            return show(context.room, pad_value, chosen, context.language)

        other.input(choose, inputs=[context.pad, other], outputs=outputs, **QUIET)
        context.follow(
            NAME, lambda pad_value, chosen, language: show(context.room, pad_value, chosen, language), [other], outputs
        )
    return tab
