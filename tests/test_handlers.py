"""The app's event handlers, called directly: what the page shows for each kind of drawing."""

from __future__ import annotations

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo import handlers
from mnist_models.inference import Classifier
from tests.conftest import draw_digit


@pytest.fixture(scope="module")
def classifier():
    return Classifier("cpu")


def sketch_value(layer: Image.Image) -> dict:
    """What the sketchpad sends: a transparent layer with the ink in alpha, and an opaque composite."""
    composite = Image.new("RGBA", layer.size, "white")
    composite.alpha_composite(layer)
    return {"background": None, "layers": [np.asarray(layer)], "composite": np.asarray(composite)}


@pytest.mark.parametrize("model", ["softmax", "mlp"])
def test_a_drawing_fills_chart_result_and_preview(classifier, model):
    chart, result, seen = handlers.classify_drawing(classifier, sketch_value(draw_digit(7, canvas=280, box=(150, 20, 260, 200), width=18)), model)
    assert chart["digit"].tolist() == [str(d) for d in range(10)]
    assert chart["probability"].sum() == pytest.approx(1.0, abs=1e-6)
    assert chart.loc[chart["kind"] == "prediction", "digit"].tolist() == ["7"]
    assert 'class="result-digit">7<' in result
    assert seen.shape == (168, 168) and seen.dtype == np.uint8


def test_an_empty_canvas_asks_for_a_drawing_without_an_error(classifier):
    blank = {"background": None, "layers": [np.zeros((280, 280, 4), np.uint8)], "composite": np.full((280, 280, 4), 255, np.uint8)}
    for value in (blank, None):
        chart, result, seen = handlers.classify_drawing(classifier, value, "mlp")
        assert chart["probability"].tolist() == [0.0] * 10
        assert "Draw a digit" in result and seen is None


def test_a_full_ink_canvas_explains_itself(classifier):
    full = {"background": None, "layers": [np.full((280, 280, 4), 255, np.uint8)], "composite": None}
    chart, result, seen = handlers.classify_drawing(classifier, full, "mlp")
    assert "all ink" in result and seen is None and chart["probability"].sum() == 0


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
