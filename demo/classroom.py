"""The classroom tabs: look inside the models, compare them, explore the test set, train live."""

from __future__ import annotations

import gradio as gr

from mnist_models.inference import Classifier


def build_tabs(classifier: Classifier, i18n: gr.I18n, sketch: gr.Sketchpad) -> None:
    """Add the classroom tabs after the drawing tab; ``sketch`` is the drawing tab's sketchpad."""
