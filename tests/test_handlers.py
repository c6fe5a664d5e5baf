"""The app's event handlers, called directly: what the page shows for each kind of drawing."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import re
import signal
from concurrent.futures import ThreadPoolExecutor

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo import handlers, worker
from mnist_models import explain
from mnist_models.inference import Classifier
from tests.conftest import draw_digit


@pytest.fixture(scope="module")
def classifier():
    return Classifier("cpu")


@pytest.fixture(scope="module")
def classify(classifier):
    return worker.in_thread(classifier)


def run(coroutine):
    """Run a handler coroutine to completion, in a thread of its own: during the browser tests
    Playwright's sync API keeps an event loop running in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def live(classify, value, model: str):
    """The live handler, run to completion: (chart data, result HTML, 28x28 HTML)."""
    return run(handlers.classify_drawing(classify, value, model))


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
def test_a_drawing_fills_chart_result_and_preview(classifier, classify, model):
    drawing = draw_digit(7, canvas=280, box=(150, 20, 260, 200), width=18)
    chart, result, seen = live(classify, pad_value(drawing), model)
    assert chart["digit"].tolist() == [str(d) for d in range(10)]
    assert chart["probability"].sum() == pytest.approx(1.0, abs=1e-6)
    assert chart.loc[chart["kind"] == "prediction", "digit"].tolist() == ["7"]
    assert 'class="result-digit">7<' in result
    picture = seen_picture(seen)
    # The model's input, as dark ink on white paper: the same pixels the model read.
    expected = explain.enlarge(classifier.classify(drawing, model).image, 1)
    assert picture.shape == (28, 28) and np.array_equal(picture, expected)
    assert picture.min() < 50 and picture[0, 0] == 255


def test_an_empty_pad_asks_for_a_drawing_without_an_error(classify):
    blank = pad_value(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))
    for value in (blank, "", None):
        chart, result, seen = live(classify, value, "mlp")
        assert chart["probability"].tolist() == [0.0] * 10
        assert "Draw a digit" in result and "<img" not in seen


def test_a_full_ink_pad_explains_itself(classify):
    full = pad_value(Image.new("RGBA", (280, 280), (0, 0, 0, 255)))
    chart, result, seen = live(classify, full, "mlp")
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
def test_a_forged_pad_value_gets_a_message_not_a_crash(classify, value, message):
    chart, result, seen = live(classify, value, "mlp")
    assert message in result and "<img" not in seen and chart["probability"].sum() == 0


def test_api_returns_the_documented_json(classify, tmp_path):
    path = tmp_path / "one.png"
    draw_digit(1).save(path)
    result = run(handlers.classify_file(classify, str(path), "mlp"))
    assert set(result) == {"prediction", "probabilities", "model", "device"}
    assert result["prediction"] == 1 and result["device"] == "CPU"


@pytest.mark.parametrize("image, model, message", [(None, "mlp", "No image"), ("one", "svm", "Unknown model")])
def test_api_errors_are_gradio_errors_with_a_message(classify, tmp_path, image, model, message):
    if image == "one":
        image = str(tmp_path / "one.png")
        draw_digit(1).save(image)
    with pytest.raises(gr.Error, match=message):
        run(handlers.classify_file(classify, image, model))


def test_an_upload_is_read_by_its_server_path_only():
    assert handlers.uploaded_path({"path": "/tmp/gradio/abc/seven.png", "meta": {"_type": "gradio.FileData"}}) == "/tmp/gradio/abc/seven.png"
    for value in (None, "seven.png", {"url": "http://x"}, {"path": 7}):
        assert handlers.uploaded_path(value) is None


def test_the_model_process_answers_like_this_one_and_with_the_same_errors(classifier, monkeypatch):
    """demo/worker.py: a child process with the same weights; its errors reach the handlers."""
    drawing = pad_value(draw_digit(7, canvas=280, box=(60, 40, 220, 240), width=20))
    here = classifier.classify(handlers.drawn_image(drawing), "mlp")

    async def use():
        models = worker.ModelProcess(classifier)
        try:
            # Until the child has loaded, drawings are answered here; then by the child.
            chart, result, _ = await handlers.classify_drawing(models.classify, drawing, "mlp")
            assert 'class="result-digit">7<' in result
            await until(lambda: models.ready)
            answers = await asyncio.gather(*(handlers.classify_drawing(models.classify, drawing, "mlp") for _ in range(8)))
            for chart, result, _ in answers:
                assert chart["probability"].tolist() == pytest.approx(here.probabilities, abs=1e-6)
                assert 'class="result-digit">7<' in result
            for value, message in (("", "Draw a digit"), (pad_value(Image.new("RGBA", (280, 280), "black")), "all ink")):
                assert message in (await handlers.classify_drawing(models.classify, value, "mlp"))[1]
            assert "Unknown model" in (await handlers.classify_drawing(models.classify, drawing, "svm"))[1]
            assert models.ready  # errors are answers: the child is still there

            # A child that dies is replaced; drawings meanwhile are still answered.
            first = models.pid
            os.kill(first, signal.SIGKILL)
            answers = await asyncio.gather(*(handlers.classify_drawing(models.classify, drawing, "softmax") for _ in range(4)))
            assert all('class="result-digit">7<' in result for _, result, _ in answers)
            await until(lambda: models.ready and models.pid != first)
            assert 'class="result-digit">7<' in (await handlers.classify_drawing(models.classify, drawing, "mlp"))[1]

            # A child that stops answering is replaced too, and the drawing it held is answered here.
            monkeypatch.setattr(worker, "ANSWER_TIMEOUT_S", 1.0)
            stuck = models.pid
            os.kill(stuck, signal.SIGSTOP)
            assert 'class="result-digit">7<' in (await handlers.classify_drawing(models.classify, drawing, "mlp"))[1]
            await until(lambda: models.ready and models.pid != stuck)
        finally:
            models.close()
        return models

    models = run(use())
    assert not models.alive


async def until(condition, timeout_s: float = 60.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)
