"""Read a photo of a digit written on paper (dark on light, any size).

A phone photo of paper is not a drawing: the paper is grey, lit unevenly, often shadowed by the
phone or a hand, with the table at its edges and camera noise everywhere. Before the digit can
go through the steps every drawing goes through (``mnist_models.reading.preprocess.preprocess_ink``), its ink is found:

1. the paper's own brightness at every point - its light and its shadows - is estimated from the
   photo with the writing closed over (a pen stroke is narrow, light and shadows are broad), and
   each pixel is divided by it: the paper comes out white everywhere and the writing dark;
2. Otsu's threshold splits writing from paper;
3. the writing's connected pieces are found; pieces touching the photo's edge (the table, the
   paper's edge, a dark corner) are dropped; the largest piece and the large pieces near it are
   the digit.

When no single digit can be found, a PhotoError says why, so that the next photo can be better.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from PIL import Image

from mnist_models.reading.preprocess import DrawingError, EmptyDrawingError, check_size, open_image, preprocess_ink

# The photo is read at this size (long side): a digit a tenth of the photo tall is still 48
# pixels, twice MNIST's box, and the work stays a few tens of milliseconds.
PHOTO_SIDE = 640
# The paper's light is estimated at 1/LIGHT_SCALE of that, closing over anything narrower than
# CLOSING of the photo's short side: a marker stroke on the largest digit is well under that.
LIGHT_SCALE = 4
CLOSING = 0.2
# Writing is at least this much darker than the paper around it (a fraction of the paper's
# brightness); fainter marks are the paper's texture, camera noise or JPEG blocks.
MIN_CONTRAST = 0.12
# More of the photo than this dark after the light is taken out: not a digit on paper.
MAX_INK_FRACTION = 0.25
# A piece of writing at least PART of the largest piece's area, within NEAR of the digit's size
# from it, is another stroke of the same digit (a 4 or a 5 written in two strokes); any piece
# inside the digit's box that is at least SPECK of it is too (a stroke where the pen skipped).
PART = 0.15
NEAR = 0.5
SPECK = 0.02
# Another piece at least this fraction of the digit's area, away from it: a second thing written.
RIVAL = 0.5
# A piece touching the photo's edge over less than this fraction of its short side is writing
# cut by the edge; more is the table or the sheet's edge.
CUT_CONTACT = 0.25
# Pieces smaller than this (pixels at PHOTO_SIDE) are specks, never a digit.
MIN_PIECE = 30
# A digit whose larger side is under this many pixels at PHOTO_SIDE is too small to read.
MIN_DIGIT_SIDE = 20
# More runs of writing than this in the photo is print or texture, not one digit (and bounds the
# time spent finding pieces).
MAX_RUNS = 40_000


class PhotoError(DrawingError):
    """A photo in which no single digit could be found; ``reason`` says what went wrong."""


def blank_photo() -> PhotoError:
    return PhotoError(
        "No dark writing was found on this photo. Write the digit with a dark pen or marker on light "
        "paper and take the photo in good light.",
        "photo_blank",
    )


def preprocess_photo(source: Any) -> np.ndarray:
    """MNIST-style 28x28 float32 image (ink 1.0, paper 0.0) of the digit in a photo of paper:
    an image file (path, bytes, file object) or a PIL image.

    Raises PhotoError when the photo holds no single readable digit, and DrawingError for a
    file that is not a bounded PNG, JPEG or WebP image.
    """
    try:
        return preprocess_ink(photo_ink(source))
    except EmptyDrawingError as error:  # only the faintest edge of the writing was kept
        raise blank_photo() from error


def photo_ink(source: Any) -> np.ndarray:
    """The digit's ink in a photo of paper: uint8 (H, W) at PHOTO_SIDE, 255 full ink, 0 paper,
    everything but the digit cleared."""
    grey = photo_grey(source)
    ink = darkness(grey)
    mask = ink > max(otsu_threshold(ink), MIN_CONTRAST)
    if mask.mean() > MAX_INK_FRACTION:
        raise PhotoError(
            "Most of this photo is dark, so no digit stands out. Photograph the digit on light paper, "
            "close enough that the paper fills the picture, in good light.",
            "photo_dark",
        )
    digit = digit_mask(mask)
    return digit_ink(ink, digit)


def photo_grey(source: Any) -> np.ndarray:
    """The photo as float32 brightness 0..1, upright (EXIF orientation applied), long side at
    most PHOTO_SIDE; transparent parts count as white paper."""
    if isinstance(source, Image.Image):
        image = source
        check_size(*image.size)
    elif isinstance(source, (str, Path, bytes, bytearray, io.IOBase)):
        image = open_image(source)  # bounded: bytes, pixels, formats; EXIF orientation applied
    else:
        raise DrawingError(f"Cannot read a photo from a {type(source).__name__}.")
    if image.mode in ("LA", "PA", "RGBA", "La", "RGBa") or "transparency" in image.info:
        paper = Image.new("RGBA", image.size, "white")
        image = Image.alpha_composite(paper, image.convert("RGBA"))
    image = image.convert("L")
    if max(image.size) > PHOTO_SIDE:
        image.thumbnail((PHOTO_SIDE, PHOTO_SIDE), Image.Resampling.BOX)
    return np.asarray(image, dtype=np.float32) / 255.0


def darkness(grey: np.ndarray) -> np.ndarray:
    """How much darker each pixel is than the paper's light there: 0 for paper, in light or in
    shadow, up to 1 for black. The light is the photo closed over its writing (a maximum then a
    minimum filter wider than any stroke), smoothed, at 1/LIGHT_SCALE of the size."""
    height, width = grey.shape
    small = Image.fromarray(grey, "F").resize(
        (max(1, width // LIGHT_SCALE), max(1, height // LIGHT_SCALE)), Image.Resampling.BOX
    )
    small = np.asarray(small)
    size = max(3, int(CLOSING * min(small.shape)) | 1)
    light = min_filter(max_filter(small, size), size)
    # Smooth the closing's blocky steps: a few passes of a box filter approach a Gaussian.
    for _ in range(3):
        light = mean_filter(light, max(3, size // 4 | 1))
    light = np.asarray(Image.fromarray(light, "F").resize((width, height), Image.Resampling.BILINEAR))
    return np.clip(1.0 - grey / np.maximum(light, 1 / 255), 0.0, 1.0)


def _windows(array: np.ndarray, size: int, axis: int) -> np.ndarray:
    pad = [(0, 0), (0, 0)]
    pad[axis] = (size // 2, size // 2)
    return sliding_window_view(np.pad(array, pad, mode="edge"), size, axis=axis)


def max_filter(array: np.ndarray, size: int) -> np.ndarray:
    """The largest value in each size x size square (a square filter is a row filter then a column filter)."""
    return _windows(_windows(array, size, 1).max(-1), size, 0).max(-1)


def min_filter(array: np.ndarray, size: int) -> np.ndarray:
    return _windows(_windows(array, size, 1).min(-1), size, 0).min(-1)


def mean_filter(array: np.ndarray, size: int) -> np.ndarray:
    return _windows(_windows(array, size, 1).mean(-1), size, 0).mean(-1).astype(np.float32)


def otsu_threshold(values: np.ndarray) -> float:
    """Otsu's threshold for values in 0..1: the split of the histogram into two classes with the
    largest variance between their means."""
    histogram, edges = np.histogram(values, bins=256, range=(0.0, 1.0))
    centres = (edges[:-1] + edges[1:]) / 2
    p = histogram / max(1, histogram.sum())
    below = np.cumsum(p)  # weight of the class at or below each threshold
    mean_below = np.cumsum(p * centres)
    total_mean = mean_below[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (total_mean * below - mean_below) ** 2 / (below * (1.0 - below))
    between = np.nan_to_num(between, nan=0.0, posinf=0.0)
    return float(centres[int(between.argmax())])


def pieces(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """The 8-connected pieces of ``mask``: a label per pixel (0 background, 1..n a piece) and n.

    Each row's runs of True are joined to the runs they touch in the row above (union-find over
    runs), so the work grows with the number of runs, not of pixels.
    """
    height, width = mask.shape
    edges = np.diff(np.pad(mask.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # exclusive; paired with starts, both in row-major order
    count = len(rows)
    if count > MAX_RUNS:
        raise clutter(None)
    labels = np.zeros((height, width), np.int32)
    if count == 0:
        return labels, 0
    parent = list(range(count))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first = np.searchsorted(rows, np.arange(height + 1))  # the runs of row r are first[r]:first[r + 1]
    for row in range(1, height):
        a0, a1, b1 = first[row - 1], first[row], first[row + 1]
        if a0 == a1 or a1 == b1:
            continue
        # Run a (above) touches run b, diagonals included, when a.start <= b.end and b.start <= a.end.
        lows = a0 + np.searchsorted(ends[a0:a1], starts[a1:b1], "left")
        highs = a0 + np.searchsorted(starts[a0:a1], ends[a1:b1], "right")
        for b, (low, high) in enumerate(zip(lows.tolist(), highs.tolist(), strict=True), start=a1):
            for a in range(low, high):
                ra, rb = root(a), root(b)
                if ra != rb:
                    parent[max(ra, rb)] = min(ra, rb)
    roots = np.array([root(i) for i in range(count)])
    _, piece = np.unique(roots, return_inverse=True)
    lengths = ends - starts
    # Paint every run with its piece's number.
    flat = np.repeat(rows * width + starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
    labels.ravel()[flat] = np.repeat(piece + 1, lengths)
    return labels, int(piece.max()) + 1


def clutter(count: int | None) -> PhotoError:
    things = f"{count} separate things" if count else "a lot of writing"
    return PhotoError(
        f"This photo shows {things}, not one digit. Photograph one digit on its own, with plain paper around it.",
        "photo_clutter",
        count=count or "",
    )


def digit_mask(mask: np.ndarray) -> np.ndarray:
    """The pixels of ``mask`` that make up the digit: the largest piece of writing that does not
    touch the photo's edge, with the large pieces near it."""
    labels, count = pieces(mask)
    if count == 0:
        raise blank_photo()
    height, width = mask.shape
    index = np.arange(1, count + 1)
    area = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    ys, xs = np.nonzero(labels)
    which = labels[ys, xs] - 1
    top, left = np.full(count, height), np.full(count, width)
    bottom, right = np.full(count, -1), np.full(count, -1)
    np.minimum.at(top, which, ys)
    np.minimum.at(left, which, xs)
    np.maximum.at(bottom, which, ys)
    np.maximum.at(right, which, xs)
    inside = (top > 0) & (left > 0) & (bottom < height - 1) & (right < width - 1) & (area >= MIN_PIECE)
    if not inside.any():
        # Writing cut by the edge meets it over a few strokes' width; the table or the sheet's
        # edge along a side of the photo meets it over much more.
        rim = np.concatenate([labels[0], labels[-1], labels[1:-1, 0], labels[1:-1, -1]])
        contact = np.bincount(rim, minlength=count + 1)[1:]
        cut = (area >= MIN_PIECE) & (contact > 0) & (contact < CUT_CONTACT * min(height, width))
        if not cut.any():
            raise blank_photo()
        raise PhotoError(
            "The only writing found touches the edge of the photo. Keep the whole digit inside the "
            "photo, with paper all around it.",
            "photo_edge",
        )
    largest = int(np.argmax(np.where(inside, area, 0)))
    chosen = np.zeros(count, bool)
    chosen[largest] = True
    box = [top[largest], left[largest], bottom[largest], right[largest]]
    grown = True
    while grown:  # a stroke that joins may bring another within reach
        side = max(box[2] - box[0], box[3] - box[1]) + 1
        reach = NEAR * side
        near = (
            (top <= box[2] + reach) & (bottom >= box[0] - reach) & (left <= box[3] + reach) & (right >= box[1] - reach)
        )
        within = (top >= box[0]) & (bottom <= box[2]) & (left >= box[1]) & (right <= box[3])
        joining = (
            inside & ~chosen & ((near & (area >= PART * area[largest])) | (within & (area >= SPECK * area[largest])))
        )
        grown = bool(joining.any())
        chosen |= joining
        box = [top[chosen].min(), left[chosen].min(), bottom[chosen].max(), right[chosen].max()]
    rivals = inside & ~chosen & (area >= RIVAL * area[chosen].sum())
    if rivals.any():
        raise clutter(int(rivals.sum()) + 1)
    if max(box[2] - box[0], box[3] - box[1]) + 1 < MIN_DIGIT_SIDE:
        raise PhotoError(
            "The digit is too small in this photo to read. Come closer, so that the digit fills about "
            "a third of the picture.",
            "photo_small",
        )
    return np.isin(labels, index[chosen])


def digit_ink(ink: np.ndarray, digit: np.ndarray) -> np.ndarray:
    """The digit's darkness as an ink map: its pixels and the soft edge around them (one pixel),
    stretched so that the stroke's core is full ink and the paper around it none."""
    edge = max_filter(digit.astype(np.uint8), 3).astype(bool)
    core = float(np.percentile(ink[digit], 90))
    floor = MIN_CONTRAST / 2
    stretched = np.clip((ink - floor) / max(core - floor, 1e-3), 0.0, 1.0)
    return np.where(edge, stretched * 255.0, 0.0).astype(np.uint8)
