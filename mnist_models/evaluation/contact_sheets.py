"""Contact sheets for a person to look at: the pen digits a model misread, the non-digits it took
for digits, and the most slanted digits before and after deskewing."""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw
from torch import nn

from mnist_models.datasets.pendigits import (
    VALIDATION_RENDERINGS,
    VALIDATION_SEED,
    VALIDATION_WRITERS,
    PenData,
    PenSet,
    draw_on_pad,
)
from mnist_models.evaluation.metrics import APART, predict_logits
from mnist_models.evaluation.verdict import calibrated, digit_score
from mnist_models.models.deskew import deskew
from mnist_models.reading.preprocess import preprocess


def miss_sheet(pen: PenData, predictions: torch.Tensor, columns: int = 12) -> Image.Image | None:
    """A contact sheet of the validation set's misses: each the pad's picture, the 28x28 picture
    the model saw, and "writer: true -> read"; None when there are none."""
    digits = pen.by_writers(VALIDATION_WRITERS)
    misses = [(i, int(p)) for i, p in enumerate(predictions.tolist()) if p != digits[i // VALIDATION_RENDERINGS].label]
    if not misses:
        return None
    cell, thumb, seen, caption = 150, 100, 44, 16
    rows = -(-len(misses) // columns)
    sheet = Image.new("RGB", (columns * cell, rows * (thumb + caption + 6)), "white")
    draw = ImageDraw.Draw(sheet)
    for n, (index, predicted) in enumerate(misses):
        digit = digits[index // VALIDATION_RENDERINGS]
        picture = draw_on_pad(digit, VALIDATION_SEED, index % VALIDATION_RENDERINGS, VALIDATION_RENDERINGS)
        paper = Image.new("RGB", picture.size, "white")
        paper.paste(picture, mask=picture)
        x, y = (n % columns) * cell, (n // columns) * (thumb + caption + 6)
        sheet.paste(paper.resize((thumb, thumb), Image.Resampling.LANCZOS), (x + 2, y + 2))
        draw.rectangle([x + 2, y + 2, x + thumb + 2, y + thumb + 2], outline="#bbbbbb")
        model_view = (255 - preprocess(picture) * 255).astype(np.uint8)
        sheet.paste(Image.fromarray(model_view).resize((seen, seen), Image.Resampling.NEAREST), (x + thumb + 4, y + 2))
        draw.text((x + 4, y + thumb + 4), f"w{digit.writer}: {digit.label} -> {predicted}", fill="#c0392b")
    return sheet


def nondigit_miss_sheet(
    model: nn.Module, verdict: dict, sets: dict[str, torch.Tensor], columns: int = 16
) -> Image.Image | None:
    """A contact sheet of the non-digits (the sets of APART left out) that ``model`` took for digits:
    each the 28x28 picture it saw, with its set's initials, the digit it read and its score."""
    misses = []
    for name, images in sets.items():
        if name in APART or not len(images):
            continue
        logits = predict_logits(model, images)
        top, digit = digit_score(logits, verdict["temperature"]), calibrated(logits, 1.0).argmax(1)
        for i in torch.nonzero(top >= verdict["threshold"]).flatten().tolist():
            with torch.inference_mode():
                seen = model.sees(images[i : i + 1]).view(28, 28).cpu().numpy()
            misses.append((seen, f"{name[:3]} {int(digit[i])} {top[i].item():.0%}"))
    if not misses:
        return None
    cell, side = 84, 64
    rows = -(-len(misses) // columns)
    sheet = Image.new("RGB", (columns * cell, rows * (side + 18)), "white")
    draw = ImageDraw.Draw(sheet)
    for n, (seen, caption) in enumerate(misses):
        x, y = (n % columns) * cell, (n // columns) * (side + 18)
        picture = Image.fromarray((255 - np.clip(seen, 0, 1) * 255).astype(np.uint8))
        sheet.paste(picture.resize((side, side), Image.Resampling.NEAREST), (x + 2, y + 2))
        draw.text((x + 2, y + side + 3), caption, fill="#c0392b")
    return sheet


def deskew_sheet(pen: PenSet, count: int = 10) -> Image.Image:
    """The ``count`` most slanted digits of ``pen`` as the model would see them without deskewing
    (top row) and with it (bottom row)."""
    images = pen.images[:, 0]
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    mass = images.sum((1, 2))
    cy, cx = (images * ys).sum((1, 2)) / mass, (images * xs).sum((1, 2)) / mass
    dy, dx = ys - cy.view(-1, 1, 1), xs - cx.view(-1, 1, 1)
    slant = (images * dx * dy).sum((1, 2)) / (images * dy * dy).sum((1, 2))
    chosen = slant.abs().argsort(descending=True)[:count]
    side, gap = 84, 6
    sheet = Image.new("L", (count * (side + gap), 2 * (side + gap)), 255)
    for n, index in enumerate(chosen.tolist()):
        for row, picture in enumerate((images[index], deskew(images[index]))):
            ink = Image.fromarray((255 - picture.clamp(0, 1).numpy() * 255).astype(np.uint8))
            sheet.paste(ink.resize((side, side), Image.Resampling.NEAREST), (n * (side + gap), row * (side + gap)))
    return sheet
