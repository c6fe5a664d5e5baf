"""Real pen-drawn digits: reading the UNIPEN-style file, and drawing strokes as the app's pad does."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_models.datasets import pendigits
from mnist_models.datasets.pendigits import (
    HEIGHT_RANGE,
    TRAINING_WRITERS,
    VALIDATION_WRITERS,
    PenDataError,
    PenDigit,
    draw_on_pad,
    load_pendigits,
    parse_pendigits,
    place_on_pad,
)
from mnist_models.pad import CANVAS, PEN_WIDTH, render_strokes

SAMPLE = """.INCLUDE        dene.doc

.LEXICON "0" "1" "2" "3" "4" "5" "6" "7" "8" "9"
.HIERARCHY      DIGIT

.SEGMENT DIGIT    0 ? "7"
.COMMENT 7 3   12
.PEN_DOWN
 100  400
 300  400
 150  100
.PEN_UP
.DT 100
.PEN_DOWN
 120  250
 260  250
.PEN_UP
.DT 100

.SEGMENT DIGIT    1 ? "1"
.COMMENT 1 27  5
.PEN_DOWN
 200  100
 200  300
.PEN_UP
.DT 100
"""


def alpha(picture) -> np.ndarray:
    return np.asarray(picture)[:, :, 3].astype(int)


# Reading the file ---------------------------------------------------------------------------


def test_a_file_reads_as_digits_with_their_writers_and_strokes():
    seven, one = parse_pendigits(SAMPLE)
    assert (seven.label, seven.writer, seven.sample) == (7, 3, 12)
    assert [s.tolist() for s in seven.strokes] == [[[100, 400], [300, 400], [150, 100]], [[120, 250], [260, 250]]]
    assert (one.label, one.writer, one.sample, len(one.strokes)) == (1, 27, 5, 1)


def test_gzip_and_plain_files_read_the_same_and_the_checksum_is_of_the_plain_text(tmp_path):
    plain, packed = tmp_path / "plain", tmp_path / "packed"
    plain.mkdir()
    packed.mkdir()
    (plain / "pendigits-orig.tra").write_text(SAMPLE)
    (packed / "pendigits-orig.tra.gz").write_bytes(gzip.compress(SAMPLE.encode()))
    a, b = load_pendigits(plain), load_pendigits(packed)
    assert a.sha256 == b.sha256 == __import__("hashlib").sha256(SAMPLE.encode()).hexdigest()
    assert [(d.label, d.writer) for d in a.digits] == [(d.label, d.writer) for d in b.digits] == [(7, 3), (1, 27)]


def test_writers_split_into_training_and_validation_without_overlap(tmp_path):
    assert set(TRAINING_WRITERS) == set(range(1, 25)) and set(VALIDATION_WRITERS) == set(range(25, 31))
    (tmp_path / "pendigits-orig.tra").write_text(SAMPLE)
    data = load_pendigits(tmp_path)
    assert [d.writer for d in data.by_writers(TRAINING_WRITERS)] == [3]
    assert [d.writer for d in data.by_writers(VALIDATION_WRITERS)] == [27]


def test_a_missing_file_says_where_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv(pendigits.PENDIGITS_DIR_ENV, raising=False)
    for folder in (tmp_path, None):
        with pytest.raises(PenDataError, match="Pen-Based Recognition of Handwritten Digits") as error:
            load_pendigits(folder)
        assert "pendigits-orig.tra" in str(error.value) and "PENDIGITS_DIR" in str(error.value)


@pytest.mark.parametrize(
    "broken, message",
    [
        (SAMPLE.replace(" 200  300\n", " 200\n"), "line 24"),
        (SAMPLE.replace(".COMMENT 7 3   12", ".COMMENT 4 3   12"), "label"),
        (SAMPLE.replace(".COMMENT 1 27  5\n", ""), "writer"),
        (SAMPLE.replace(".PEN_DOWN\n 200  100", " 200  100"), "outside a stroke"),
    ],
    ids=["half-a-point", "labels-disagree", "no-writer", "point-outside-stroke"],
)
def test_a_damaged_file_is_refused_saying_where(broken, message):
    with pytest.raises(PenDataError, match=message):
        parse_pendigits(broken)


# Drawing as the pad draws -------------------------------------------------------------------


def test_the_pen_is_black_ink_in_alpha_of_the_pads_width_with_round_caps():
    picture = render_strokes([[(60.0, 140.0), (220.0, 140.0)]])
    assert picture.mode == "RGBA" and picture.size == (CANVAS, CANVAS)
    pixels = np.asarray(picture)
    assert not pixels[:, :, :3].any()
    ink = alpha(picture)
    # Across the line: full ink over the pen's width, none beyond half a pixel more.
    column = ink[:, 140]
    assert (column[140 - PEN_WIDTH // 2 + 1 : 140 + PEN_WIDTH // 2 - 1] == 255).all()
    assert column[: 140 - PEN_WIDTH // 2 - 1].max() == 0 and column[140 + PEN_WIDTH // 2 + 1 :].max() == 0
    assert (column > 0).sum() == pytest.approx(PEN_WIDTH, abs=2)
    # Round caps: the line reaches half a pen beyond its ends on its axis, less off its axis.
    row = ink[140]
    assert row[60 - PEN_WIDTH // 2 + 1] == 255 and row[60 - PEN_WIDTH // 2 - 2] == 0
    assert ink[140 - PEN_WIDTH // 2 + 2, 60 - PEN_WIDTH // 2 + 2] == 0, "a square cap would ink the corner"
    # Anti-aliased edges: partial coverage, as a browser canvas draws.
    assert ((ink > 0) & (ink < 255)).any()


def test_a_tap_is_a_dot_of_the_pens_diameter_and_nothing_drawn_is_blank():
    ink = alpha(render_strokes([[(100.0, 100.0)]]))
    rows, cols = np.nonzero(ink > 127)
    assert np.ptp(rows) + 1 == pytest.approx(PEN_WIDTH, abs=1) and np.ptp(cols) + 1 == pytest.approx(PEN_WIDTH, abs=1)
    assert (ink > 127).sum() == pytest.approx(np.pi * (PEN_WIDTH / 2) ** 2, rel=0.05)
    assert alpha(render_strokes([])).max() == 0


def test_a_corner_is_joined_round():
    ink = alpha(render_strokes([[(60.0, 60.0), (200.0, 60.0), (200.0, 200.0)]]))
    # The outside corner of a mitre join would be inked; a round join leaves it clear.
    assert ink[60 - PEN_WIDTH // 2 + 1, 200 + PEN_WIDTH // 2 - 1] == 0
    assert ink[60, 200 + PEN_WIDTH // 2 - 2] == 255


def digit(strokes, label=7, writer=25, sample=1) -> PenDigit:
    return PenDigit(label, writer, sample, tuple(np.asarray(s, dtype=float) for s in strokes))


def ink_box(picture) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(alpha(picture) > 0)
    return rows.min(), cols.min(), rows.max(), cols.max()


def test_the_tablets_y_points_up_and_the_pads_down():
    # An "L" on the tablet: down the left side from the top, then right along the bottom.
    ell = digit([[(100, 400), (100, 100), (300, 100)]])
    strokes = place_on_pad(ell, 0.6, np.random.default_rng(0))
    (x0, y0), (x1, y1), (x2, y2) = strokes[0]
    assert y0 < y1 and y1 == pytest.approx(y2), "the stroke starts at the top of the pad and ends at the bottom"
    assert x0 == pytest.approx(x1) and x2 > x1


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), height=st.floats(*HEIGHT_RANGE), wide=st.booleans())
def test_a_digit_is_drawn_at_the_height_asked_and_fits_on_the_pad(seed, height, wide):
    # A wide one is five times wider than tall: at any height asked it would not fit across.
    shape = digit([[(0, 100), (500, 100), (60, 0)]] if wide else [[(0, 300), (150, 300), (60, 0)]])
    top, left, bottom, right = ink_box(render_strokes(place_on_pad(shape, height, np.random.default_rng(seed))))
    assert top >= 0 and left >= 0 and bottom <= CANVAS - 1 and right <= CANVAS - 1
    if not wide:
        assert (bottom - top + 1) / CANVAS == pytest.approx(height, abs=2 / CANVAS)
    else:  # wider than the pad at that height: narrowed to fit across, never cut off
        assert right - left + 1 >= CANVAS - 3


def test_renderings_are_seeded_by_the_digit_and_spread_over_sizes_and_places():
    shape = digit([[(100, 400), (300, 400), (150, 100)]])
    first = [np.asarray(draw_on_pad(shape, seed=1, rendering=k, renderings=3)) for k in range(3)]
    again = [np.asarray(draw_on_pad(shape, seed=1, rendering=k, renderings=3)) for k in range(3)]
    assert all((a == b).all() for a, b in zip(first, again))
    other = np.asarray(draw_on_pad(digit(shape.strokes, sample=2), seed=1, rendering=0, renderings=3))
    assert (other != first[0]).any(), "another digit gets another size and place"
    # Rendering k of 3 is in the k-th third of the height range: small, medium, large.
    low, high = HEIGHT_RANGE
    for k, picture in enumerate(first):
        rows = np.flatnonzero(picture[:, :, 3].any(1))
        assert (
            low + (high - low) * k / 3 - 0.01
            <= (rows[-1] - rows[0] + 1) / CANVAS
            <= low + (high - low) * (k + 1) / 3 + 0.01
        )
    centres = {ink_box(draw_on_pad(digit(shape.strokes, sample=s), 1, 0, 3))[:2] for s in range(8)}
    assert len(centres) == 8, "places vary"
