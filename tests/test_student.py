"""The drawing page's events, called directly: what the page shows for each kind of drawing, and the API's answers."""

from __future__ import annotations

import base64
import io

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from demo import student
from mnist_models import pictures
from tests.conftest import draw_digit, pad_value, seen_picture


def pad_value_of_bytes(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


def live(classifier, value, model: str, language: str = "en"):
    """The pad's event: (chart data, answer HTML, 28x28 HTML)."""
    return student.read_drawing(classifier, value, model, language)


@pytest.mark.parametrize("model", ["softmax", "mlp"])
def test_a_drawing_fills_chart_result_and_preview(classifier, model):
    drawing = draw_digit(7, canvas=280, box=(150, 20, 260, 200), width=18)
    chart, result, seen = live(classifier, pad_value(drawing), model)
    assert chart["digit"].tolist() == [str(d) for d in range(10)]
    assert chart["probability"].sum() == pytest.approx(1.0, abs=1e-6)
    assert chart.loc[chart["kind"] == "prediction", "digit"].tolist() == ["7"]
    assert 'class="result-digit" aria-hidden="true">7<' in result and "The answer is 7" in result
    picture = seen_picture(seen)
    # The model's input, as dark ink on white paper: the same pixels the model read.
    expected = pictures.enlarge(classifier.read(drawing, [model], source="image")[model].image, 1)
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
        (pad_value_of_bytes(b"not a png"), "not an image"),
        ({"path": "/etc/passwd"}, "did not arrive as a PNG"),
    ],
)
def test_a_forged_pad_value_gets_a_message_not_a_crash(classifier, value, message):
    chart, result, seen = live(classifier, value, "mlp")
    assert message in result and "<img" not in seen and chart["probability"].sum() == 0


def uploaded(folder, image: Image.Image, name: str = "one.png") -> dict:
    image.save(folder / name)
    return {"path": str(folder / name), "meta": {"_type": "gradio.FileData"}}


def test_api_returns_the_documented_json(classifier, upload_folder):
    result = student.read_upload(classifier, uploaded(upload_folder, draw_digit(1)), "mlp").as_json()
    assert set(result) == {
        "prediction",
        "probabilities",
        "model",
        "device",
        "is_digit",
        "digit_threshold",
        "not_a_digit_probability",
    }
    assert result["prediction"] == 1 and result["device"] == "CPU" and result["is_digit"] is True


def test_a_drawing_the_model_does_not_take_for_a_digit_is_said_so_without_a_big_digit(classifier):
    import dataclasses

    from demo import results

    seven = classifier.read(draw_digit(7), ["mlp"], source="image")["mlp"]
    assert 'data-verdict="digit"' in results.answer_html(seven, "en")
    doubtful = dataclasses.replace(seven, is_digit=False, threshold=0.999)
    english, korean = results.answer_html(doubtful, "en"), results.answer_html(doubtful, "ko")
    p = seven.probabilities[7]
    assert 'data-verdict="not-a-digit"' in english and "result-digit" not in english
    assert f"This does not look like a digit to me — closest: 7, {p:.0%}" in english
    assert "숫자로 보이지 않습니다" in korean and "does not look" not in korean
    assert 'data-verdict="empty"' in results.answer_html(None, "en")


@pytest.mark.parametrize(
    "image, model, message",
    [
        (None, "mlp", "No image"),
        ("one", "svm", "Unknown model"),
        ("blank", "mlp", "blank"),
        ("one", None, "Unknown model"),
    ],
)
def test_api_errors_are_gradio_errors_with_a_message(classifier, upload_folder, image, model, message):
    if image == "one":
        image = uploaded(upload_folder, draw_digit(1))
    elif image == "blank":
        image = uploaded(upload_folder, Image.new("RGBA", (100, 100)))
    with pytest.raises(gr.Error, match=message):
        student.read_upload(classifier, image, model)


def test_a_korean_viewer_reads_every_message_in_korean_only(classifier, upload_folder):
    _, result, _ = live(classifier, "", "mlp", "ko")
    assert "숫자를 그려 보세요" in result and "Draw" not in result
    _, result, _ = live(classifier, pad_value(Image.new("RGBA", (280, 280), (0, 0, 0, 255))), "mlp", "ko")
    assert "잉크" in result and "ink" not in result
    _, result, _ = live(
        classifier, pad_value(draw_digit(7, canvas=280, box=(150, 20, 260, 200), width=18)), "mlp", "ko"
    )
    assert "MLP의 답: 7" in result
    with pytest.raises(gr.Error, match="그림이 오지 않았습니다"):
        student.read_upload(classifier, None, "mlp", "ko")


def test_an_upload_is_read_only_from_the_upload_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    upload = tmp_path / "uploads" / "abc" / "seven.png"
    upload.parent.mkdir(parents=True)
    draw_digit(7).save(upload)
    outside = tmp_path / "elsewhere.png"
    draw_digit(7).save(outside)
    (tmp_path / "uploads" / "abc" / "link.png").symlink_to(outside)
    (tmp_path / "uploads" / "abc" / "zero").symlink_to("/dev/zero")
    assert student.uploaded_file({"path": str(upload), "meta": {"_type": "gradio.FileData"}}) == str(upload)
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
        assert student.uploaded_file(value) is None, value


def test_the_example_drawings_are_pad_pictures_the_mlp_reads_right(classifier):
    examples = student.example_drawings()
    assert [digit for digit, _ in examples] == [7, 4, 1, 9]
    for digit, value in examples:
        picture = Image.open(io.BytesIO(base64.b64decode(value.split(",", 1)[1])))
        assert picture.mode == "RGBA" and picture.size == (280, 280)
        _, answer, _ = live(classifier, value, "mlp")
        assert f'class="result-digit" aria-hidden="true">{digit}<' in answer
