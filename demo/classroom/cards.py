"""Model cards: what was trained, how, and how well, read from the metrics shipped with the weights."""

from __future__ import annotations

from functools import cache

import gradio as gr
import numpy as np

from demo.classroom.room import Classroom, Context, percent
from demo.events import QUIET
from mnist_models import pictures
from mnist_models.models.checkpoints import MODEL_NAMES

NAME = "cards"
CARD_PICTURES = ("per_class", "confusion", "curves")


def facts(room: Classroom, name: str) -> dict[str, str]:
    """The card's numbers as text, straight from the metrics shipped with the weights."""
    metrics = room.classifier.metrics[name]
    recipe = ", ".join(f"{key}={value}" for key, value in metrics.get("recipe", {}).items())
    return {
        "parameters": f"{metrics['parameters']:,}",
        "test_accuracy": percent(metrics.get("test_accuracy")),
        "pen_accuracy": percent(metrics.get("pen_accuracy")),
        "recipe": recipe,
        "trained": f"{metrics.get('device', '?')}, {metrics.get('train_seconds', 0):.0f} s, torch {metrics.get('torch_version', '?')}",
    }


@cache
def card_pictures(room: Classroom) -> tuple[np.ndarray, ...]:
    """Per model (softmax, then MLP): per-class accuracy, confusion matrix, training curves;
    drawn on the first visit of any page, not while the app starts."""
    drawn = []
    for name in MODEL_NAMES:
        metrics = room.classifier.metrics[name]
        drawn += [
            pictures.per_class_picture(metrics["per_class_accuracy"], metrics.get("pen_per_class_accuracy")),
            pictures.confusion_picture(metrics["confusion_matrix"]),
            pictures.curves_picture(metrics["curves"]),
        ]
    return tuple(drawn)


def build(context: Context) -> gr.Tab:
    room = context.room
    with gr.Tab(context.text("tab_cards"), id=NAME) as tab:
        gr.Markdown(context.text("cards_intro"))
        images = []
        with gr.Row(equal_height=False):
            for name in MODEL_NAMES:
                card = facts(room, name)
                with gr.Column(min_width=320):
                    gr.Markdown(context.text(f"card_{name}_title"))
                    with gr.Row():
                        for key in ("parameters", "test_accuracy", "pen_accuracy"):
                            gr.Textbox(card[key], label=context.text(f"card_{key}"), interactive=False, min_width=140)
                    gr.Textbox(card["recipe"], label=context.text("card_recipe"), interactive=False, lines=2)
                    gr.Textbox(card["trained"], label=context.text("card_trained"), interactive=False)
                    images += [
                        context.picture(f"{picture}_label", f"{name}-{picture.replace('_', '-')}")
                        for picture in CARD_PICTURES
                    ]
    tab.select(lambda: card_pictures(room), outputs=images, **QUIET)
    return tab
