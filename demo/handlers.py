"""What the app's events call: thin wrappers that turn mnist_models results into component values."""

from __future__ import annotations

import base64
import html
import io
import stat
from pathlib import Path
from typing import Any

import gradio as gr
import numpy as np
import pandas as pd
from gradio.utils import get_upload_folder
from PIL import Image

from mnist_models import explain
from mnist_models.inference import Classifier, Prediction, UnknownModelError
from mnist_models.preprocess import DrawingError, EmptyDrawingError, decode_data_url

DIGITS = [str(d) for d in range(10)]


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


def result_html(prediction: Prediction | None, message: str | None = None) -> str:
    if prediction is None:
        return f'<div class="result empty"><div class="result-message">{html.escape(message or "Draw a digit")}</div></div>'
    p = prediction.probabilities[prediction.digit]
    return (
        f'<div class="result"><div class="result-digit">{prediction.digit}</div>'
        f'<div class="result-probability">{p:.0%}</div></div>'
    )


def seen_html(image: np.ndarray | None) -> str:
    """The 28x28 input the model read, inline in the page (about 0.5 KB of PNG): no file for the
    server to write and no request for the browser to make, on every stroke. The browser scales
    it up with square pixels."""
    if image is None:
        return '<div class="seen-empty"></div>'
    buffer = io.BytesIO()
    Image.fromarray(explain.enlarge(image, 1), "L").save(buffer, format="PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img class="seen-digit" src="data:image/png;base64,{data}" alt="28×28">'


def drawn_image(drawing: str | None) -> bytes | None:
    """The drawing pad's value (a PNG data URL, "" while blank) as image file bytes, or None.

    Only a data URL is read: the value comes from the browser, and a path in it must never be
    opened on the server.
    """
    return decode_data_url(drawing) if drawing else None


def drawing_outputs(prediction: Prediction | None, message: str = "Draw a digit"):
    """(chart data, result HTML, the 28x28 input as HTML) for a prediction, or for a message."""
    if prediction is None:
        return chart_frame(None), result_html(None, message), seen_html(None)
    return chart_frame(prediction.probabilities, prediction.digit), result_html(prediction), seen_html(prediction.image)


def classify_drawing(classifier: Classifier, drawing: str | None, model: str):
    """Live handler for the drawing pad: ``drawing_outputs`` for the drawing.

    A blank pad is the normal state before drawing, not an error.
    """
    try:
        prediction = classifier.classify(drawn_image(drawing), model)
    except EmptyDrawingError:
        return drawing_outputs(None)
    except (DrawingError, UnknownModelError) as error:
        return drawing_outputs(None, str(error))
    return drawing_outputs(prediction)


NO_IMAGE_MESSAGE = "No image was sent. Send a PNG, JPEG or WebP picture of a digit."


def classify_file(classifier: Classifier, image: str | None, model: str) -> dict:
    """The public API: an image file and a model name in, JSON out; bad input raises gr.Error."""
    if image is None:
        raise gr.Error(NO_IMAGE_MESSAGE)
    try:
        return classifier.classify(image, model).as_json()
    except EmptyDrawingError as error:
        raise gr.Error("The image is blank: there is no digit on it.") from error
    except (DrawingError, UnknownModelError) as error:
        raise gr.Error(str(error)) from error


def uploaded_file(file: Any) -> str | None:
    """The path of a file this server received as an upload, from an API call's unprocessed
    ``{"path": ...}``; None for anything else.

    The path is the caller's word, so it is believed only if it resolves (links followed) to a
    regular file inside Gradio's upload folder. Nothing is opened to find out.
    """
    path = file.get("path") if isinstance(file, dict) else None
    if not isinstance(path, str) or not path:
        return None
    try:
        resolved = Path(path).resolve(strict=True)
        uploads = Path(get_upload_folder()).resolve()
        if uploads not in resolved.parents or not stat.S_ISREG(resolved.stat().st_mode):
            return None
    except (OSError, RuntimeError, ValueError):
        return None
    return str(resolved)
