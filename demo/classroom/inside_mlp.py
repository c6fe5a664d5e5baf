"""Inside the MLP: where it looks (covering patches of the drawing) and which hidden units light up."""

from __future__ import annotations

import gradio as gr

from demo.classroom.room import Classroom, Context
from demo.language import say
from mnist_models import pictures
from mnist_models.models import explain

NAME = "inside_mlp"


def show(room: Classroom, pad_value: object, language: str = "en"):
    """(occlusion picture, activations picture, sentence), or Nones and a prompt to draw."""
    predictions = room.read(pad_value)
    if predictions is None:
        return None, None, say("draw_first", language)
    prediction = predictions["mlp"]
    model = room.classifier.model("mlp")
    occlusion = explain.occlusion_map(model, prediction.image, prediction.digit)
    activations = explain.hidden_activations(model, prediction.image)
    text = say(
        "mlp_answer",
        language,
        digit=prediction.digit,
        probability=prediction.probabilities[prediction.digit],
        active=sum(int((a > 0).sum()) for a in activations),
        units=sum(a.size for a in activations),
    )
    return (
        pictures.contributions_picture(prediction.image, [(f"→ {prediction.digit}", occlusion)]),
        pictures.activations_picture(activations),
        text,
    )


def build(context: Context) -> gr.Tab:
    with gr.Tab(context.text("tab_mlp"), id=NAME) as tab:
        gr.Markdown(context.text("mlp_intro"))
        answer = gr.Markdown(elem_id="mlp-answer", elem_classes=["classroom-message"])
        occlusion, activations = context.two_pictures(
            ("occlusion_label", "occlusion"), ("activations_label", "activations")
        )
        gr.Markdown(context.text("activations_about"))
        context.follow(
            NAME,
            lambda pad_value, language: show(context.room, pad_value, language),
            [],
            [occlusion, activations, answer],
        )
    return tab
