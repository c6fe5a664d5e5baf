"""Deskewing: the classic MNIST step that stands a slanted digit upright.

A model made with ``deskew=True`` applies it to every image it reads, in training and serving
alike (``networks.DigitModel.sees``), so the two can never disagree about it.
"""

from __future__ import annotations

import torch

FIELD = 28

# A shear steeper than this (45 degrees) is not a slanted digit but a stroke lying almost flat.
MAX_SLANT = 1.0


def deskew(images: torch.Tensor) -> torch.Tensor:
    """Straighten the slant of each 28x28 image in ``images`` (..., 28, 28), the classic MNIST step
    (LeCun et al.'s table lists it for linear classifiers).

    With the ink's centre of mass (cx, cy) and its second moments about it,

        mu11 = mean of (x - cx)(y - cy),    mu02 = mean of (y - cy)^2    (weighted by ink),

    the slant is alpha = mu11 / mu02: how far x moves per row down. Shearing each row by it,

        out(x, y) = in(x + alpha (y - cy), y),

    makes the ink's principal axis vertical and leaves the centre of mass where it was. Each row
    reads between two of its pixels, so the shear is a linear interpolation along the row.
    """
    shape = images.shape
    ink = images.reshape(-1, FIELD, FIELD).float()
    mass = ink.sum((1, 2)).clamp(min=1e-6)
    ys = torch.arange(FIELD, dtype=ink.dtype, device=ink.device).view(1, FIELD, 1)
    xs = torch.arange(FIELD, dtype=ink.dtype, device=ink.device).view(1, 1, FIELD)
    cy = ((ink * ys).sum((1, 2)) / mass).view(-1, 1, 1)
    cx = ((ink * xs).sum((1, 2)) / mass).view(-1, 1, 1)
    mu11 = (ink * (xs - cx) * (ys - cy)).sum((1, 2), keepdim=True) / mass.view(-1, 1, 1)
    mu02 = (ink * (ys - cy) ** 2).sum((1, 2), keepdim=True) / mass.view(-1, 1, 1)
    alpha = (mu11 / mu02.clamp(min=1e-6)).clamp(-MAX_SLANT, MAX_SLANT)

    source = xs + alpha * (ys - cy)  # (N, 28, 28): the point of its own row each pixel reads
    left = source.floor()
    right_share = source - left
    # Paper either side, wide enough for the steepest shear: reads beyond the field find no ink.
    margin = FIELD + 2
    paper = torch.nn.functional.pad(ink, (margin, margin))
    left = left.long() + margin
    leftwards, rightwards = paper.gather(2, left), paper.gather(2, left + 1)
    return ((1 - right_share) * leftwards + right_share * rightwards).reshape(shape)
