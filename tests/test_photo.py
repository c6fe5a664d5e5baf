"""A photo of a digit written on paper: read through uneven light and shadow, slight rotation,
camera noise and JPEG; refused, with the reason, when it holds no single digit.

The photos are made here from a seed (``tests.paper_photos``), so anyone can make them again.
"""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest
from PIL import Image

from demo import student
from mnist_models.datasets.pendigits import VALIDATION_WRITERS, PenDigit
from mnist_models.pad import render_strokes
from mnist_models.reading.photo import PhotoError, photo_grey, photo_ink, preprocess_photo
from mnist_models.reading.preprocess import CENTRE, DrawingError
from tests.conftest import seen_picture
from tests.paper_photos import paper_photo

# A 7 as a tablet records it (y up): the bar, then the stem down to the left.
SEVEN = PenDigit(7, writer=0, sample=0, strokes=(np.array([[0, 100], [30, 101], [60, 100], [40, 50], [22, 0]], float),))


def seven_photo(seed: int = 0, size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A JPEG phone photo of a 7 written on paper, lit unevenly and slightly rotated."""
    return paper_photo(SEVEN, seed, size)


@pytest.mark.parametrize("seed", range(4))
def test_a_photo_of_a_digit_on_paper_reads_right(classifier, seed):
    x = preprocess_photo(seven_photo(seed))
    assert x.shape == (28, 28) and x.dtype == np.float32 and x.max() > 0.6
    ys, xs = np.indices(x.shape)
    assert (ys * x).sum() / x.sum() == pytest.approx(CENTRE, abs=0.5)
    assert (xs * x).sum() / x.sum() == pytest.approx(CENTRE, abs=0.5)
    assert classifier.read(seven_photo(seed), ["mlp"], source="photo")["mlp"].digit == 7


def test_light_and_shadow_are_taken_out_of_blank_paper():
    photo = paper_photo(None, seed=3, size=(1600, 1200))
    grey = photo_grey(photo)
    # The paper really is lit unevenly: its brightest part is far brighter than its darkest.
    assert np.percentile(grey, 95) > 1.4 * np.percentile(grey, 20)
    with pytest.raises(PhotoError, match="No dark writing") as error:
        preprocess_photo(photo)
    assert error.value.reason == "photo_blank"


def test_a_photo_turned_by_its_exif_orientation_reads_upright(classifier):
    upright = Image.open(io.BytesIO(seven_photo(1)))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a phone held sideways stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to show"
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=90, exif=exif)
    assert classifier.read(buffer.getvalue(), ["mlp"], source="photo")["mlp"].digit == 7
    np.testing.assert_allclose(preprocess_photo(buffer.getvalue()), preprocess_photo(seven_photo(1)), atol=0.3)


def sheet_of_sevens() -> bytes:
    """A photo of a sheet with six 7s written on it, two rows of three."""
    sheet = Image.new("RGB", (1600, 1200), (225, 222, 210))
    stroke = SEVEN.strokes[0] * [2.5, -2.5] + [30, 280]
    seven = render_strokes([stroke], canvas=300, pen_width=20).getchannel("A")
    for row in range(2):
        for column in range(3):
            sheet.paste((30, 30, 40), (150 + 500 * column, 200 + 500 * row), seven)
    buffer = io.BytesIO()
    sheet.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def test_many_digits_on_one_sheet_are_refused_as_clutter():
    with pytest.raises(PhotoError, match="6 separate things") as error:
        preprocess_photo(sheet_of_sevens())
    assert error.value.reason == "photo_clutter"


def test_a_sheet_covered_in_writing_is_refused():
    rng = np.random.default_rng(0)
    scribbles = [rng.uniform(0, 1200, (40, 2)) for _ in range(30)]
    page = Image.new("L", (1200, 1200), 230)
    page.paste(0, mask=render_strokes(scribbles, canvas=1200, pen_width=10).getchannel("A"))
    with pytest.raises(PhotoError) as error:
        preprocess_photo(page)
    assert error.value.reason in ("photo_dark", "photo_clutter"), error.value


def test_a_digit_cut_by_the_photos_edge_is_refused():
    photo = Image.open(io.BytesIO(seven_photo(2)))
    ink = photo_ink(seven_photo(2))
    rows = np.flatnonzero(ink.any(1)) * photo.height / ink.shape[0]
    cut = photo.crop((0, int(rows.mean()), photo.width, photo.height))  # through the middle of the 7
    with pytest.raises(PhotoError, match="edge") as error:
        preprocess_photo(cut)
    assert error.value.reason == "photo_edge"


def test_a_tiny_digit_is_refused_with_a_request_to_come_closer():
    page = Image.new("L", (1600, 1200), 235)
    stroke = (SEVEN.strokes[0] * [0.3, -0.3]) + [10, 40]
    page.paste(0, (800, 600), render_strokes([stroke], canvas=50, pen_width=4).getchannel("A"))
    with pytest.raises(PhotoError, match="too small") as error:
        preprocess_photo(page)
    assert error.value.reason == "photo_small"


def test_a_huge_image_is_refused_before_it_is_decoded():
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000), 1).save(buffer, "PNG")  # 64 megapixels in a few KB
    start = time.perf_counter()
    with pytest.raises(DrawingError, match="8000×8000") as error:
        preprocess_photo(buffer.getvalue())
    assert error.value.reason == "too_many_pixels"
    assert time.perf_counter() - start < 1.0  # the header says it all: nothing is decoded


@pytest.mark.parametrize("data", [b"%PDF-1.4 a document, not a photo", b"\xff\xd8\xff\xe0 not really a JPEG"])
def test_a_file_that_is_not_an_image_is_refused(data, tmp_path):
    with pytest.raises(DrawingError, match="not an image") as error:
        preprocess_photo(data)
    assert error.value.reason == "not_an_image"
    (tmp_path / "photo.jpg").write_bytes(data)
    with pytest.raises(DrawingError, match="not an image"):
        preprocess_photo(tmp_path / "photo.jpg")


# Photos of the validation writers' digits (never trained on), one in every few of them.
PHOTOS = 100


@pytest.mark.pendigits
def test_photos_of_real_pen_digits_read_right(pen_data, classifier):
    digits = pen_data.by_writers(VALIDATION_WRITERS)
    digits = digits[:: len(digits) // PHOTOS][:PHOTOS]
    images = np.stack([preprocess_photo(paper_photo(digit, seed=0)) for digit in digits])
    labels = np.array([digit.label for digit in digits])
    assert set(labels.tolist()) == set(range(10))
    accuracy = {
        name: (classifier.probabilities(images, name).argmax(1) == labels).mean() for name in ("mlp", "softmax")
    }
    # What the same models get on these writers' digits drawn on the pad: 98.3 % and 89.3 %.
    assert accuracy["mlp"] >= 0.93, accuracy
    assert accuracy["softmax"] >= 0.80, accuracy


# The page's photo input ------------------------------------------------------------------------


def test_the_page_shows_a_photos_answer_and_what_the_model_saw(classifier, upload_folder):
    (upload_folder / "seven.jpg").write_bytes(seven_photo(0))
    chart, answer, seen = student.read_photo(classifier, str(upload_folder / "seven.jpg"), "mlp")
    assert chart.loc[chart["kind"] == "prediction", "digit"].tolist() == ["7"]
    assert 'class="result-digit" aria-hidden="true">7<' in answer
    picture = seen_picture(seen)
    assert picture.shape == (28, 28) and picture.min() < 50 and picture[0, 0] == 255


def test_the_page_says_why_a_photo_was_not_read_in_the_viewers_language(classifier, upload_folder, tmp_path):
    (upload_folder / "blank.jpg").write_bytes(paper_photo(None, seed=3, size=(1600, 1200)))
    (upload_folder / "clutter.jpg").write_bytes(sheet_of_sevens())
    (upload_folder / "notes.jpg").write_bytes(b"%PDF-1.4 a document")
    for name, english, korean in (
        ("blank.jpg", "No dark writing", "글씨를 찾지 못했습니다"),
        ("clutter.jpg", "separate things", "여러 가지"),
        ("notes.jpg", "not an image", "그림 파일이 아닙니다"),
    ):
        for language, words in (("en", english), ("ko", korean)):
            chart, answer, seen = student.read_photo(classifier, str(upload_folder / name), "mlp", language)
            assert words in answer and "<img" not in seen and chart["probability"].sum() == 0
        assert not re.search("[a-z]{4}", answer.split("result-message")[1]), answer  # no English left in Korean
    outside = tmp_path / "seven.jpg"
    outside.write_bytes(seven_photo(0))  # a real photo, but not an upload: not read
    for path in (str(outside), "/etc/passwd", None, {"path": str(outside)}):
        _, answer, _ = student.read_photo(classifier, path, "mlp")
        assert "No image" in answer
