"""Synthetic phone photos of digits written on paper, to test and measure ``photo.preprocess_photo``.

A real pen digit (the UCI pen data's strokes, ``pendigits``) is written with a marker-like pen
of random width on a sheet of paper, which lies slightly rotated on a table, lit unevenly (a
brightness gradient across the sheet and the soft shadow of a phone or a hand), photographed
slightly out of focus with camera noise, and saved as a JPEG at a camera's size. Every photo is
made from a seed, so a test's photos are the same on every run and anyone can make them again.

    python -m tests.paper_photos --out /tmp/photos        # a few to look at
    python -m tests.paper_photos --count 300 --measure    # both models' accuracy on them
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageFilter

from mnist_models.datasets.pendigits import VALIDATION_WRITERS, PenDigit, load_pendigits, place_on_pad
from mnist_models.models.checkpoints import MODEL_NAMES
from mnist_models.pad import render_strokes

CAMERA_SIZES = ((1600, 1200), (1200, 1600), (1280, 960))


def photo_rng(digit: PenDigit | None, seed: int) -> np.random.Generator:
    return np.random.default_rng([seed] if digit is None else [seed, digit.writer, digit.sample])


def digit_ink(digit: PenDigit, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """The digit's ink coverage (uint8, 255 full) at its place on a ``size`` photo: a quarter to half the
    photo's short side tall, a pen 5-12 % of the digit's height wide."""
    width, height = size
    tall = rng.uniform(0.25, 0.5) * min(size)
    pen = rng.uniform(0.05, 0.12) * tall
    side = int(tall * 1.2)
    strokes = place_on_pad(digit, tall / side, rng, canvas=side, pen_width=pen)
    layer = render_strokes(strokes, canvas=side, pen_width=pen).getchannel("A")
    ink = Image.new("L", size, 0)
    # Anywhere on the sheet, clear of where the table may show.
    x = int(rng.uniform(0.12 * width, max(0.12 * width, 0.88 * width - side)))
    y = int(rng.uniform(0.12 * height, max(0.12 * height, 0.88 * height - side)))
    ink.paste(layer, (x, y))
    return np.asarray(ink)


def paper_photo(digit: PenDigit | None, seed: int, size: tuple[int, int] | None = None) -> bytes:
    """A JPEG photo of ``digit`` written on paper (None: blank paper), at a camera's ``size``
    (default: one of CAMERA_SIZES, picked by the seed)."""
    rng = photo_rng(digit, seed)
    camera = size or CAMERA_SIZES[int(rng.integers(len(CAMERA_SIZES)))]
    # The scene is made at half the camera's size; scaling it up is the lens's softness.
    size = width, height = camera[0] // 2, camera[1] // 2
    ink = digit_ink(digit, size, rng) if digit is not None else np.zeros((height, width), np.uint8)

    # The sheet: most of the photo, sometimes with the table showing along one or two edges.
    sheet = Image.new("L", size, 0)
    margins = rng.uniform(-0.1, 0.08, 4) * np.array([width, height, width, height])
    sheet.paste(255, (int(margins[0]), int(margins[1]), int(width - margins[2]), int(height - margins[3])))
    # Both lie slightly rotated, 5-10 degrees either way.
    angle = rng.uniform(5, 10) * rng.choice([-1, 1])
    sheet = np.asarray(sheet.rotate(angle, Image.Resampling.BICUBIC), np.float32) / 255.0
    ink = np.asarray(Image.fromarray(ink, "L").rotate(angle, Image.Resampling.BICUBIC), np.float32) / 255.0

    paper = rng.uniform(0.82, 0.95) * np.array([1.0, rng.uniform(0.96, 1.0), rng.uniform(0.88, 0.98)])
    table = rng.uniform(0.25, 0.5) * np.array([1.0, 0.8, 0.6])
    pen = rng.uniform(0.08, 0.25) * np.array([1.0, 1.0, rng.uniform(1.0, 1.8)])  # black to blue-black
    paper, table, pen = (colour.astype(np.float32) for colour in (paper, table, pen))
    ink, sheet = ink[..., None], sheet[..., None]
    reflectance = sheet * paper * (1 - ink + pen * ink) + (1 - sheet) * table

    # Light: a gradient across the photo, and the soft shadow of something above the paper. Both
    # are smooth, so they are computed on a coarse grid and scaled up.
    coarse = (max(2, width // 8), max(2, height // 8))
    ys, xs = np.mgrid[0 : coarse[1], 0 : coarse[0]].astype(np.float32)
    xs, ys = xs / coarse[0] * width, ys / coarse[1] * height
    direction = rng.uniform(0, 2 * np.pi)
    along = (np.cos(direction) * xs / width + np.sin(direction) * ys / height) + 0.5
    light = 1.0 - rng.uniform(0.2, 0.45) * np.clip(along, 0, 1.5)
    edge_angle = rng.uniform(0, 2 * np.pi)
    offset = rng.uniform(-0.25, 0.25) * min(size)
    distance = np.cos(edge_angle) * (xs - width / 2) + np.sin(edge_angle) * (ys - height / 2) - offset
    softness = rng.uniform(0.02, 0.08) * min(size)
    shadow = 1.0 - rng.uniform(0.3, 0.5) / (1.0 + np.exp(np.clip(distance / softness, -50, 50)))
    lighting = Image.fromarray((light * shadow).astype(np.float32), "F").resize(size, Image.Resampling.BILINEAR)
    pixels = reflectance * np.asarray(lighting)[..., None]

    image = Image.fromarray(np.clip(pixels * 255, 0, 255).astype(np.uint8), "RGB")
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))  # focus
    image = image.resize(camera, Image.Resampling.BICUBIC)
    noise = rng.standard_normal((camera[1], camera[0], 3), dtype=np.float32) * rng.uniform(2, 5)
    noisy = np.asarray(image, np.float32) + noise
    image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8), "RGB")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=int(rng.integers(70, 92)))
    return buffer.getvalue()


def measure(digits: list[PenDigit], seed: int) -> dict[str, float]:
    """Both shipped models' accuracy on photos of ``digits`` read as the app reads them."""
    from mnist_models.reading.classifier import Classifier  # loads the models: only for a measurement
    from mnist_models.reading.photo import preprocess_photo

    classifier = Classifier()
    images = np.stack([preprocess_photo(paper_photo(digit, seed)) for digit in digits])
    labels = np.array([digit.label for digit in digits])
    return {name: float((classifier.probabilities(images, name).argmax(1) == labels).mean()) for name in MODEL_NAMES}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="synthetic photos of the validation writers' pen digits on paper")
    parser.add_argument("--pen-dir", help="folder with pendigits-orig.tra[.gz] (default: $PENDIGITS_DIR)")
    parser.add_argument("--count", type=int, default=10, help="photos of every few validation digits")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, help="write the photos to this folder")
    parser.add_argument("--measure", action="store_true", help="print both models' accuracy on the photos")
    args = parser.parse_args(argv)
    digits = load_pendigits(args.pen_dir).by_writers(VALIDATION_WRITERS)
    digits = digits[:: max(1, len(digits) // args.count)][: args.count]
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        for digit in digits:
            path = args.out / f"{digit.label}-writer{digit.writer}-{digit.sample}.jpg"
            path.write_bytes(paper_photo(digit, args.seed))
            print(path)
    if args.measure:
        for name, accuracy in measure(digits, args.seed).items():
            print(f"{name}: {accuracy:.1%} of {len(digits)} photos (seed {args.seed})")


if __name__ == "__main__":
    main()
