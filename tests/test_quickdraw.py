"""Quick, Draw!'s doodles (mnist_models/datasets/quickdraw.py): read as the file says, split by thing,
the digit-like things apart, and drawn on the pad as the app would receive them."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from mnist_models.datasets import quickdraw
from mnist_models.pad import CANVAS


def write_doodles(folder, records: list[dict]) -> None:
    lines = "\n".join(json.dumps(record) for record in records)
    (folder / quickdraw.FILE_NAME).write_bytes(gzip.compress(lines.encode()))


def test_a_doodle_is_read_stroke_by_stroke_with_y_turned_up(tmp_path):
    write_doodles(
        tmp_path,
        [
            {"word": "cat", "drawing": [[[0, 10, 20], [0, 5, 40]], [[3], [4]]]},
            {"word": "cat", "drawing": [[[1, 2], [3, 4]]]},
            {"word": "sun", "drawing": [[[], []]]},  # no points: left out
        ],
    )
    data = quickdraw.load_quickdraw(tmp_path)
    assert [(d.word, d.number) for d in data.doodles] == [("cat", 0), ("cat", 1)]
    first = data.doodles[0].strokes
    assert len(first) == 2 and first[0].tolist() == [[0, 0], [10, -5], [20, -40]]


def test_a_missing_or_broken_file_says_what_to_do(tmp_path):
    with pytest.raises(quickdraw.QuickDrawDataError, match="QUICKDRAW_DIR"):
        quickdraw.load_quickdraw(tmp_path)
    (tmp_path / quickdraw.FILE_NAME).write_bytes(b"not gzip")
    with pytest.raises(quickdraw.QuickDrawDataError, match="cannot read"):
        quickdraw.load_quickdraw(tmp_path)
    write_doodles(tmp_path, [{"drawing": []}])
    with pytest.raises(quickdraw.QuickDrawDataError, match="line 1"):
        quickdraw.load_quickdraw(tmp_path)


@pytest.mark.quickdraw
def test_the_splits_share_no_thing_and_the_digit_like_things_are_apart(quickdraw_data):
    splits = {name: set(quickdraw_data.split(name)) for name in ("train", "tuning", "validation", "digit-like")}
    assert set.union(*splits.values()) == set(quickdraw_data.words)
    assert sum(len(words) for words in splits.values()) == len(quickdraw_data.words) == 310
    assert splits["digit-like"] == set(quickdraw.DIGIT_LIKE)
    assert len(splits["train"]) >= 3 * len(splits["validation"]) - 3 and len(splits["tuning"]) >= 50
    assert all(len(quickdraw_data.of([word])) == 25 for word in quickdraw_data.words)


@pytest.mark.quickdraw
def test_a_doodle_is_drawn_whole_on_the_pad_at_the_size_of_its_rendering(quickdraw_data):
    doodle = quickdraw_data.of(["airplane"])[0]
    for rendering in range(2):
        points = np.concatenate(quickdraw.pad_strokes(doodle, 0, rendering, 2))
        assert points.min() >= 0 and points.max() <= CANVAS
        longer = np.ptp(points, 0).max() / CANVAS
        low, high = quickdraw.SIZE_RANGE
        part = (high - low) / 2
        assert low + part * rendering - 0.1 <= longer <= low + part * (rendering + 1)
    images = quickdraw.doodle_images([doodle], 2, 0)
    assert images.shape == (2, 1, 28, 28) and images.max() <= 1.0 and images.sum() > 0
    assert np.array_equal(images.numpy(), quickdraw.doodle_images([doodle], 2, 0).numpy())  # the same each time
