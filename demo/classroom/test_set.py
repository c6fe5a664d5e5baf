"""The Test set tab: a random MNIST test digit with both models' answers, and the digits a
model gets wrong, filtered like a cell of the confusion matrix."""

from __future__ import annotations

import gradio as gr
import numpy as np

from demo.classroom.room import PICTURE, Classroom, Context, digit, model
from demo.events import QUIET
from demo.language import say
from mnist_models import pictures
from mnist_models.datasets.mnist import MNISTFileError

NAME = "test_set"
GALLERY_SIZE = 48


def random_digit(room: Classroom, language: str = "en", seed: int | None = None):
    """(enlarged digit or None, text) for a random test digit."""
    try:
        test = room.test_predictions()
    except MNISTFileError:
        return None, room.no_data(language)
    index = int(np.random.default_rng(seed).integers(len(test)))
    text = say(
        "test_digit",
        language,
        index=index,
        label=int(test.labels[index]),
        softmax=int(test.predictions["softmax"][index]),
        mlp=int(test.predictions["mlp"][index]),
    )
    return pictures.enlarge(test.images[index], 8), text


def mistakes(room: Classroom, name: object, true: object, predicted: object, language: str = "en"):
    """(gallery items, text): the test digits model ``name`` gets wrong, filtered by true and predicted digit."""
    try:
        test = room.test_predictions()
    except MNISTFileError:
        return [], room.no_data(language)
    name = model(name)
    wrong = test.mistakes(name, digit(true), digit(predicted))
    shown = wrong[:GALLERY_SIZE]
    items = [(pictures.enlarge(test.images[i], 3), f"{test.labels[i]} → {test.predictions[name][i]}") for i in shown]
    text = say("mistakes_count", language, model=name, count=len(wrong), total=len(test), shown=len(shown))
    return items, text


def build(context: Context) -> gr.Tab:
    room, language, quiet = context.room, context.language, QUIET
    with gr.Tab(context.text("tab_explorer"), id=NAME) as tab:
        gr.Markdown(context.text("explorer_intro"))
        with gr.Row(equal_height=False):
            with gr.Column(min_width=260):
                another = gr.Button(context.text("random_digit"), variant="primary", elem_id="random-digit")
                test_digit = gr.Image(
                    label=context.text("explorer_digit_label"),
                    elem_id="test-digit",
                    height=260,
                    **{**PICTURE, "show_label": True},
                )
            digit_text = gr.Markdown(elem_id="test-digit-text", elem_classes=["classroom-message"])
        gr.Markdown(context.text("mistakes_title"))
        gr.Markdown(context.text("mistakes_about"))
        with gr.Row():
            name = context.model_choice("mistakes_model", "softmax")
            true = gr.Dropdown(
                context.digit_choices(any_digit=True), value=-1, label=context.text("true_digit"), elem_id="true-digit"
            )
            predicted = gr.Dropdown(
                context.digit_choices(any_digit=True),
                value=-1,
                label=context.text("predicted_digit"),
                elem_id="predicted-digit",
            )
        count = gr.Markdown(elem_id="mistakes-count", elem_classes=["classroom-message"])
        gallery = gr.Gallery(
            label=context.text("mistakes_gallery"),
            elem_id="mistakes",
            columns=8,
            height="auto",
            object_fit="contain",
            allow_preview=False,
            buttons=[],
        )
    filters = [name, true, predicted]
    tab.select(
        lambda *chosen: (*random_digit(room, language), *mistakes(room, *chosen, language)),
        inputs=filters,
        outputs=[test_digit, digit_text, gallery, count],
        **quiet,
    )
    another.click(lambda: random_digit(room, language), outputs=[test_digit, digit_text], **quiet)
    for control in filters:
        control.input(
            lambda *chosen: mistakes(room, *chosen, language), inputs=filters, outputs=[gallery, count], **quiet
        )
    return tab
