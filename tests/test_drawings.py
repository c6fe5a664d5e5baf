"""The synthetic drawn-digit set: deterministic, balanced, canvas-shaped and really varied."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from mnist_models.datasets.drawings import DIGIT_STROKES, redraw_mnist, render_digit
from tests.drawn_digits import drawn_digit_set

CANVAS = 160  # small canvases keep the suite fast; the geometry is relative to the canvas


@pytest.fixture(scope="module")
def drawn() -> list[tuple[Image.Image, int]]:
    return drawn_digit_set(per_digit=8, seed=0, canvas=CANVAS)


def ink(image: Image.Image) -> np.ndarray:
    """Ink as 0-255 whatever the background: alpha on transparent layers, darkness on paper."""
    if image.mode == "RGBA":
        return np.asarray(image.getchannel("A"), dtype=np.int32)
    return 255 - np.asarray(image.convert("L"), dtype=np.int32)


def ink_box(image: Image.Image, threshold: int = 128) -> tuple[int, int, int, int]:
    """(top, left, bottom, right) of the solid ink, inclusive."""
    rows, cols = np.nonzero(ink(image) >= threshold)
    assert len(rows), "image has no ink"
    return rows.min(), cols.min(), rows.max(), cols.max()


def stroke_width(image: Image.Image) -> float:
    """Mean pen width: for a thin shape, area = length * width and the outline is ~2 * length."""
    solid = ink(image) >= 128
    padded = np.pad(solid, 1)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    outline = solid & ~interior
    return 2 * solid.sum() / outline.sum()


def test_same_seed_same_set_and_other_seed_differs():
    first = drawn_digit_set(per_digit=2, seed=7, canvas=64)
    again = drawn_digit_set(per_digit=2, seed=7, canvas=64)
    other = drawn_digit_set(per_digit=2, seed=8, canvas=64)
    assert [(im.tobytes(), d) for im, d in first] == [(im.tobytes(), d) for im, d in again]
    assert [im.tobytes() for im, _ in first] != [im.tobytes() for im, _ in other]


def test_smaller_set_is_a_prefix_of_a_larger_one():
    # Samples are seeded individually, so asking for more must not change the first ones.
    small = drawn_digit_set(per_digit=1, seed=3, canvas=64)
    large = drawn_digit_set(per_digit=3, seed=3, canvas=64)
    assert [im.tobytes() for im, _ in small] == [im.tobytes() for im, _ in large[: len(small)]]


def test_labels_balanced_and_each_digit_gets_both_backgrounds(drawn):
    assert Counter(d for _, d in drawn) == {d: 8 for d in range(10)}
    for digit in range(10):
        modes = Counter(im.mode for im, d in drawn if d == digit)
        assert modes == {"RGBA": 4, "RGB": 4}


def test_transparent_images_are_black_ink_in_alpha_on_clear_paper(drawn):
    layers = [im for im, _ in drawn if im.mode == "RGBA"]
    assert layers
    for im in layers:
        a = np.asarray(im)
        assert im.size == (CANVAS, CANVAS)
        assert not a[..., :3].any(), "colour channels must be black; the ink is in alpha"
        assert a[..., 3].max() == 255, "the ink core must be opaque"
        assert (a[..., 3] == 0).mean() > 0.5, "most of the layer must be fully transparent"


def test_white_images_have_black_ink_and_white_border(drawn):
    papers = [im for im, _ in drawn if im.mode == "RGB"]
    assert papers
    for im in papers:
        a = np.asarray(im)
        assert im.size == (CANVAS, CANVAS)
        assert (a[..., 0] == a[..., 1]).all() and (a[..., 1] == a[..., 2]).all(), "grey only"
        assert a.min() == 0, "the ink core must be black"
        border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
        assert (border == 255).all()


def test_ink_never_reaches_the_canvas_edge(drawn):
    for im, digit in drawn:
        top, left, bottom, right = ink_box(im, threshold=1)
        assert top > 0 and left > 0 and bottom < CANVAS - 1 and right < CANVAS - 1, digit


@settings(max_examples=40, deadline=None)
@given(
    digit=st.integers(0, 9),
    seed=st.integers(0, 2**32 - 1),
    canvas=st.sampled_from([48, 64, 96, 200]),
    background=st.sampled_from(["transparent", "white"]),
)
def test_any_drawing_has_ink_inside_the_canvas(digit, seed, canvas, background):
    im = render_digit(digit, np.random.default_rng(seed), canvas, background)
    assert im.size == (canvas, canvas)
    top, left, bottom, right = ink_box(im, threshold=1)
    assert top > 0 and left > 0 and bottom < canvas - 1 and right < canvas - 1
    # Sizes are drawn from 25-90% of the canvas; allow the glyph's own jitter either side.
    assert 0.2 * canvas <= bottom - top + 1 <= canvas


def test_sizes_positions_and_pen_widths_vary(drawn):
    heights, offsets, widths = [], [], []
    for im, _ in drawn:
        top, left, bottom, right = ink_box(im)
        heights.append((bottom - top + 1) / CANVAS)
        offsets.append(np.hypot((top + bottom) / 2 - CANVAS / 2, (left + right) / 2 - CANVAS / 2) / CANVAS)
        widths.append(stroke_width(im) / CANVAS)
    assert min(heights) < 0.35 and max(heights) > 0.75, "need small and large digits"
    assert max(offsets) > 0.2, "need clearly off-centre digits"
    assert min(widths) < 0.02 and max(widths) > 0.045, "need thin pens and marker-thick ones"


def test_pen_is_never_a_blob_relative_to_the_digit(drawn):
    for im, digit in drawn:
        top, _, bottom, _ = ink_box(im)
        assert stroke_width(im) < 0.25 * (bottom - top + 1), digit


def test_templates_have_several_variants_and_handwriting_proportions():
    for digit, variants in DIGIT_STROKES.items():
        assert len(variants) >= 2, digit
        for glyph in variants:
            pts = np.concatenate([np.asarray(stroke) for stroke in glyph])
            width, height = pts.max(axis=0) - pts.min(axis=0)
            assert 0.9 <= height <= 1.05 and width < 0.8 * height, digit
    one_width = max(np.ptp(np.concatenate([np.asarray(s) for s in g])[:, 0]) for g in DIGIT_STROKES[1])
    assert one_width < 0.5, "a 1 is narrow"


def test_render_rejects_bad_arguments():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        render_digit(10, rng)
    with pytest.raises(ValueError):
        render_digit(3, rng, background="blue")


def mnist_like_seven() -> np.ndarray:
    """A 28x28 uint8 "7" with MNIST's layout: ink 255 inside a centred 20x20 box."""
    image = np.zeros((28, 28), np.uint8)
    image[5:8, 6:22] = 255
    for row in range(8, 24):
        col = 21 - (row - 8) * 9 // 16
        image[row, col - 1 : col + 2] = 255
    return image


@pytest.mark.parametrize("background", ["transparent", "white"])
def test_redraw_mnist_keeps_the_whole_digit(background):
    digit = mnist_like_seven()
    rows, cols = np.nonzero(digit)
    aspect = (np.ptp(cols) + 1) / (np.ptp(rows) + 1)
    heights = []
    for seed in range(12):
        im = redraw_mnist(digit, np.random.default_rng(seed), canvas=CANVAS, background=background)
        assert im.size == (CANVAS, CANVAS)
        assert im.mode == ("RGBA" if background == "transparent" else "RGB")
        top, left, bottom, right = ink_box(im)
        h, w = bottom - top + 1, right - left + 1
        heights.append(h / CANVAS)
        # Same shape as the source: a clipped or squashed digit would change the aspect ratio.
        assert w / h == pytest.approx(aspect, rel=0.15)
        outer = ink_box(im, threshold=1)
        assert outer[0] >= 0 and outer[2] <= CANVAS - 1
    assert 0.25 < min(heights) and max(heights) < 0.95
    assert max(heights) - min(heights) > 0.2, "sizes should vary"


def test_redraw_mnist_rejects_blank_and_wrong_shape():
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError):
        redraw_mnist(np.zeros((28, 28), np.uint8), rng)
    with pytest.raises(ValueError):
        redraw_mnist(np.zeros((20, 20), np.uint8), rng)
