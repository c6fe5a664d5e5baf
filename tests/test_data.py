"""Reading MNIST's IDX files: what users' data folders look like, and what goes wrong with them."""

from __future__ import annotations

import numpy as np
import pytest

from mnist_models.datasets.mnist import MNISTFileError, load_split, read_idx
from tests.conftest import write_idx, write_split


@pytest.mark.parametrize("compress", [False, True])
def test_read_idx_round_trips_images_and_labels(tmp_path, compress):
    images = np.arange(3 * 28 * 28, dtype=np.uint32).reshape(3, 28, 28) % 256
    path = write_idx(tmp_path / "images", images, compress=compress)
    assert np.array_equal(read_idx(path), images)
    labels = np.array([7, 2, 1], np.uint8)
    assert np.array_equal(read_idx(write_idx(tmp_path / "labels", labels, compress=compress)), labels)


def test_truncated_file_is_a_clear_error(tmp_path):
    path = write_idx(tmp_path / "images", np.zeros((5, 28, 28), np.uint8))
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(MNISTFileError, match="truncated"):
        read_idx(path)


def test_truncated_gzip_is_a_clear_error(tmp_path):
    path = write_idx(tmp_path / "images", np.zeros((50, 28, 28), np.uint8), compress=True)
    path.write_bytes(path.read_bytes()[:-30])
    with pytest.raises(MNISTFileError, match=str(path.name)):
        read_idx(path)


def test_wrong_magic_number_is_a_clear_error(tmp_path):
    path = write_idx(tmp_path / "images", np.zeros((5, 28, 28), np.uint8), magic=0x00000D03)
    with pytest.raises(MNISTFileError, match="magic number"):
        read_idx(path)


def test_tiny_file_is_a_clear_error(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(b"\x00\x00")
    with pytest.raises(MNISTFileError, match="too short"):
        read_idx(path)


@pytest.mark.parametrize("layout", ["flat", "torchvision"])
def test_load_split_finds_both_layouts_and_checks_the_count(tmp_path, layout):
    folder = tmp_path if layout == "flat" else tmp_path / "MNIST" / "raw"
    write_split(folder, count=10, compress=layout == "torchvision")
    # Ten images are readable IDX files but not the 10,000-image test split.
    with pytest.raises(MNISTFileError, match="expected 10000 images"):
        load_split("test", tmp_path, download=False)


def test_load_split_reads_a_full_size_split(tmp_path, monkeypatch):
    from mnist_models.datasets import mnist as data

    monkeypatch.setitem(data.SPLIT_FILES, "test", ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 12))
    _images, labels = write_split(tmp_path, count=12, compress=True)
    split = load_split("test", tmp_path, download=False)
    assert split.images.shape == (12, 28, 28) and split.labels.tolist() == labels.tolist()
    x = split.as_float()
    assert x.shape == (12, 1, 28, 28) and x.max() <= 1.0 and x.min() >= 0.0
    assert len(split.sha256) == 64


def test_missing_files_offline_say_where_and_how(tmp_path):
    with pytest.raises(MNISTFileError) as error:
        load_split("train", tmp_path, download=False)
    message = str(error.value)
    assert str(tmp_path) in message and "MNIST_DATA_DIR" in message and "--data-dir" in message


def test_unknown_split_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="split"):
        load_split("validation", tmp_path, download=False)


@pytest.mark.mnist
def test_real_mnist_matches_the_canonical_release(mnist_test, mnist_train):
    assert mnist_train.images.shape == (60_000, 28, 28) and mnist_test.images.shape == (10_000, 28, 28)
    assert mnist_test.labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert np.bincount(mnist_train.labels.numpy()).tolist()[1] == 6742
