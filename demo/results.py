"""How a prediction is shown: the bar chart, the answer (a big digit, announced to screen readers),
the 28x28 picture the model read, and the API's JSON and label."""

from __future__ import annotations

import base64
import html
import io

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from demo.texts import say
from mnist_models import pictures
from mnist_models.inference import Prediction

DIGITS = [str(d) for d in range(10)]

# The answer sits in a live region that stays on the page while its content changes, so a
# screen reader reads each new answer out. With no value yet, it asks for a drawing in the
# browser's language (a page that has not drawn has asked the server nothing).
ANSWER_TEMPLATE = (
    '<div class="result-live" role="status" aria-live="polite">${value || `<div class="result empty">'
    '<div class="result-message">${(navigator.language || "en").toLowerCase().startsWith("ko") ? prompt.ko : prompt.en}'
    "</div></div>`}</div>"
)


def answer(i18n_prompt: dict[str, str], elem_id: str) -> gr.HTML:
    """The answer: empty (a prompt to draw) until the first drawing."""
    return gr.HTML("", html_template=ANSWER_TEMPLATE, apply_default_css=False, prompt=i18n_prompt, elem_id=elem_id)


def chart_frame(probabilities: list[float] | None, digit: int | None = None) -> pd.DataFrame:
    """The bar chart's data: one row per digit 0-9, the predicted one marked for highlighting."""
    probabilities = probabilities if probabilities is not None else [0.0] * 10
    # Both kinds must be present in every frame, the empty one included: the chart fixes its
    # colour scale from the first frame it gets, and a kind missing then is never drawn later.
    digit = digit if digit is not None else 0
    kinds = ["prediction" if d == digit else "other" for d in range(10)]
    return pd.DataFrame({"digit": DIGITS, "probability": probabilities, "kind": kinds})


def probability_chart(label, elem_id: str, height: int = 240) -> gr.BarPlot:
    """The bar chart of all ten probabilities, digits 0-9 in order, y fixed to 0..1, the
    predicted digit in orange; empty until the first drawing."""
    return gr.BarPlot(
        chart_frame(None),
        x="digit",
        y="probability",
        color="kind",
        color_map={"prediction": "#e4572e", "other": "#8fa3b8"},
        color_title=" ",
        y_lim=[0, 1],
        x_title=" ",
        y_title=" ",
        label=label,
        elem_id=elem_id,
        height=height,
    )


def answer_html(prediction: Prediction | None, language: str, message: str | None = None) -> str:
    """The big digit and its probability, with a sentence for screen readers; or ``message``."""
    if prediction is None:
        message = message or say("draw_prompt", language)
        return f'<div class="result empty"><div class="result-message">{html.escape(message)}</div></div>'
    p = prediction.probabilities[prediction.digit]
    spoken = say("answer", language, model=prediction.model, digit=prediction.digit, probability=p)
    return (
        f'<div class="result"><span class="visually-hidden">{html.escape(spoken)}</span>'
        f'<div class="result-digit" aria-hidden="true">{prediction.digit}</div>'
        f'<div class="result-probability" aria-hidden="true">{p:.0%}</div></div>'
    )


def seen_html(image: np.ndarray | None) -> str:
    """The 28x28 input the model read, inline in the page as a tiny PNG: no file for the
    server to write and no request for the browser to make, on every stroke. The browser scales
    it up with square pixels."""
    if image is None:
        return '<div class="seen-empty"></div>'
    buffer = io.BytesIO()
    Image.fromarray(pictures.enlarge(image, 1), "L").save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="seen-digit" src="data:image/png;base64,{data}" alt="28×28">'


def shown(prediction: Prediction | None, language: str, message: str | None = None):
    """(chart data, answer HTML, 28x28 HTML) for a prediction, or for a message."""
    if prediction is None:
        return chart_frame(None), answer_html(None, language, message), seen_html(None)
    return (
        chart_frame(prediction.probabilities, prediction.digit),
        answer_html(prediction, language),
        seen_html(prediction.image),
    )


def label(prediction: Prediction) -> dict[str, float]:
    """gr.Label's value: each digit's probability."""
    return dict(zip(DIGITS, prediction.probabilities, strict=True))
