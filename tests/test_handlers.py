"""The app's event handlers, called directly: what the page shows for each kind of drawing."""

from __future__ import annotations

import base64
import io
import re

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo import handlers
from mnist_models import explain
from mnist_models.inference import Classifier
from tests.conftest import draw_digit


@pytest.fixture(scope="module")
def classifier():
    return Classifier("cpu")


def live(classifier, value, model: str):
    """The live handler: (chart data, result HTML, 28x28 HTML)."""
    return handlers.classify_drawing(classifier, value, model)


def pad_value(image: Image.Image) -> str:
    """What the drawing pad sends: its picture as a PNG data URL (black ink, transparent paper)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def seen_picture(seen: str) -> np.ndarray:
    """The 28x28 picture inside the "what the model sees" HTML."""
    data = re.search(r'src="data:image/png;base64,([^"]+)"', seen).group(1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))


@pytest.mark.parametrize("model", ["softmax", "mlp"])
def test_a_drawing_fills_chart_result_and_preview(classifier, model):
    drawing = draw_digit(7, canvas=280, box=(150, 20, 260, 200), width=18)
    chart, result, seen = live(classifier, pad_value(drawing), model)
    assert chart["digit"].tolist() == [str(d) for d in range(10)]
    assert chart["probability"].sum() == pytest.approx(1.0, abs=1e-6)
    assert chart.loc[chart["kind"] == "prediction", "digit"].tolist() == ["7"]
    assert 'class="result-digit">7<' in result
    picture = seen_picture(seen)
    # The model's input, as dark ink on white paper: the same pixels the model read.
    expected = explain.enlarge(classifier.classify(drawing, model).image, 1)
    assert picture.shape == (28, 28) and np.array_equal(picture, expected)
    assert picture.min() < 50 and picture[0, 0] == 255


def test_an_empty_pad_asks_for_a_drawing_without_an_error(classifier):
    blank = pad_value(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))
    for value in (blank, "", None):
        chart, result, seen = live(classifier, value, "mlp")
        assert chart["probability"].tolist() == [0.0] * 10
        assert "Draw a digit" in result and "<img" not in seen


def test_a_full_ink_pad_explains_itself(classifier):
    full = pad_value(Image.new("RGBA", (280, 280), (0, 0, 0, 255)))
    chart, result, seen = live(classifier, full, "mlp")
    assert "all ink" in result and "<img" not in seen and chart["probability"].sum() == 0


@pytest.mark.parametrize(
    "value, message",
    [
        ("/etc/passwd", "did not arrive as a PNG"),  # a path from the browser is never opened
        ("data:text/html;base64,PGI+", "did not arrive as a PNG"),
        ("data:image/png;base64,not base64!", "damaged"),
        ("data:image/png;base64," + base64.b64encode(b"not a png").decode(), "not an image"),
        ({"path": "/etc/passwd"}, "did not arrive as a PNG"),
    ],
)
def test_a_forged_pad_value_gets_a_message_not_a_crash(classifier, value, message):
    chart, result, seen = live(classifier, value, "mlp")
    assert message in result and "<img" not in seen and chart["probability"].sum() == 0


def test_api_returns_the_documented_json(classifier, tmp_path):
    path = tmp_path / "one.png"
    draw_digit(1).save(path)
    result = handlers.classify_file(classifier, str(path), "mlp")
    assert set(result) == {"prediction", "probabilities", "model", "device"}
    assert result["prediction"] == 1 and result["device"] == "CPU"


@pytest.mark.parametrize("image, model, message", [(None, "mlp", "No image"), ("one", "svm", "Unknown model")])
def test_api_errors_are_gradio_errors_with_a_message(classifier, tmp_path, image, model, message):
    if image == "one":
        image = str(tmp_path / "one.png")
        draw_digit(1).save(image)
    with pytest.raises(gr.Error, match=message):
        handlers.classify_file(classifier, image, model)


def test_an_upload_is_read_only_from_the_upload_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    upload = tmp_path / "uploads" / "abc" / "seven.png"
    upload.parent.mkdir(parents=True)
    draw_digit(7).save(upload)
    outside = tmp_path / "elsewhere.png"
    draw_digit(7).save(outside)
    (tmp_path / "uploads" / "abc" / "link.png").symlink_to(outside)
    (tmp_path / "uploads" / "abc" / "zero").symlink_to("/dev/zero")
    assert handlers.uploaded_file({"path": str(upload), "meta": {"_type": "gradio.FileData"}}) == str(upload)
    for value in (
        {"path": str(outside)},  # a real image, but not an upload
        {"path": str(tmp_path / "uploads" / "abc" / ".." / ".." / "elsewhere.png")},
        {"path": str(tmp_path / "uploads" / "abc" / "link.png")},  # a link out of the folder
        {"path": str(tmp_path / "uploads" / "abc" / "zero")},
        {"path": str(tmp_path / "uploads" / "abc")},  # a folder
        {"path": str(tmp_path / "uploads" / "abc" / "missing.png")},
        {"path": "/etc/passwd"},
        {"path": "seven.png"},
        {"path": "http://127.0.0.1/seven.png"},
        {"path": "a\0b"},
        {"path": 7},
        {"url": "http://x"},
        "seven.png",
        None,
    ):
        assert handlers.uploaded_file(value) is None, value
