"""How a prediction is shown: the bar chart, the answer (a big digit, announced to screen readers;
or, for a drawing the model does not take for a digit, a sentence saying so), the 28x28 picture
the model read, and the API's label."""

from __future__ import annotations

import base64
import html
import io

import gradio as gr
import numpy as np
import pandas as pd
from PIL import Image

from demo.language import LOCALES, say
from mnist_models import pictures
from mnist_models.reading.classifier import Prediction

DIGITS = [str(d) for d in range(10)]
# /classify_label's label for a picture the model does not take for a digit.
NOT_A_DIGIT = "not a digit"

# The answer sits in a live region that stays on the page while its content changes, so a
# screen reader reads each new answer out. With no value yet, it asks for a drawing in the
# browser's language (a page that has not drawn has asked the server nothing).
ANSWER_TEMPLATE = (
    '<div class="result-live" role="status" aria-live="polite">${value || `<div class="result empty" '
    'data-verdict="empty"><div class="result-message">'
    '${prompt[(navigator.language || "en").toLowerCase().split("-")[0]] || prompt.en}</div></div>`}</div>'
)


def answer(elem_id: str) -> gr.HTML:
    """The answer: empty (a prompt to draw) until the first drawing."""
    prompt = {language: say("draw_prompt", language) for language in LOCALES}
    return gr.HTML("", html_template=ANSWER_TEMPLATE, apply_default_css=False, prompt=prompt, elem_id=elem_id)


def chart_frame(prediction: Prediction | None) -> pd.DataFrame:
    """The bar chart's data: one row per digit 0-9, the predicted one marked for highlighting."""
    probabilities = prediction.probabilities if prediction is not None else [0.0] * 10
    # Both kinds must be present in every frame, the empty one included: the chart fixes its
    # colour scale from the first frame it gets, and a kind missing then is never drawn later.
    digit = prediction.digit if prediction is not None else 0
    kinds = ["prediction" if d == digit else "other" for d in range(10)]
    return pd.DataFrame({"digit": DIGITS, "probability": probabilities, "kind": kinds})


def probability_chart(label, elem_id: str, height: int = 200) -> gr.BarPlot:
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
    """The big digit and its probability, with a sentence for screen readers; for a drawing the
    model does not take for a digit, a sentence naming the closest digit instead; or ``message``.
    ``data-verdict`` says which: "digit", "not-a-digit" or "empty"."""
    if prediction is None:
        message = html.escape(message or say("draw_prompt", language))
        return f'<div class="result empty" data-verdict="empty"><div class="result-message">{message}</div></div>'
    p = prediction.probabilities[prediction.digit]
    chance, spoken_chance = "", ""
    if prediction.not_a_digit is not None:  # a model with a "not a digit" output says how likely
        shown_chance = say("not_a_digit_chance", language, probability=prediction.not_a_digit)
        chance = f'<div class="result-chance" aria-hidden="true">{html.escape(shown_chance)}</div>'
        spoken_chance = " " + say("not_a_digit_chance_spoken", language, probability=prediction.not_a_digit)
    if not prediction.is_digit:
        spoken = say("not_a_digit_spoken", language, model=prediction.model, digit=prediction.digit, probability=p)
        shown = say("not_a_digit", language, digit=prediction.digit, probability=p)
        return (
            f'<div class="result not-a-digit" data-verdict="not-a-digit">'
            f'<span class="visually-hidden">{html.escape(spoken + spoken_chance)}</span>'
            f'<div class="result-message" aria-hidden="true">{html.escape(shown)}{chance}</div></div>'
        )
    spoken = say("answer", language, model=prediction.model, digit=prediction.digit, probability=p)
    return (
        f'<div class="result" data-verdict="digit"><span class="visually-hidden">{html.escape(spoken + spoken_chance)}'
        f'</span><div class="result-digit" aria-hidden="true">{prediction.digit}</div>'
        f'<div class="result-side"><div class="result-probability" aria-hidden="true">{p:.0%}</div>{chance}</div></div>'
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
    return (
        chart_frame(prediction),
        answer_html(prediction, language, message),
        seen_html(prediction.image if prediction is not None else None),
    )


def label(prediction: Prediction) -> dict:
    """/classify_label's value, in gr.Label's own format: its ``label`` the digit read, or
    NOT_A_DIGIT when the model does not take the picture for a digit; its ``confidences`` every
    digit's probability, highest first. (Sent as is: gr.Label's postprocessing would take the
    top digit for the label.)"""
    confidences = sorted(
        ({"label": digit, "confidence": p} for digit, p in zip(DIGITS, prediction.probabilities, strict=True)),
        key=lambda c: c["confidence"],
        reverse=True,
    )
    return {"label": str(prediction.digit) if prediction.is_digit else NOT_A_DIGIT, "confidences": confidences}
