"""Test material: a balanced, reproducible set of digits drawn from the stroke templates of
mnist_models/datasets/drawings.py, and a contact sheet of it to look at.

    python -m tests.drawn_digits --out /tmp/sheet.png   # contact sheet of the set
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image

from mnist_models.datasets.drawings import BACKGROUNDS, render_digit


def drawn_digit_set(per_digit: int = 50, seed: int = 0, canvas: int = 400) -> list[tuple[Image.Image, int]]:
    """``per_digit`` drawings of each digit as (image, label), backgrounds alternating.

    Each sample has its own generator seeded by (seed, index, digit), so a smaller set is a
    prefix of a larger one with the same seed and samples don't shift when ``per_digit`` changes.
    """
    out = []
    for i in range(per_digit):
        for digit in range(10):
            rng = np.random.default_rng([seed, i, digit])
            # (i + digit) rather than the running index: with 10 digits per round the running
            # index would give each digit always the same background.
            background = BACKGROUNDS[(i + digit) % 2]
            out.append((render_digit(digit, rng, canvas, background), digit))
    return out


def contact_sheet(per_digit: int = 12, seed: int = 0, canvas: int = 400, cell: int = 96) -> Image.Image:
    """One row per digit, ``per_digit`` samples each, on a grid so canvas edges are visible."""
    samples = drawn_digit_set(per_digit, seed, canvas)
    gap = 4
    sheet = Image.new("RGB", (per_digit * (cell + gap) + gap, 10 * (cell + gap) + gap), (150, 150, 150))
    for k, (image, digit) in enumerate(samples):
        i = k // 10
        # Transparent layers go on pale blue so the two backgrounds can be told apart.
        paper = Image.new("RGB", image.size, (255, 255, 255) if image.mode == "RGB" else (225, 235, 250))
        if image.mode == "RGBA":
            paper.paste(image, mask=image.getchannel("A"))
        else:
            paper = image
        sheet.paste(paper.resize((cell, cell), Image.BOX), (gap + i * (cell + gap), gap + digit * (cell + gap)))
    return sheet


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a contact sheet of the synthetic drawn-digit set.")
    parser.add_argument("--out", type=Path, default=Path("drawn_digits.png"))
    parser.add_argument("--per-digit", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--canvas", type=int, default=400)
    parser.add_argument("--cell", type=int, default=96, help="thumbnail size in the sheet, pixels")
    args = parser.parse_args(argv)
    contact_sheet(args.per_digit, args.seed, args.canvas, args.cell).save(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
