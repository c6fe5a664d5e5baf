"""Canvas to 28x28, the way MNIST was made - and every kind of bad input a person can send."""

from __future__ import annotations

import base64
import io
import os
import struct
import zlib

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageOps

from mnist_models.models.deskew import deskew
from mnist_models.pad import render_strokes
from mnist_models.reading.classifier import MAX_PAD_SIDE
from mnist_models.reading.preprocess import (
    CENTRE,
    MAX_DATA_URL_CHARS,
    MAX_FILE_BYTES,
    DrawingError,
    EmptyDrawingError,
    decode_data_url,
    preprocess,
    read_file,
)
from tests.conftest import draw_digit


def centre_of_mass(x: np.ndarray) -> tuple[float, float]:
    ys, xs = np.indices(x.shape)
    return (ys * x).sum() / x.sum(), (xs * x).sum() / x.sum()


def test_output_is_mnist_shaped_centred_and_fits_20_pixels():
    x = preprocess(draw_digit(7))
    assert x.shape == (28, 28) and x.dtype == np.float32
    assert x.min() >= 0.0 and 0.85 <= x.max() <= 1.0  # full ink, softened a little by sub-pixel centring
    cy, cx = centre_of_mass(x)
    assert abs(cy - CENTRE) <= 0.5 and abs(cx - CENTRE) <= 0.5
    rows, cols = np.flatnonzero(x.max(1) > 0.05), np.flatnonzero(x.max(0) > 0.05)
    assert max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1 <= 21


@pytest.mark.mnist
def test_mnist_digits_have_their_centre_of_mass_where_preprocessing_puts_ours(mnist_test):
    centres = np.array([centre_of_mass(image) for image in mnist_test.images[:2000].numpy().astype(np.float64)])
    assert np.abs(centres.mean(0) - CENTRE).max() < 0.1


def test_a_transparent_drawing_and_the_same_ink_on_white_paper_agree():
    layer = draw_digit(0)
    white = Image.new("RGB", layer.size, "white")
    white.paste(layer, mask=layer)
    reference = preprocess(layer)
    for value in (white, np.asarray(layer), np.asarray(white), np.asarray(white.convert("L"))):
        np.testing.assert_allclose(preprocess(value), reference, atol=0.02)


def test_png_jpeg_and_webp_files_are_read():
    white = Image.new("RGB", (400, 400), "white")
    layer = draw_digit(1)
    white.paste(layer, mask=layer)
    reference = preprocess(white)
    for fmt in ("PNG", "JPEG", "WEBP"):
        buffer = io.BytesIO()
        white.save(buffer, fmt)
        assert np.abs(preprocess(buffer.getvalue()) - reference).mean() < 0.03, fmt


def _shifted_and_scaled(digit: int, dx: int, dy: int, scale: float) -> Image.Image:
    size = int(240 * scale)
    left, top = 60 + dx, 40 + dy
    return draw_digit(
        digit, canvas=500, box=(left, top, left + size * 5 // 8, top + size), width=max(4, int(20 * scale))
    )


@settings(max_examples=25, deadline=None)
@given(digit=st.sampled_from([0, 1, 7]), dx=st.integers(0, 150), dy=st.integers(0, 120), scale=st.floats(0.6, 1.4))
def test_moving_or_scaling_the_drawing_changes_little(digit, dx, dy, scale):
    reference = preprocess(_shifted_and_scaled(digit, 0, 0, 1.0))
    moved = preprocess(_shifted_and_scaled(digit, dx, dy, scale))
    # Integer centring (as MNIST did) and resampling leave small differences; a misplaced or
    # mis-scaled digit differs by far more (see test_a_different_digit_differs_much_more).
    assert np.abs(moved - reference).mean() < 0.06


def test_a_different_digit_differs_much_more():
    assert np.abs(preprocess(draw_digit(0)) - preprocess(draw_digit(1))).mean() > 0.1


@settings(max_examples=15, deadline=None)
@given(digit=st.sampled_from([0, 1, 7]), grey_paper=st.integers(200, 255), grey_ink=st.integers(0, 60))
def test_ink_polarity_of_an_upload_does_not_matter(digit, grey_paper, grey_ink):
    layer = draw_digit(digit)
    dark_on_light = Image.new("L", layer.size, grey_paper)
    dark_on_light.paste(grey_ink, mask=layer.getchannel("A"))
    light_on_dark = ImageOps.invert(dark_on_light)
    np.testing.assert_allclose(preprocess(dark_on_light), preprocess(light_on_dark), atol=0.02)


@pytest.mark.parametrize(
    "blank",
    [
        Image.new("RGBA", (400, 400), (0, 0, 0, 0)),
        Image.new("RGB", (400, 400), "white"),
        np.zeros((280, 280, 4), np.uint8),
        None,
    ],
)
def test_blank_input_asks_for_a_drawing(blank):
    with pytest.raises(EmptyDrawingError, match="Draw a digit"):
        preprocess(blank)


@pytest.mark.parametrize(
    "bad, message",
    [
        (Image.new("RGB", (1, 1), "white"), "at least"),
        (Image.new("RGB", (300, 300), "black"), "all ink"),
        (np.full((280, 280, 4), 255, np.uint8) * np.array([0, 0, 0, 1], np.uint8), "all ink"),
        (b"%PDF-1.4 this is not an image", "not an image"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image|damaged"),
        (np.zeros((5, 5, 5)), "H×W"),
        (12345, "Cannot read"),
    ],
)
def test_bad_input_gets_a_message_a_person_understands(bad, message):
    with pytest.raises(DrawingError, match=message):
        preprocess(bad)


def test_huge_image_is_refused_before_it_is_decoded():
    buffer = io.BytesIO()
    Image.new("L", (6000, 6000), 255).save(buffer, "PNG")
    with pytest.raises(DrawingError, match="6000×6000"):
        preprocess(buffer.getvalue())


def test_large_image_is_downscaled_not_refused():
    big = Image.new("RGB", (3000, 3000), "white")
    layer = draw_digit(7).resize((3000, 3000))
    big.paste(layer, mask=layer)
    x = preprocess(big)
    np.testing.assert_allclose(x, preprocess(draw_digit(7)), atol=0.35)
    assert np.abs(x - preprocess(draw_digit(7))).mean() < 0.05


def test_a_browser_data_url_is_read_like_the_file_inside_it():
    buffer = io.BytesIO()
    draw_digit(7).save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    assert decode_data_url(url) == buffer.getvalue()
    np.testing.assert_array_equal(preprocess(decode_data_url(url)), preprocess(draw_digit(7)))


def test_an_oversized_data_url_is_refused_before_it_is_decoded():
    url = "data:image/png;base64," + "A" * (MAX_DATA_URL_CHARS + 4)
    with pytest.raises(DrawingError, match="MB of text"):
        decode_data_url(url)


def png_with_chunk(png: bytes, kind: bytes, data: bytes) -> bytes:
    """``png`` with one more chunk right after its header (IHDR)."""
    chunk = struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return png[:33] + chunk + png[33:]


def test_a_malformed_exif_gets_the_apps_own_message():
    buffer = io.BytesIO()
    draw_digit(7).save(buffer, "PNG")
    broken = png_with_chunk(buffer.getvalue(), b"eXIf", b"not a TIFF structure")
    with pytest.raises(DrawingError, match="damaged or truncated") as error:
        preprocess(broken)
    assert error.value.reason == "damaged"


def test_the_pad_reads_no_picture_larger_than_the_pad_makes(classifier):
    blank_but_huge = Image.new("RGBA", (4096, 4096), (0, 0, 0, 0))  # a few KB as a PNG, 64 MB decoded
    blank_but_huge.paste(draw_digit(7, canvas=400), (0, 0))
    buffer = io.BytesIO()
    blank_but_huge.save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    assert len(url) < MAX_DATA_URL_CHARS
    with pytest.raises(DrawingError, match="4096×4096 pixels") as error:
        classifier.read(url, source="pad")
    assert error.value.reason == "drawing_too_large"
    buffer = io.BytesIO()
    draw_digit(7, canvas=MAX_PAD_SIDE).save(buffer, "PNG")  # as large as it may be: read
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
    assert classifier.read(url, source="pad")["mlp"].digit == 7


def test_only_a_bounded_regular_file_is_read(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    for path in ("/dev/zero", str(fifo), str(tmp_path), str(tmp_path / "missing.png")):
        with pytest.raises(DrawingError, match="not an image"):
            read_file(path)  # refused without waiting for a writer or reading forever
    large = tmp_path / "large.png"
    large.write_bytes(b"\0" * (MAX_FILE_BYTES + 1))
    with pytest.raises(DrawingError, match="MB"):
        read_file(large)
    with pytest.raises(DrawingError, match="MB"):
        preprocess(b"\0" * (MAX_FILE_BYTES + 1))


def test_only_png_jpeg_and_webp_are_decoded():
    buffer = io.BytesIO()
    draw_digit(7).convert("RGB").save(buffer, "BMP")  # a picture PIL reads, but not one a browser sends us
    with pytest.raises(DrawingError, match="not an image"):
        preprocess(buffer.getvalue())


def slant(x: np.ndarray) -> float:
    """mu11 / mu02 of the ink: how far x moves per row down."""
    ys, xs = np.indices(x.shape)
    cy, cx = centre_of_mass(x)
    return float(((xs - cx) * (ys - cy) * x).sum() / ((ys - cy) ** 2 * x).sum())


@pytest.mark.parametrize("lean", [-60.0, -25.0, 25.0, 60.0])
def test_deskewing_stands_a_slanted_stroke_upright_and_keeps_its_centre(lean):
    x = preprocess(render_strokes([[(140 + lean, 40), (140 - lean, 240)]]))
    assert abs(slant(x)) > 0.05
    straight = deskew(torch.from_numpy(x)).numpy()
    assert abs(slant(straight)) < 0.01
    assert centre_of_mass(straight) == pytest.approx(centre_of_mass(x), abs=0.1)
    assert straight.sum() == pytest.approx(x.sum(), rel=0.02)  # no ink lost


def test_deskewing_leaves_an_upright_digit_as_it_is_and_works_on_batches():
    upright = preprocess(render_strokes([[(140, 40), (140, 240)]]))
    leaning = preprocess(render_strokes([[(180, 40), (100, 240)]]))
    batch = torch.from_numpy(np.stack([upright, leaning]))
    straight = deskew(batch)
    assert straight.shape == batch.shape
    assert np.abs(straight[0].numpy() - upright).max() < 0.02
    assert torch.equal(straight[1], deskew(batch[1]))


def test_deskewing_a_flat_stroke_does_not_tear_it_apart():
    flat = preprocess(render_strokes([[(40, 140), (240, 150)]]))  # a dash: almost no height to shear along
    straight = deskew(torch.from_numpy(flat)).numpy()
    assert np.isfinite(straight).all()
    assert straight.sum() == pytest.approx(flat.sum(), rel=0.05)
