"""The drawing page: draw, and see the chosen model's answer as you draw; and the public API.

A drawing's whole path: the pad's change event -> ``read_drawing`` -> ``Classifier.read``
(mnist_models.reading: the pad's value decoded, preprocessed, then the model) -> ``results.shown``
(what the page shows).
A photo of paper's: the photo input's change event -> ``read_photo`` -> ``Classifier.read`` with
``source="photo"`` (mnist_models.reading.photo finds the digit's ink, then the same preprocessing
and model) -> ``results.shown``.
A tap on "what I meant" -> ``meant_row.label_drawing`` -> ``ClassStore.add_drawing`` (``Classifier.read``
with both models, then the wall of the class whose code the page carries).
"""

from __future__ import annotations

import base64
import io
import json
import stat
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from demo import meant_row, results
from demo.drawing_pad import drawing_pad
from demo.events import HIDDEN
from demo.language import pad_texts, reading_error, say, viewer_language
from mnist_models.classes.store import ClassStore
from mnist_models.models.checkpoints import MODEL_NAMES
from mnist_models.pad import CANVAS, render_strokes
from mnist_models.reading.classifier import Classifier, Prediction, UnknownModelError
from mnist_models.reading.preprocess import DrawingError, EmptyDrawingError

EXAMPLES = Path(__file__).resolve().parent / "example_drawings.json"


def example_drawings() -> list[tuple[int, str]]:
    """The example drawings as (digit, the pad's value): strokes from demo/example_drawings.json
    (points as fractions of the pad's side) drawn with the pad's own pen."""
    drawings = []
    for example in json.loads(EXAMPLES.read_text()):
        strokes = [[(x * CANVAS, y * CANVAS) for x, y in stroke] for stroke in example["strokes"]]
        buffer = io.BytesIO()
        render_strokes(strokes).save(buffer, "PNG")
        drawings.append((example["digit"], "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()))
    return drawings


def read_drawing(classifier: Classifier, pad_value: Any, model: Any, language: str = "en"):
    """What the page shows for the pad's value (a PNG data URL, "" while blank): (chart data,
    answer HTML, 28x28 HTML). A blank pad is the normal state before drawing, not an error."""
    try:
        prediction = classifier.read(pad_value, [model], source="pad")[model]
    except EmptyDrawingError:
        return results.shown(None, language)
    except (DrawingError, UnknownModelError) as error:
        return results.shown(None, language, reading_error(error, language))
    return results.shown(prediction, language)


def uploaded_file(file: Any) -> str | None:
    """The path of a file this server received as an upload, from an API call's unprocessed
    ``{"path": ...}``; None for anything else.

    The path is the caller's word, so it is believed only if it resolves (links followed) to a
    regular file inside Gradio's upload folder. Nothing is opened to find out. (Gradio refuses
    other paths before the handler runs; this is the second check.)
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


def read_photo(classifier: Classifier, photo: Any, model: Any, language: str = "en"):
    """What the page shows for a photo of a digit on paper from the photo input: (chart data,
    answer HTML, 28x28 HTML), or a message saying why no digit could be read.

    ``photo`` is the path Gradio's preprocessing passed on, which Gradio has checked is one of
    this server's uploads; it is checked again here, as the API's uploads are.
    """
    path = uploaded_file({"path": photo})
    if path is None:
        return results.shown(None, language, say("no_image", language))
    try:
        prediction = classifier.read(path, [model], source="photo")[model]
    except (DrawingError, UnknownModelError) as error:
        return results.shown(None, language, reading_error(error, language))
    return results.shown(prediction, language)


def read_upload(classifier: Classifier, file: Any, model: Any, language: str = "en") -> Prediction:
    """The API's reading of an uploaded image; bad input raises gr.Error with a message."""
    path = uploaded_file(file)
    if path is None:
        raise gr.Error(say("no_image", language))
    try:
        return classifier.read(path, [model], source="image")[model]
    except EmptyDrawingError as error:
        raise gr.Error(say("blank_image", language)) from error
    except (DrawingError, UnknownModelError) as error:
        raise gr.Error(reading_error(error, language)) from error


def build(
    classifier: Classifier, i18n: gr.I18n, store: ClassStore | None = None, page: gr.Blocks | None = None
) -> gr.HTML:
    """The page's layout and events, inside the open gr.Blocks ``page``; returns its pad. With
    ``store``, the class code and the "what I meant" row that sends a labelled drawing to the
    class's wall."""
    gr.Markdown(i18n("title"), elem_id="title")
    # One screen after a stroke, on a phone too: the pad and the model choice, then the answer,
    # the "what I meant" row when in a class, and the chart. What a visitor reads once (the
    # class code, the 28x28 view, a photo, the example drawings, the notes) comes after.
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            pad = drawing_pad(pad_texts(), elem_id="sketch")
        chart, answer, model, seen = answer_column(classifier, i18n, pad, store, page)
    with gr.Row(equal_height=False):
        photo = more_ways_in(i18n, pad)
    # Every component here is copied into each visitor's session, so the texts share components:
    # the two models side by side on a wide screen (CSS columns), one under the other on a phone.
    gr.Markdown(i18n("about_models"), elem_id="about-models")
    gr.Markdown(i18n("page_end"), elem_id="to-classroom")
    wire_reading(classifier, pad, photo, model, [chart, answer, seen])
    build_api(classifier)
    return pad


def more_ways_in(i18n: gr.I18n, pad: gr.HTML) -> gr.Image:
    """Below the answer: a photo of a digit on paper (folded), and the example drawings; returns
    the photo input."""
    # Closed at first, so that on a phone the pad stays the thing to use.
    with gr.Column(scale=1, min_width=300), gr.Accordion(i18n("photo_title"), open=False, elem_id="photo-box"):
        photo = gr.Image(
            label=i18n("photo_label"),
            sources=["upload", "webcam"],
            type="filepath",
            # No conversion: Gradio then reads only the file's header, and the app decodes
            # it within its own bounds.
            image_mode=None,
            # Gradio mirrors the captured picture too, and a mirrored digit is another digit.
            webcam_options=gr.WebcamOptions(mirror=False),
            height=280,
            elem_id="photo",
        )
    with gr.Column(scale=1, min_width=300):
        examples = example_drawings()
        gr.Examples(
            [[value] for _, value in examples],
            inputs=[pad],
            label=i18n("examples_label"),
            # Each button shows its digit; the label above says, in the page's language, how it is written.
            example_labels=[str(digit) for digit, _ in examples],
            elem_id="examples",
        )
    return photo


def answer_column(
    classifier: Classifier, i18n: gr.I18n, pad: gr.HTML, store: ClassStore | None, page: gr.Blocks | None
) -> tuple[gr.BarPlot, gr.HTML, gr.Radio, gr.HTML]:
    """The right column: the answer with the model choice beside it, the "what I meant" row with a
    ``store`` (shown in a class), the probability chart, the line to join a class, and the 28x28
    the model saw; returns (chart, answer, model, seen)."""
    # On a phone the columns stack: the answer comes right under the pad, the model choice beside it.
    with gr.Column(scale=1, min_width=300):
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=150):
                answer = results.answer("result")
            with gr.Column(scale=2, min_width=150):
                model = gr.Radio(
                    [(i18n("model_softmax"), "softmax"), (i18n("model_mlp"), "mlp")],
                    value="mlp",
                    label=i18n("model_label"),
                    elem_id="model",
                )
        join = meant_row.build(classifier, store, i18n, pad, page) if store is not None else None
        chart = results.probability_chart(i18n("chart_label"), "chart")
        if join is not None:
            join()
        seen = gr.HTML(
            results.seen_html(None), label=i18n("seen_label"), show_label=True, container=True, elem_id="seen"
        )
    return chart, answer, model, seen


def wire_reading(
    classifier: Classifier, pad: gr.HTML, photo: gr.Image, model: gr.Radio, shown: list[gr.Component]
) -> None:
    """The events that read the pad or the photo with the chosen model into ``shown`` (chart,
    answer, 28x28)."""

    def show_drawing(pad_value: str | None, model: str, request: gr.Request):
        return read_drawing(classifier, pad_value, model, viewer_language(request))

    pad.change(
        show_drawing,
        inputs=[pad, model],
        outputs=shown,
        # A burst of strokes collapses to the latest drawing.
        trigger_mode="always_last",
        **HIDDEN,
    )

    def show_photo_or_drawing(photo: str | None, pad_value: str | None, model: str, request: gr.Request):
        language = viewer_language(request)
        if photo is None:
            return read_drawing(classifier, pad_value, model, language)
        return read_photo(classifier, photo, model, language)

    # What is read is the last thing given: a photo until the pad is drawn on, which puts the
    # photo away (in the browser, no request); then the drawing. Switching the model re-reads it.
    pad.change(None, outputs=[photo], js="() => null", **HIDDEN)
    for event in (photo.change, model.change):
        event(
            show_photo_or_drawing,
            inputs=[photo, pad, model],
            outputs=shown,
            trigger_mode="always_last",
            **HIDDEN,
        )


def build_api(classifier: Classifier) -> None:
    """The public API: an image file and a model name in; JSON (``/classify``) or Gradio's
    classification output (``/classify_label``) out."""
    with gr.Row(visible=False):
        image = gr.Image(label="image", type="filepath", image_mode="RGBA", sources=["upload"])
        model = gr.Radio(list(MODEL_NAMES), value="mlp", label="model")
        as_json = gr.JSON(label="prediction")
        as_label = gr.Label(label="prediction", num_top_classes=10)
        button = gr.Button()

    def classify(image: dict, model: str, request: gr.Request) -> dict:
        """Read the digit in an image (PNG, JPEG or WebP; ink on a transparent background or
        on plain paper) with the softmax regression ("softmax") or the MLP ("mlp"). Returns
        the predicted digit, the probability of each digit 0-9 in order, whether the model
        takes the image for a digit at all (``is_digit``, from its top probability and
        ``digit_threshold``), the model, and the device it ran on."""
        return read_upload(classifier, image, model, viewer_language(request)).as_json()

    def classify_label(image: dict, model: str, request: gr.Request) -> dict:
        """Read the digit in an image, as /classify does; returns Gradio's classification output:
        each digit's probability, highest first, and as its label the digit read, or "not a
        digit" when the model does not take the image for one."""
        return results.label(read_upload(classifier, image, model, viewer_language(request)))

    for fn, output in ((classify, as_json), (classify_label, as_label)):
        button.click(
            fn,
            inputs=[image, model],
            outputs=output,
            api_name=fn.__name__,
            # The handler reads the file itself, so that a bad one gets the app's own message
            # rather than the generic error of gr.Image's decoding. Gradio still refuses a path
            # that is not one of this server's uploads before the handler runs.
            preprocess=False,
            # The label's value is already in gr.Label's format (results.label).
            postprocess=fn is classify,
        )
