"""Omniglot's handwritten characters: reading the zip of pen strokes, the split, and drawing them
as the app's pad does."""

from __future__ import annotations

import argparse
import hashlib
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_models.datasets import omniglot
from mnist_models.datasets.omniglot import (
    DIGIT_LIKE,
    TRAINING_ALPHABETS,
    TRAINING_DRAWERS,
    TUNING_DRAWERS,
    VALIDATION_ALPHABETS,
    Character,
    OmniglotDataError,
    draw_on_pad,
    is_digit_like,
    load_omniglot,
    nondigit_images,
    nondigit_set,
    parse_drawing,
)
from mnist_models.datasets.pendigits import HEIGHT_RANGE
from mnist_models.pad import CANVAS, PEN_WIDTH
from mnist_models.reading.preprocess import DrawingError
from mnist_models.training.command_flags import with_variables

ROOT = "strokes_background_small1"
# A Latin "L" by drawer 3: down, then a second stroke along the bottom; y points up in the file.
ELL = "START\n10.0,-10.0,0\n10.0,-60.0,120\nBREAK\n10.0,-60.0,300\n40.0,-60.0,420\nBREAK\n"
# A Greek character by drawer 17 with a stroke of no points and a point that is not a number.
GREEK = "START\n0.0,0.0,0\nBREAK\nBREAK\n5.0,-5.0,10\nnan,3.0,20\n30.0,-40.0,30\nBREAK\n"


def write_zip(folder, files: dict[str, str]):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / omniglot.FILE_NAME
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return path


@pytest.fixture
def small_zip(tmp_path):
    return write_zip(
        tmp_path,
        {
            f"{ROOT}/Latin/character12/0558_03.txt": ELL,
            f"{ROOT}/Greek/character02/0401_17.txt": GREEK,
            f"{ROOT}/Greek/character03/0402_05.txt": "START\nBREAK\n",  # drawn nothing
            f"{ROOT}/.DS_Store": "\x00\x01",
            f"__MACOSX/{ROOT}/Latin/character12/._0558_03.txt": "\x00\x05",
        },
    )


def character(strokes, alphabet="Korean", number=3, drawer=2) -> Character:
    return Character(alphabet, number, drawer, tuple(np.asarray(s, dtype=float) for s in strokes))


def test_the_zip_is_read_without_unpacking_it_each_file_a_drawing_named_by_its_path(small_zip):
    data = load_omniglot(small_zip.parent)
    assert [(c.alphabet, c.character, c.drawer) for c in data.characters] == [("Greek", 2, 17), ("Latin", 12, 3)]
    ell = data.characters[1]
    assert [s.tolist() for s in ell.strokes] == [[[10, -10], [10, -60]], [[10, -60], [40, -60]]]
    assert data.sha256 == hashlib.sha256(small_zip.read_bytes()).hexdigest()
    assert sorted(p.name for p in small_zip.parent.iterdir()) == [omniglot.FILE_NAME], "nothing was unpacked"


def test_strokes_without_points_and_points_that_are_not_numbers_are_dropped():
    strokes = parse_drawing(GREEK)
    assert [s.tolist() for s in strokes] == [[[0, 0]], [[5, -5], [30, -40]]]
    assert parse_drawing("START\nBREAK\nBREAK\n") == ()
    # A last stroke the pen never lifted from is kept.
    assert [s.tolist() for s in parse_drawing("START\n1,2,0\n3,4,5\n")] == [[[1, 2], [3, 4]]]


def test_a_damaged_line_is_refused_naming_the_file(tmp_path):
    write_zip(tmp_path, {f"{ROOT}/Latin/character01/0001_01.txt": "START\n1.0;2.0;0\nBREAK\n"})
    with pytest.raises(OmniglotDataError, match="character01/0001_01.txt: line 2"):
        load_omniglot(tmp_path)


def test_a_missing_or_broken_file_says_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv(omniglot.OMNIGLOT_DIR_ENV, raising=False)
    for folder in (tmp_path, None):
        with pytest.raises(OmniglotDataError, match="strokes_background_small1") as error:
            load_omniglot(folder)
        assert omniglot.FILE_NAME in str(error.value) and "OMNIGLOT_DIR" in str(error.value)
    (tmp_path / omniglot.FILE_NAME).write_bytes(b"not a zip")
    with pytest.raises(OmniglotDataError, match="cannot read"):
        load_omniglot(tmp_path)
    write_zip(tmp_path / "empty", {f"{ROOT}/.DS_Store": ""})
    with pytest.raises(OmniglotDataError, match="no drawings"):
        load_omniglot(tmp_path / "empty")


def test_the_commands_take_the_folder_from_the_environment_when_not_given(small_zip):
    args = with_variables(argparse.Namespace(omniglot_dir=None), {omniglot.OMNIGLOT_DIR_ENV: str(small_zip.parent)})
    assert load_omniglot(args.omniglot_dir).path == small_zip


def test_alphabets_and_drawers_split_without_overlap(small_zip):
    assert not set(TRAINING_ALPHABETS) & set(VALIDATION_ALPHABETS)
    assert not set(TRAINING_DRAWERS) & set(TUNING_DRAWERS)
    assert set(TRAINING_DRAWERS) | set(TUNING_DRAWERS) == set(range(1, 21))
    data = load_omniglot(small_zip.parent)
    assert [c.alphabet for c in data.select(TRAINING_ALPHABETS, TRAINING_DRAWERS)] == ["Latin"]
    assert data.select(TRAINING_ALPHABETS, TUNING_DRAWERS) == []
    assert [c.drawer for c in data.select(VALIDATION_ALPHABETS)] == [17]


def test_digit_like_characters_are_told_apart():
    assert is_digit_like(character([[(0, 0), (1, 1)]], "Latin", 15)), "Latin o reads as a 0"
    assert not is_digit_like(character([[(0, 0), (1, 1)]], "Latin", 1)), "Latin a does not"
    assert all(alphabet in TRAINING_ALPHABETS + VALIDATION_ALPHABETS for alphabet, _ in DIGIT_LIKE)


def ink_box(picture) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(np.asarray(picture)[:, :, 3])
    return rows.min(), cols.min(), rows.max(), cols.max()


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**16), rendering=st.integers(0, 2), shape=st.sampled_from(["wide", "tall", "dot"]))
def test_a_character_is_drawn_at_a_size_people_draw_at_and_all_of_its_ink_is_on_the_pad(seed, rendering, shape):
    strokes = {
        "wide": [[(0, 0), (500, -20)], [(250, 0), (250, -30)]],
        "tall": [[(0, 0), (0, -300)], [(0, -150), (40, -150)]],
        "dot": [[(7, 7)]],
    }[shape]
    drawing = character(strokes)
    points = np.concatenate(omniglot.pad_strokes(drawing, seed, rendering, 3))
    # The pen's ink reaches half its width beyond the path: all of it is on the pad.
    assert (points >= PEN_WIDTH / 2 - 1e-6).all() and (points <= CANVAS - PEN_WIDTH / 2 + 1e-6).all()
    top, left, bottom, right = ink_box(draw_on_pad(drawing, seed, rendering, 3))
    if shape != "dot":
        longer = max(bottom - top + 1, right - left + 1) / CANVAS
        low, high = HEIGHT_RANGE
        part = (high - low) / 3
        assert low + part * rendering - 0.01 <= longer <= low + part * (rendering + 1) + 0.01


def test_the_files_y_points_up_and_the_pads_down():
    strokes = omniglot.pad_strokes(character([[(10, -10), (10, -60)]]), seed=0, rendering=0, renderings=1)
    (x0, y0), (x1, y1) = strokes[0]
    assert y0 < y1 and x0 == pytest.approx(x1), "the stroke goes down the pad, as it went down the paper"


def test_renderings_are_reproducible_and_do_not_depend_on_what_else_was_asked_for():
    a = character([[(0, 0), (30, -40), (60, 0)]], drawer=1)
    b = character([[(0, 0), (0, -50)], [(-20, -25), (20, -25)]], drawer=2)
    both = nondigit_images([a, b], renderings=2, seed=5)
    alone = nondigit_images([b], renderings=2, seed=5)
    assert both.shape == (4, 1, 28, 28) and both.dtype == torch.float32
    assert (both[2:] == alone).all(), "b comes out the same with or without a before it"
    assert not (nondigit_images([b], renderings=2, seed=6) == alone).all(), "another seed, another rendering"
    assert not (both[0] == both[1]).all(), "a character's renderings differ"
    assert both.amax() == pytest.approx(1.0)


def test_a_drawing_the_app_refuses_is_counted_and_left_out(monkeypatch):
    def refuse(picture):
        raise DrawingError("too much ink", "all_ink")

    monkeypatch.setattr(omniglot, "preprocess", refuse)
    chosen = nondigit_set([character([[(0, 0), (10, -10)]])], renderings=3, seed=0)
    assert (chosen.refused, len(chosen), tuple(chosen.images.shape)) == (3, 0, (0, 1, 28, 28))


# The real file -----------------------------------------------------------------------------------


@pytest.mark.omniglot
def test_the_real_file_holds_five_alphabets_of_twenty_drawers_each(omniglot_data):
    assert omniglot_data.sha256 == "06d50e63aecd6ed99239312f6ed30ea7b7bc4cbecaf3b0948dfbf2592d837f6c"
    assert len(omniglot_data.characters) == 2720
    alphabets = {c.alphabet for c in omniglot_data.characters}
    assert alphabets == set(TRAINING_ALPHABETS) | set(VALIDATION_ALPHABETS)
    for alphabet in alphabets:
        assert {c.drawer for c in omniglot_data.select([alphabet])} == set(range(1, 21))
    characters = {(c.alphabet, c.character) for c in omniglot_data.characters}
    assert set(DIGIT_LIKE) <= characters, "every digit-like character names one in the file"


@pytest.mark.omniglot
def test_every_character_drawn_on_the_pad_is_one_the_app_reads(omniglot_data):
    first = {}
    for drawing in omniglot_data.characters:
        first.setdefault((drawing.alphabet, drawing.character), drawing)
    chosen = nondigit_set(first.values(), renderings=1, seed=0)
    assert chosen.refused == 0 and len(chosen) == len(first)
    assert (chosen.images.flatten(1).amax(1) > 0.5).all(), "every image has ink"
