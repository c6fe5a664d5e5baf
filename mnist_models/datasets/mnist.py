"""MNIST from the standard IDX files, held in memory as tensors.

The whole set is 55 MB of uint8, so we read it once into tensors and index
batches from them; a per-sample ``DataLoader`` + ``ToTensor`` loop (what the
tutorials use) spends most of an epoch converting PIL images one at a time.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

DATA_DIR_ENV = "MNIST_DATA_DIR"

# IDX magic numbers: 0x00000801 = unsigned byte, 1 dimension; 0x00000803 = 3 dimensions.
LABELS_MAGIC = 2049
IMAGES_MAGIC = 2051

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60_000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10_000),
}


class MNISTFileError(RuntimeError):
    """An MNIST file is missing, truncated or not in IDX format."""


@dataclass(frozen=True)
class MNISTSplit:
    """One split of MNIST: uint8 images (N, 28, 28) and int64 labels (N,)."""

    images: torch.Tensor
    labels: torch.Tensor
    sha256: str

    def __len__(self) -> int:
        return len(self.labels)

    def as_float(self) -> torch.Tensor:
        """Images in the models' input contract: (N, 1, 28, 28), ink 1.0, paper 0.0."""
        return self.images.unsqueeze(1).float().div_(255.0)


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzip-compressed) into a uint8 array, validating its header."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as error:  # gzip raises these for truncated/corrupt archives
        raise MNISTFileError(f"{path}: cannot read ({error})") from error
    if len(raw) < 8:
        raise MNISTFileError(f"{path}: file is {len(raw)} bytes, too short for an IDX header")
    magic = int.from_bytes(raw[0:4], "big")
    if magic not in (LABELS_MAGIC, IMAGES_MAGIC):
        raise MNISTFileError(
            f"{path}: magic number {magic:#010x} is not an MNIST IDX file "
            f"(expected {LABELS_MAGIC:#010x} for labels or {IMAGES_MAGIC:#010x} for images)"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise MNISTFileError(
            f"{path}: header says shape {shape} ({expected} bytes) but the file has {len(raw)} bytes "
            "- it is truncated or corrupt; delete it and fetch it again"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def _find(root: Path, stem: str) -> Path | None:
    """Find ``stem`` or ``stem.gz`` flat in ``root`` or in torchvision's ``root/MNIST/raw``."""
    for folder in (root, root / "MNIST" / "raw"):
        for name in (stem, stem + ".gz"):
            if (folder / name).is_file():
                return folder / name
    return None


# The MNIST folder when none is given; the commands take $MNIST_DATA_DIR (DATA_DIR_ENV) instead.
DEFAULT_DATA_DIR = Path("data")


def _download(root: Path) -> None:
    from torchvision import datasets  # only needed for the online fallback

    for train in (True, False):
        datasets.MNIST(root=str(root), train=train, download=True)


def load_split(split: str, root: str | Path | None = None, download: bool = True) -> MNISTSplit:
    """Load ``split`` ("train" or "test") from ``root`` (default: DEFAULT_DATA_DIR).

    Files may be raw or ``.gz``, flat in ``root`` or under ``root/MNIST/raw`` (torchvision's
    layout). If they are absent and ``download`` is true, torchvision fetches them.
    """
    if split not in SPLIT_FILES:
        raise ValueError(f"split must be one of {sorted(SPLIT_FILES)}, not {split!r}")
    root = Path(root) if root is not None else DEFAULT_DATA_DIR
    image_stem, label_stem, count = SPLIT_FILES[split]
    image_path, label_path = _find(root, image_stem), _find(root, label_stem)
    if (image_path is None or label_path is None) and download:
        try:
            _download(root)
        except Exception as error:  # offline, or the mirrors refuse: say what to do instead
            raise MNISTFileError(_missing_message(root, image_stem, label_stem, error)) from error
        image_path, label_path = _find(root, image_stem), _find(root, label_stem)
    if image_path is None or label_path is None:
        raise MNISTFileError(_missing_message(root, image_stem, label_stem))

    images, labels = read_idx(image_path), read_idx(label_path)
    if images.shape != (count, 28, 28):
        raise MNISTFileError(f"{image_path}: expected {count} images of 28x28, found shape {images.shape}")
    if labels.shape != (count,):
        raise MNISTFileError(f"{label_path}: expected {count} labels, found shape {labels.shape}")
    if labels.max() > 9:
        raise MNISTFileError(f"{label_path}: labels must be digits 0-9, found {labels.max()}")
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    return MNISTSplit(torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64)), digest)


def _missing_message(root: Path, image_stem: str, label_stem: str, error: Exception | None = None) -> str:
    reason = f" Download failed: {error}." if error else ""
    return (
        f"MNIST files {image_stem}[.gz] and {label_stem}[.gz] were not found in {root} "
        f"or {root / 'MNIST' / 'raw'}.{reason} Either connect to the internet so torchvision can "
        f"download them, or put the four IDX files in a folder and pass it with --data-dir "
        f"or the {DATA_DIR_ENV} environment variable."
    )
