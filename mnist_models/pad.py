"""The drawing pad's pen, and a renderer that draws strokes exactly as the pad does.

The app's pad (demo/drawing_pad.py) draws on a browser canvas with these settings and sends a
CANVAS x CANVAS picture: black ink on a transparent background, the ink in the alpha channel,
lines of PEN_WIDTH with round caps and joins, straight segments between the pointer's points,
and a tap as a dot of the pen's diameter. Both the pad and ``render_strokes`` read the pen from
here, so pictures rendered for training and measuring are the pictures the app receives.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import numpy as np
from PIL import Image, ImageDraw

CANVAS = 280  # the picture sent: 10x MNIST's 28, still a small PNG
PEN_WIDTH = 22  # pixels of CANVAS: a stroke about as thick, relative to a large digit, as MNIST's

# A browser anti-aliases by the share of each pixel the shape covers; drawing at 4x and
# averaging 4x4 blocks measures that share to 1/16.
SUPERSAMPLE = 4

Stroke = Sequence[tuple[float, float]] | np.ndarray


def render_strokes(strokes: Sequence[Stroke], canvas: int = CANVAS, pen_width: float = PEN_WIDTH) -> Image.Image:
    """The pad's picture of ``strokes``: an RGBA image, black ink on transparent, ``canvas`` square.

    Each stroke is a sequence of (x, y) points in canvas pixels, x to the right and y down, (0, 0)
    the canvas's top-left corner, as the pad records them. A line with round caps and joins is
    the union of a disc at every point and a band of the pen's width along every segment.
    """
    radius = pen_width * SUPERSAMPLE / 2
    picture = Image.new("RGBA", (canvas, canvas), (0, 0, 0, 0))
    strokes = [np.asarray(stroke, dtype=np.float64).reshape(-1, 2) for stroke in strokes]
    if not any(len(stroke) for stroke in strokes):
        return picture
    # Draw only the canvas pixels the ink can reach: the whole 4x canvas costs many times more.
    every = np.concatenate(strokes)
    left, top = np.clip(np.floor(every.min(0) - pen_width / 2 - 1), 0, canvas).astype(int)
    right, bottom = np.clip(np.ceil(every.max(0) + pen_width / 2 + 1), 0, canvas).astype(int)
    if right <= left or bottom <= top:
        return picture
    coverage = Image.new("L", ((right - left) * SUPERSAMPLE, (bottom - top) * SUPERSAMPLE), 0)
    draw = ImageDraw.Draw(coverage)
    for stroke in strokes:
        # Pixel k of the large image covers [k, k + 1): PIL fills the pixels whose centres,
        # k + 0.5, fall inside a shape, so shapes are drawn half a pixel up and left.
        points = (stroke - (left, top)) * SUPERSAMPLE - 0.5
        for (x0, y0), (x1, y1) in pairwise(points):
            length = np.hypot(x1 - x0, y1 - y0)
            if length == 0:
                continue
            # The band's corners: the segment pushed out by the radius along its normal.
            nx, ny = -(y1 - y0) / length * radius, (x1 - x0) / length * radius
            draw.polygon([(x0 + nx, y0 + ny), (x1 + nx, y1 + ny), (x1 - nx, y1 - ny), (x0 - nx, y0 - ny)], fill=255)
        for x, y in points:
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=255)
    alpha = Image.new("L", (canvas, canvas), 0)
    alpha.paste(coverage.reduce(SUPERSAMPLE), (left, top))
    picture.putalpha(alpha)
    return picture
