"""Turn a drawing or an uploaded picture into a 28x28 MNIST-style image.

MNIST digits were made like this: the ink's bounding box is scaled (keeping its aspect ratio,
anti-aliased) to fit a 20x20 box, which is then placed in a 28x28 field so that the ink's
centre of mass is at the field's centre. A model trained on MNIST only reads digits that went
through the same steps, so every input - a sketchpad canvas, a transparent PNG, a photo of
paper - is reduced to an ink map and put through them.

The result follows the models' input contract: float32, ink 1.0, paper 0.0. A model trained on
deskewed digits also straightens the slant of what it reads (``mnist_models.models.deskew``,
applied by the model itself, so training and serving can never disagree about it).
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import stat
import struct
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

FIELD = 28
BOX = 20
# Where MNIST's makers put each digit's centre of mass, in pixel-index coordinates: the field's centre.
CENTRE = 14.0

# Bounds on the work one request can cause: files larger than MAX_FILE_BYTES are not read past
# that size, only these formats are decoded, images larger than MAX_PIXELS are refused before they
# are decoded, and anything over WORK_SIDE is downscaled before the ink is looked at.
MAX_FILE_BYTES = 8 * 1024 * 1024
IMAGE_FORMATS = ("PNG", "JPEG", "WEBP")
MAX_PIXELS = 4096 * 4096
MIN_SIDE = 8
WORK_SIDE = 1024
# An ink value (0-255) above this counts as ink when finding the digit; fainter is paper noise.
INK_THRESHOLD = 40
# More ink than this fraction of the picture is not a digit on paper.
MAX_INK_FRACTION = 0.6
ALL_INK_MESSAGE = (
    "The picture is (almost) all ink, so there is no digit to read. Draw a digit with a dark pen on light paper."
)


# Pictures sent inline by a browser (a canvas's toDataURL): these types, and at most this much text.
# The pad sends a 280x280 PNG (mnist_models/pad.py): even one that does not compress at all is
# about 0.42 MB as base64, so more than this is not the pad's.
DATA_URL_TYPES = ("image/png", "image/jpeg", "image/webp")
MAX_DATA_URL_CHARS = 1024 * 1024


class DrawingError(ValueError):
    """The input cannot be read as a digit; the message is meant for the person who sent it.

    ``reason`` names the problem and ``details`` hold the figures in the message, for an app that
    words it in the person's own language.
    """

    def __init__(self, message: str, reason: str = "unreadable", **details: object) -> None:
        super().__init__(message)
        self.reason = reason
        self.details = details


class EmptyDrawingError(DrawingError):
    """The input is blank: nothing has been drawn yet."""

    def __init__(self, message: str = "Draw a digit.") -> None:
        super().__init__(message, "empty")


NOT_AN_IMAGE_MESSAGE = "This file is not an image we can read. Send a PNG, JPEG or WebP picture of a digit."


def file_too_large(size: int) -> DrawingError:
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return DrawingError(
        f"The file is over {limit} MB ({size:,} bytes or more); send a smaller picture.", "file_too_large", limit=limit
    )


def read_file(path: str | Path) -> bytes:
    """The bytes of the image file at ``path``, read with bounds: only a regular file, and never
    more than MAX_FILE_BYTES of it.

    A device (/dev/zero), a FIFO or a directory is refused without reading, and opening does not
    wait for a FIFO's writer; a file that is larger, or grows while it is read, is refused once
    MAX_FILE_BYTES have been read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError, TypeError) as error:
        raise DrawingError(NOT_AN_IMAGE_MESSAGE, "not_an_image") from error
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise DrawingError(NOT_AN_IMAGE_MESSAGE, "not_an_image")
    with os.fdopen(descriptor, "rb") as file:
        return read_bounded(file)


def read_bounded(file: io.IOBase) -> bytes:
    """At most MAX_FILE_BYTES of a file object; more than that is refused."""
    try:
        data = file.read(MAX_FILE_BYTES + 1)
    except (OSError, ValueError) as error:
        raise DrawingError(NOT_AN_IMAGE_MESSAGE, "not_an_image") from error
    if not isinstance(data, bytes):
        raise DrawingError(NOT_AN_IMAGE_MESSAGE, "not_an_image")
    if len(data) > MAX_FILE_BYTES:
        raise file_too_large(len(data))
    return data


def open_image(source: str | Path | bytes | io.IOBase, max_side: int | None = None) -> Image.Image:
    """Open an image file (path, bytes or file object) of a format in IMAGE_FORMATS, refusing
    non-images, large files and huge images (or, with ``max_side``, any side longer than that)
    before decoding them; EXIF orientation applied."""
    if isinstance(source, (str, Path)):
        data = read_file(source)
    elif isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        if len(data) > MAX_FILE_BYTES:
            raise file_too_large(len(data))
    else:
        data = read_bounded(source)
    try:
        # Lazy: reads the header only. Only the formats a browser sends are tried: PIL's other
        # plugins (EPS runs Ghostscript, for one) are more code than a digit needs to reach.
        image = Image.open(io.BytesIO(data), formats=IMAGE_FORMATS)
    except Image.DecompressionBombError as error:  # PIL's own bound, far above ours
        raise too_many_pixels() from error
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise DrawingError(NOT_AN_IMAGE_MESSAGE, "not_an_image") from error
    check_size(*image.size)
    if max_side is not None and max(image.size) > max_side:
        raise too_large_drawing(image.size, max_side)
    try:
        # Large JPEGs decode at a fraction of their size for free.
        image.draft("L", (WORK_SIDE, WORK_SIDE))
        image.load()
        # EXIF is a TIFF structure of its own, parsed here: a malformed one raises what PIL's TIFF
        # reader raises (SyntaxError "not a TIFF file", struct.error, ...), not only OSError.
        return ImageOps.exif_transpose(image)
    except (OSError, ValueError, SyntaxError, struct.error, Image.DecompressionBombError) as error:
        raise DrawingError("This image file is damaged or truncated and cannot be decoded.", "damaged") from error


def too_large_drawing(size: tuple[int, int], limit: int) -> DrawingError:
    width, height = size
    return DrawingError(
        f"The drawing is {width}×{height} pixels; a drawing from the pad is at most {limit}×{limit}. "
        "Reload the page and draw again.",
        "drawing_too_large",
        size=f"{width}×{height}",
        limit=limit,
    )


def decode_data_url(url: str) -> bytes:
    """The image file inside a base64 ``data:image/...`` URL, as a browser canvas makes them.

    Only image types are taken, and the text is bounded before it is decoded.
    """
    header, comma, payload = url.partition(",") if isinstance(url, str) else ("", "", "")
    kind = header.removeprefix("data:").removesuffix(";base64")
    if not comma or not header.startswith("data:") or not header.endswith(";base64") or kind not in DATA_URL_TYPES:
        raise DrawingError(
            "The drawing did not arrive as a PNG, JPEG or WebP picture. Reload the page and draw again.",
            "not_a_picture",
        )
    if len(payload) > MAX_DATA_URL_CHARS:
        limit = MAX_DATA_URL_CHARS // (1024 * 1024)
        raise DrawingError(
            f"The drawing is over {limit} MB of text; send a smaller picture.", "text_too_large", limit=limit
        )
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise DrawingError(
            "The drawing's picture data is damaged. Reload the page and draw again.", "damaged"
        ) from error


def too_many_pixels(size: str | None = None) -> DrawingError:
    limit = MAX_PIXELS // 1_000_000
    shown = f"{size} pixels" if size else f"far over {limit} megapixels"
    return DrawingError(
        f"The image is {shown}; the largest accepted is {limit} megapixels (e.g. 4096×4096). "
        "Please send a smaller picture.",
        "too_many_pixels",
        size=size or "?",
        limit=limit,
    )


def check_size(width: int, height: int) -> None:
    if width * height > MAX_PIXELS:
        raise too_many_pixels(f"{width}×{height}")
    if min(width, height) < MIN_SIDE:
        raise DrawingError(
            f"The image is {width}×{height} pixels; it must be at least {MIN_SIDE}×{MIN_SIDE} to hold a digit.",
            "too_small",
            size=f"{width}×{height}",
            limit=f"{MIN_SIDE}×{MIN_SIDE}",
        )


def _as_pil(array: np.ndarray) -> Image.Image:
    array = np.asarray(array)
    if array.dtype != np.uint8:
        # Float images are taken as 0..1 when they fit in it, else as 0..255.
        scale = 255.0 if array.size and float(np.nanmax(array)) <= 1.0 else 1.0
        array = np.clip(np.nan_to_num(array) * scale, 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        return Image.fromarray(array, "L")
    if array.ndim == 3 and array.shape[2] in (3, 4):
        return Image.fromarray(array, "RGBA" if array.shape[2] == 4 else "RGB")
    raise DrawingError(f"An image array must be H×W, H×W×3 or H×W×4, not {array.shape}.")


def to_pil(image: Any) -> Image.Image:
    """Accept a PIL image, a NumPy array or an image file (path, bytes, file object); bound its size."""
    if isinstance(image, Image.Image):
        pil = image
    elif isinstance(image, np.ndarray):
        pil = _as_pil(image)
    elif isinstance(image, (str, Path, bytes, io.IOBase)):
        pil = open_image(image)
    elif image is None:
        raise EmptyDrawingError()
    else:
        raise DrawingError(f"Cannot read a digit from a {type(image).__name__}.")
    check_size(*pil.size)
    if max(pil.size) > WORK_SIDE:
        pil = pil.copy()
        pil.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX)
    return pil


def _alpha(pil: Image.Image) -> np.ndarray:
    return np.asarray(pil.convert("RGBA"))[:, :, 3]


def ink_map(image: Any) -> np.ndarray:
    """The ink of ``image`` as uint8 (H, W): 255 is full ink, 0 is paper.

    Transparent pictures carry the ink in their alpha channel. For opaque ones the paper's
    colour is read from the image's border, so dark ink on light paper and light ink on dark
    paper (a chalkboard, an inverted MNIST digit) give the same ink map.
    """
    pil = to_pil(image)
    if pil.mode in ("LA", "PA", "RGBA", "La", "RGBa") or "transparency" in pil.info:
        alpha = _alpha(pil)
        if alpha.min() < 255:  # some transparency: the alpha channel is the drawing
            return alpha
    grey = np.asarray(pil.convert("L"), dtype=np.int16)
    ring = max(1, min(grey.shape) // 20)
    border = np.concatenate(
        [grey[:ring].ravel(), grey[-ring:].ravel(), grey[:, :ring].ravel(), grey[:, -ring:].ravel()]
    )
    paper = int(np.median(border))
    ink = (paper - grey) if paper >= 128 else (grey - paper)
    # Stretch so the strongest ink is 255 (pencil on grey paper reads like a marker), but never
    # stretch faint noise on blank paper into a digit.
    strongest = int(ink.max())
    if strongest < INK_THRESHOLD:
        if paper < 128:
            # Dark and flat all over: a picture covered in ink, not a digit on paper.
            raise DrawingError(ALL_INK_MESSAGE, "all_ink")
        return np.zeros(grey.shape, np.uint8)
    return np.clip(ink * (255.0 / strongest), 0, 255).astype(np.uint8)


def preprocess(image: Any) -> np.ndarray:
    """MNIST-style 28x28 float32 image (ink 1.0, paper 0.0) of the digit in ``image``.

    Raises EmptyDrawingError for a blank input and DrawingError for anything that is not a
    digit on paper (all ink, too small, too large, not an image).
    """
    return preprocess_ink(ink_map(image))


def preprocess_ink(ink: np.ndarray) -> np.ndarray:
    """MNIST-style 28x28 float32 image of an ink map (uint8 (H, W), 255 full ink, 0 paper): the
    steps every input shares once its ink is found, whether it came from the pad or a photo."""
    mask = ink > INK_THRESHOLD
    ink_pixels = int(mask.sum())
    if ink_pixels == 0:
        raise EmptyDrawingError()
    if ink_pixels > MAX_INK_FRACTION * mask.size:
        raise DrawingError(ALL_INK_MESSAGE, "all_ink")
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]

    height, width = crop.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    # LANCZOS averages over the whole footprint when shrinking: the anti-aliased grey edges MNIST has.
    box = np.asarray(Image.fromarray(crop, "L").resize(size, Image.Resampling.LANCZOS), dtype=np.float32) / 255.0

    total = box.sum()
    if total <= 0:
        raise EmptyDrawingError()
    ys, xs = np.indices(box.shape)
    return place_centred(box, (ys * box).sum() / total, (xs * box).sum() / total)


def place_centred(box: np.ndarray, cy: float, cx: float) -> np.ndarray:
    """Put ``box`` in a 28x28 field so that its centre of mass (cy, cx) lands on the centre.

    MNIST shifted by whole pixels; we shift by the exact fraction (bilinear), so the same digit
    drawn anywhere on the canvas comes out the same instead of jittering by a pixel.
    """
    top, left = CENTRE - cy, CENTRE - cx
    y0, x0 = int(np.floor(top)), int(np.floor(left))
    fy, fx = top - y0, left - x0
    # One spare row and column so the fractional shift can spill into them.
    padded = np.zeros((FIELD + 1, FIELD + 1), np.float32)
    h, w = box.shape
    # Paste with clipping: a very lopsided digit may have its centre of mass near one edge.
    ys0, xs0 = max(y0 + 1, 0), max(x0 + 1, 0)
    ys1, xs1 = min(y0 + 1 + h, FIELD + 1), min(x0 + 1 + w, FIELD + 1)
    padded[ys0:ys1, xs0:xs1] = box[ys0 - y0 - 1 : ys1 - y0 - 1, xs0 - x0 - 1 : xs1 - x0 - 1]
    # Linear interpolation: field pixel y takes (1 - fy) of box row y - y0 and fy of the row above.
    field = (
        (1 - fy) * (1 - fx) * padded[1:, 1:]
        + fy * (1 - fx) * padded[:-1, 1:]
        + (1 - fy) * fx * padded[1:, :-1]
        + fy * fx * padded[:-1, :-1]
    )
    return np.clip(field, 0.0, 1.0, dtype=np.float32)
