"""Generated non-digits (font letters, shapes, scribbles) and the hand-made fun drawings: every one
is a picture the pad could send, that the app reads, and that does not look like a digit."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import ImageFont

from mnist_models.datasets import nondigits
from mnist_models.datasets.nondigits import (
    DIGIT_LIKE_LETTERS,
    FONT_FILES,
    KINDS,
    LETTERS,
    MAX_ROTATION,
    MAX_SHEAR,
    generated_images,
    generated_picture,
    generated_pictures,
    load_stroke_drawings,
)
from mnist_models.datasets.pendigits import HEIGHT_RANGE
from mnist_models.pad import CANVAS, PEN_WIDTH
from mnist_models.reading.preprocess import preprocess

FUN_DRAWINGS = Path(__file__).parent / "fun_drawings.json"


def assert_drawn_like_the_pad(picture) -> None:
    """Black ink in alpha on a transparent CANVAS square."""
    assert picture.mode == "RGBA" and picture.size == (CANVAS, CANVAS)
    pixels = np.asarray(picture)
    assert not pixels[:, :, :3].any(), "the ink is black"
    assert pixels[:, :, 3].max() == 255 and pixels[:, :, 3].min() == 0, "something is drawn, not everything"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_drawn_like_the_pad_and_preprocesses_to_a_28x28_image_with_ink(kind):
    for seed in range(6):
        picture = generated_picture(kind, np.random.default_rng([seed, 99]))
        assert_drawn_like_the_pad(picture)
        image = preprocess(picture)
        assert image.shape == (28, 28) and image.max() > 0.5


@pytest.mark.parametrize("kind", list(nondigits.SHAPES))
def test_all_of_a_shapes_ink_is_on_the_pad_and_its_longer_side_a_size_people_draw_at(kind):
    for seed in range(20):
        strokes = nondigits.shape_strokes(kind, np.random.default_rng(seed))
        points = np.concatenate(strokes)
        # The pen's ink reaches half its width beyond the path.
        assert (points >= PEN_WIDTH / 2 - 1e-6).all() and (points <= CANVAS - PEN_WIDTH / 2 + 1e-6).all()
        longer = (np.ptp(points, 0).max() + PEN_WIDTH) / CANVAS
        assert HEIGHT_RANGE[0] - 0.01 <= longer <= HEIGHT_RANGE[1] + 0.01


def test_a_letter_is_the_size_asked_and_all_of_it_is_on_the_pad():
    for seed, letter in enumerate("AWЖm"):
        picture = nondigits.letter_picture(letter, FONT_FILES[seed], 0.7, np.random.default_rng(seed))
        rows, cols = np.nonzero(np.asarray(picture)[:, :, 3])
        assert max(np.ptp(rows), np.ptp(cols)) + 1 == pytest.approx(0.7 * CANVAS, abs=3)


def test_no_letter_is_cut_off_however_far_it_is_turned_and_sheared():
    extremes = [(angle, shear) for angle in (-MAX_ROTATION, MAX_ROTATION) for shear in (-MAX_SHEAR, MAX_SHEAR)]
    for name in FONT_FILES:
        # Letters with long tails below or above the line, and a spread of the rest.
        for letter in set("pyрущЙ") | set("".join(LETTERS.values())[::6]):
            for angle, shear in extremes:
                ink = np.asarray(nondigits.letter_glyph(letter, name, angle, shear))
                assert ink.max() > 0 and not (ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any()), (
                    name,
                    letter,
                )


def test_shapes_are_drawn_with_the_pads_pen_as_a_hand_draws_them():
    # The pad's pen leaves full ink between anti-aliased edges, and two draws of a kind differ.
    first, second = (np.asarray(generated_picture("star", np.random.default_rng(k)))[:, :, 3] for k in (1, 2))
    assert ((first > 0) & (first < 255)).any() and (first == 255).any()
    assert (first != second).any()


def test_pictures_are_reproducible_and_picture_i_does_not_depend_on_the_count():
    few, more = generated_pictures(5, seed=3), generated_pictures(2 * len(KINDS), seed=3)
    assert all((np.asarray(a) == np.asarray(b)).all() for a, b in zip(few, more))
    other = generated_pictures(5, seed=4)
    assert any((np.asarray(a) != np.asarray(b)).any() for a, b in zip(few, other))


def test_images_are_float_28x28_with_ink_one_every_kind_taken_in_turn():
    images = generated_images(len(KINDS), seed=0)
    assert images.shape == (len(KINDS), 1, 28, 28) and images.dtype == torch.float32
    assert images.flatten(1).amax(1).min() == pytest.approx(1.0, abs=0.05)
    first = [preprocess(generated_picture(kind, np.random.default_rng([0, i]))) for i, kind in enumerate(KINDS)]
    assert np.allclose(images[:, 0].numpy(), np.stack(first)), "picture i is of kind i, seeded by (seed, i)"


def test_letters_that_look_like_digits_and_greek_letters_are_left_out():
    letters = "".join(LETTERS.values())
    for letter in "OoIilSsZzBbgqDЗзОоб" + "Чч":
        assert letter not in letters and letter in DIGIT_LIKE_LETTERS
    assert not any(unicodedata.name(letter).startswith("GREEK") for letter in letters)
    assert {unicodedata.name(letter).split()[0] for letter in letters} == {"LATIN", "CYRILLIC"}
    assert "A" in letters and "Ж" in letters, "the rest are kept"


def test_every_font_has_a_glyph_for_every_letter():
    missing = "\ue000"  # a private-use code point: every font draws it as its missing-glyph box
    for name in FONT_FILES:
        face = ImageFont.truetype(str(nondigits.font_folder() / name), 40)
        box = bytes(face.getmask(missing))
        assert not [letter for letter in "".join(LETTERS.values()) if bytes(face.getmask(letter)) == box], name


def test_the_fun_drawings_load_as_pad_pictures_of_each_kind_a_visitor_draws():
    drawings = load_stroke_drawings(FUN_DRAWINGS)
    kinds = [kind for kind, _ in drawings]
    for kind in ("smiley", "star", "X", "scribble", "letter A", "letter B", "heart"):
        assert kinds.count(kind) >= 4, kind
    for kind, picture in drawings:
        assert_drawn_like_the_pad(picture)
        assert preprocess(picture).max() > 0.5, kind
    for drawing in json.loads(FUN_DRAWINGS.read_text()):
        points = np.concatenate([np.asarray(stroke, dtype=float).reshape(-1, 2) for stroke in drawing["strokes"]])
        assert ((points >= 0) & (points <= 1)).all(), drawing["name"]


def test_stroke_drawings_are_read_as_fractions_of_the_pad_with_y_down(tmp_path):
    path = tmp_path / "drawings.json"
    path.write_text(json.dumps([{"kind": "dash", "strokes": [[[0.25, 0.1], [0.75, 0.1]]]}]))
    [(kind, picture)] = load_stroke_drawings(path)
    rows = np.flatnonzero(np.asarray(picture)[:, :, 3].any(1))
    assert kind == "dash" and rows.mean() == pytest.approx(0.1 * CANVAS, abs=1)
