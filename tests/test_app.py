"""The real app on a loopback port, called over HTTP the way API users and the page call it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mnist_models.models.checkpoints import load_metrics
from tests.conftest import draw_digit
from tests.live_app import ROOT, running_app

pytestmark = pytest.mark.app


@pytest.fixture(scope="module")
def client():
    from gradio_client import Client

    with running_app() as url:
        yield Client(url, verbose=False)


def save(image: Image.Image, folder: Path, name: str, fmt: str = "PNG") -> str:
    path = folder / name
    image.save(path, fmt)
    return str(path)


def classify(client, path: str, model: str) -> dict:
    from gradio_client import handle_file

    return client.predict(handle_file(path), model, api_name="/classify")


@pytest.mark.parametrize("model", ["softmax", "mlp"])
@pytest.mark.parametrize("digit", [0, 1])
def test_drawn_digits_come_back_right(client, tmp_path, model, digit):
    # Large and off-centre, on a transparent canvas and on white paper.
    layer = draw_digit(digit, canvas=600, box=(330, 60, 560, 560), width=34)
    white = Image.new("RGB", layer.size, "white")
    white.paste(layer, mask=layer)
    for name, image in (("layer.png", layer), ("white.png", white)):
        result = classify(client, save(image, tmp_path, name), model)
        assert result["prediction"] == digit, (name, result)
        assert result["model"] == model and result["device"] == "CPU"
        assert len(result["probabilities"]) == 10
        assert sum(result["probabilities"]) == pytest.approx(1.0, abs=1e-6)
        assert int(np.argmax(result["probabilities"])) == digit


def _not_an_image(folder: Path) -> str:
    path = folder / "notes.png"
    path.write_text("this is a text file with a .png name")
    return str(path)


def _huge(folder: Path) -> str:
    return save(Image.new("L", (6000, 6000), 255), folder, "huge.png")


@pytest.mark.parametrize(
    "make_input, model, message",
    [
        (lambda d: save(Image.new("RGBA", (400, 400), (0, 0, 0, 0)), d, "blank.png"), "mlp", "blank"),
        (lambda d: save(Image.new("RGB", (400, 400), "black"), d, "ink.png"), "mlp", "all ink"),
        (lambda d: save(Image.new("RGB", (1, 1), "white"), d, "dot.png"), "mlp", "at least"),
        (_huge, "mlp", "6000×6000"),
        (_not_an_image, "mlp", "not an image"),
        (lambda d: save(draw_digit(7), d, "seven.png"), "cnn", "Unknown model"),
    ],
    ids=["blank", "all-ink", "1x1", "6000x6000", "not-an-image", "unknown-model"],
)
def test_bad_input_gets_a_clear_error_and_the_server_keeps_answering(client, tmp_path, make_input, model, message):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=message):
        classify(client, make_input(tmp_path), model)
    assert classify(client, save(draw_digit(1), tmp_path, "one.png"), "mlp")["prediction"] == 1


def test_the_app_file_starts_as_spaces_runs_it(tmp_path):
    """Spaces runs `python demo/app.py` from the repository root, without installing the project."""
    import sys

    from gradio_client import Client

    with running_app([sys.executable, "demo/app.py"]) as url:
        client = Client(url, verbose=False)
        assert classify(client, save(draw_digit(0), tmp_path, "zero.png"), "softmax")["prediction"] == 0


def test_both_pages_answer_with_or_without_a_trailing_slash(app_url):
    import httpx

    with httpx.Client(base_url=app_url, timeout=30, follow_redirects=True) as http:
        for path in ("", "classroom", "classroom/"):
            page = http.get(app_url + path)
            assert page.status_code == 200, path
            assert "<gradio-app" in page.text or "gradio" in page.text.lower()
        assert str(http.get(app_url + "classroom/").url).rstrip("/").endswith("/classroom")
        assert http.get(app_url + "docs").status_code == 404  # no FastAPI docs pages


def test_a_students_session_carries_the_drawing_page_alone(classifier, store):
    """Gradio copies the config of every component of the Blocks into each new session: the
    classroom's are made for each classroom page as it opens (gr.render), so a session made by
    the drawing page holds the drawing page's components and the classroom's empty frame."""
    from gradio.state_holder import SessionState

    from demo.app import build_demo
    from demo.language import translations

    demo = build_demo(classifier, translations(classifier.metrics, "CPU"), store)
    home, classroom = demo.config["page"][""]["components"], demo.config["page"]["classroom"]["components"]
    copied = SessionState(demo).config_values
    assert set(home) <= set(copied) and len(copied) <= len(home) + 5
    assert len(classroom) <= 3
    kinds = {c["type"] for c in demo.config["components"]}
    assert not {"tabs", "timer", "gallery"} & kinds  # none of the classroom's tabs is built up front


def test_the_api_says_whether_the_model_takes_the_image_for_a_digit(app_url):
    from tests.conftest import png_bytes
    from tests.live_app import GradioHTTP, file_data

    http = GradioHTTP(app_url)
    try:
        for model in ("softmax", "mlp"):
            event, [result] = http.classify(png_bytes(draw_digit(7)), model)
            assert event == "complete" and result["prediction"] == 7
            threshold = load_metrics(model).get("verdict", {}).get("threshold", 0.0)
            assert result["is_digit"] is True and result["digit_threshold"] == threshold
            chance = result["not_a_digit_probability"]  # a model with a "not a digit" output's
            score = max(result["probabilities"]) if chance is None else 1 - chance
            assert score >= result["digit_threshold"]
            # /classify_label: Gradio's classification output, the digit read as its label.
            event, [label] = http.call("classify_label", [file_data(http.upload(png_bytes(draw_digit(7)))), model])
            assert event == "complete" and label["label"] == "7"
            confidences = [c["confidence"] for c in label["confidences"]]
            assert label["confidences"][0]["label"] == "7" and len(confidences) == 10
            assert confidences == sorted(confidences, reverse=True)
            assert confidences == pytest.approx(sorted(result["probabilities"], reverse=True))
    finally:
        http.close()


@pytest.mark.skipif(
    "histogram" not in load_metrics("mlp").get("verdict", {}),
    reason="the shipped MLP carries no verdict yet: it takes every drawing for a digit",
)
def test_the_api_says_a_smiley_is_not_a_digit(app_url):
    from mnist_models.datasets.nondigits import load_stroke_drawings
    from tests.conftest import png_bytes
    from tests.live_app import GradioHTTP, file_data

    smileys = [
        picture for kind, picture in load_stroke_drawings(ROOT / "tests" / "fun_drawings.json") if kind == "smiley"
    ]
    http = GradioHTTP(app_url)
    try:
        answers = [http.classify(png_bytes(picture), "mlp")[1][0] for picture in smileys]
        labels = [http.call("classify_label", [file_data(http.upload(png_bytes(p))), "mlp"])[1][0] for p in smileys]
    finally:
        http.close()
    assert sum(not answer["is_digit"] for answer in answers) > len(answers) / 2, answers
    # /classify_label says so too, and still gives every digit's probability.
    for answer, label in zip(answers, labels, strict=True):
        assert label["label"] == (str(answer["prediction"]) if answer["is_digit"] else "not a digit")
        assert len(label["confidences"]) == 10


def test_the_queue_rebuilds_gradios_analytics_summary_only_every_thousandth_event(classifier, store):
    """Gradio's queue rebuilds a pandas summary of its last 10,000 events after each event unless
    told otherwise, and reads the setting when the queue is made: the app's queue must be made
    with it (a server that set it later paid the summary on every drawing)."""
    from demo.app import build_demo
    from demo.language import translations

    demo = build_demo(classifier, translations(classifier.metrics, "CPU"), store)
    assert demo._queue.ANAYLTICS_CACHE_FREQUENCY == 1000  # Gradio's own spelling


def test_the_queue_refuses_events_past_its_size_instead_of_growing(classifier, store):
    from demo.app import QUEUE_MAX_SIZE, build_demo
    from demo.language import translations

    demo = build_demo(classifier, translations(classifier.metrics, "CPU"), store)
    assert demo._queue.max_size == QUEUE_MAX_SIZE > 0
