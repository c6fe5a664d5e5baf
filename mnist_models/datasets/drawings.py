"""Synthetic "drawn on a canvas" digits, to test models on input that is not MNIST.

MNIST digits are size-normalised into a 20x20 box, centred by mass and written with a pen of
roughly constant width. People drawing in the browser do none of that: their digits are small
or huge, off-centre, thin or marker-thick, slanted, and written in several glyph styles. With
no handwriting data besides MNIST, we build such digits from stroke templates (several glyph
variants per digit) and vary every "hand" strongly: size, position, stroke width, rotation,
shear, aspect, wobble and where strokes start and end.

Images come out exactly as the app receives them: a transparent RGBA layer with black ink
(the Gradio sketchpad layer) or black ink on white RGB paper. Pure numpy + PIL.

A balanced, reproducible set of them and its contact sheet are test material, in
tests/drawn_digits.py (``python -m tests.drawn_digits --out /tmp/sheet.png``).
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

Point = tuple[float, float]
Stroke = list[Point]
Glyph = list[Stroke]

BACKGROUNDS = ("transparent", "white")

# Template coordinates: y grows downwards (as on screen), the glyph is 1 unit tall and about
# 0.6 wide (a "1" much less); the renderer rescales, so only proportions matter.


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, *, n: int = 40) -> Stroke:
    """Points on an ellipse from angle ``start`` to ``end`` (degrees; 0 = right, 90 = down)."""
    t = np.radians(np.linspace(start, end, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


def _spline(points: list[Point], n: int = 60) -> Stroke:
    """A smooth curve through ``points`` (Catmull-Rom), so curvy glyphs read as handwriting."""
    p = np.asarray(points, dtype=float)
    p = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])  # phantom ends keep the curve on them
    out = []
    per_segment = max(2, n // (len(points) - 1))
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        for t in np.linspace(0, 1, per_segment, endpoint=False):
            t2, t3 = t * t, t * t * t
            out.append(
                0.5
                * ((2 * p1) + (-p0 + p2) * t + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t2 + (-p0 + 3 * p1 - 3 * p2 + p3) * t3)
            )
    out.append(p[-2])
    return [(float(x), float(y)) for x, y in out]


DIGIT_STROKES: dict[int, list[Glyph]] = {
    0: [
        [_arc(0.3, 0.5, 0.29, 0.49, -90, 270, n=60)],  # closed ellipse
        [_arc(0.3, 0.5, 0.28, 0.49, -70, 255, n=60)],  # not quite closed at the top
        [_arc(0.3, 0.5, 0.27, 0.49, -120, 285, n=64)],  # pen overshoots the start
        [_arc(0.24, 0.5, 0.22, 0.49, -90, 270, n=60)],  # narrow
    ],
    1: [
        [[(0.1, 0.0), (0.1, 1.0)]],  # plain stroke
        [[(0.0, 0.24), (0.22, 0.0), (0.22, 1.0)]],  # with flag
        [[(0.05, 0.22), (0.25, 0.0), (0.25, 1.0)], [(0.02, 1.0), (0.48, 1.0)]],  # flag and base
    ],
    2: [
        # Swan neck down to a flat base.
        [
            _arc(0.3, 0.27, 0.27, 0.25, 195, 375, n=30)
            + _spline([(0.56, 0.35), (0.4, 0.6), (0.02, 0.98)], 20)[1:]
            + [(0.62, 0.98)]
        ],
        # Same, with the little loop where the neck meets the base.
        [
            _arc(0.3, 0.27, 0.27, 0.25, 195, 375, n=30)
            + _spline(
                [
                    (0.56, 0.35),
                    (0.35, 0.68),
                    (0.1, 0.92),
                    (0.03, 0.86),
                    (0.1, 0.8),
                    (0.2, 0.92),
                    (0.3, 0.98),
                    (0.62, 0.97),
                ],
                50,
            )[1:]
        ],
        # Rounder "2" with a curved back.
        [
            _spline([(0.04, 0.2), (0.25, 0.02), (0.52, 0.12), (0.5, 0.42), (0.2, 0.75), (0.03, 0.98)], 50)
            + [(0.6, 0.96)]
        ],
    ],
    3: [
        # Two bowls.
        [_arc(0.28, 0.25, 0.26, 0.23, 205, 450, n=36) + _arc(0.28, 0.73, 0.3, 0.26, -90, 155, n=36)[1:]],
        # Flat top, then one bowl.
        [[(0.05, 0.02), (0.56, 0.02), (0.24, 0.4)] + _arc(0.27, 0.7, 0.3, 0.29, -95, 155, n=40)[1:]],
        # Bowls drawn as separate strokes meeting in the middle.
        [_arc(0.28, 0.26, 0.25, 0.24, 200, 445, n=32), _arc(0.27, 0.73, 0.3, 0.26, -95, 160, n=36)],
    ],
    4: [
        # Open top: an "L" then the down-stroke.
        [[(0.1, 0.0), (0.05, 0.62), (0.62, 0.62)], [(0.45, 0.08), (0.45, 1.0)]],
        # Closed top: diagonal, cross bar, then the down-stroke through it.
        [[(0.46, 0.0), (0.02, 0.66), (0.64, 0.66)], [(0.46, 0.0), (0.46, 1.0)]],
        # Closed, in one stroke: down-stroke first, then back up and across.
        [[(0.48, 1.0), (0.48, 0.0), (0.02, 0.68), (0.62, 0.66)]],
    ],
    5: [
        # Stem and bowl in one stroke, flag added on top.
        [[(0.12, 0.02), (0.09, 0.44)] + _arc(0.31, 0.68, 0.28, 0.29, -128, 150, n=40), [(0.12, 0.02), (0.58, 0.02)]],
        # All in one stroke, starting from the flag's end.
        [[(0.58, 0.02), (0.12, 0.02), (0.09, 0.44)] + _arc(0.31, 0.68, 0.28, 0.29, -128, 150, n=40)],
        # Rounder bowl that almost closes.
        [[(0.14, 0.02), (0.1, 0.4)] + _arc(0.3, 0.67, 0.3, 0.3, -135, 140, n=40), [(0.14, 0.02), (0.6, 0.04)]],
    ],
    6: [
        # Curved stem into a loop.
        [
            _spline(
                [
                    (0.52, 0.02),
                    (0.24, 0.2),
                    (0.07, 0.52),
                    (0.1, 0.85),
                    (0.3, 0.99),
                    (0.52, 0.84),
                    (0.52, 0.62),
                    (0.3, 0.52),
                    (0.1, 0.66),
                ],
                70,
            )
        ],
        # Straight stem into a round loop.
        [[(0.48, 0.0), (0.1, 0.6)] + _arc(0.3, 0.75, 0.23, 0.24, 200, -155, n=40)],
    ],
    7: [
        [[(0.02, 0.03), (0.62, 0.03), (0.22, 1.0)]],
        [[(0.02, 0.03), (0.62, 0.03), (0.22, 1.0)], [(0.14, 0.54), (0.56, 0.52)]],  # crossbar
        [
            [(0.02, 0.14), (0.04, 0.03), (0.62, 0.03)] + _spline([(0.62, 0.03), (0.4, 0.45), (0.3, 1.0)], 20)[1:]
        ],  # hooked, curved stem
    ],
    8: [
        # Two loops stacked, separate strokes.
        [_arc(0.3, 0.25, 0.22, 0.24, -90, 270, n=40), _arc(0.3, 0.74, 0.28, 0.26, -90, 270, n=44)],
        # One stroke: an "S" down, then back up the other way.
        [
            _spline(
                [
                    (0.5, 0.1),
                    (0.3, 0.01),
                    (0.08, 0.16),
                    (0.18, 0.38),
                    (0.45, 0.58),
                    (0.55, 0.82),
                    (0.3, 0.99),
                    (0.05, 0.82),
                    (0.14, 0.58),
                    (0.42, 0.38),
                    (0.5, 0.18),
                    (0.44, 0.07),
                ],
                90,
            )
        ],
    ],
    9: [
        # Loop then straight tail.
        [_arc(0.3, 0.27, 0.26, 0.26, 10, -350, n=44) + [(0.55, 1.0)]],
        # Loop then curved tail.
        [
            _arc(0.3, 0.27, 0.26, 0.26, 10, -350, n=44)
            + _spline([(0.56, 0.32), (0.54, 0.7), (0.38, 0.96), (0.12, 0.94)], 24)[1:]
        ],
        # Loop drawn separately, stem down its right side.
        [_arc(0.28, 0.28, 0.25, 0.27, 0, 360, n=44), [(0.54, 0.05), (0.5, 1.0)]],
    ],
}


def _resample(stroke: Stroke, step: float = 0.02) -> np.ndarray:
    """Points every ``step`` along the stroke, so wobble bends straight lines too."""
    p = np.asarray(stroke, dtype=float)
    seg = np.linalg.norm(np.diff(p, axis=0), axis=1)
    s = np.concatenate([[0.0], np.cumsum(seg)])
    if s[-1] == 0:
        return p[:1]
    t = np.linspace(0, s[-1], max(2, int(np.ceil(s[-1] / step)) + 1))
    return np.column_stack([np.interp(t, s, p[:, 0]), np.interp(t, s, p[:, 1])])


def _hand(glyph: Glyph, rng: np.random.Generator) -> list[np.ndarray]:
    """Apply one writer's variation to a template, in template units (height ~1)."""
    strokes = [_resample(s) for s in glyph]

    # Strokes start and stop a little early or late; the shift fades along the stroke so the
    # middle keeps the template's shape (moving just the end point would put a kink there).
    jittered = []
    for i, p in enumerate(strokes):
        s = np.linspace(0, 1, len(p))[:, None]
        start, end = rng.normal(0, 0.03, 2), rng.normal(0, 0.03, 2)
        p = p + start * (1 - s) ** 2 + end * s**2
        if i > 0:  # lifting the pen and putting it back down is imprecise
            p = p + rng.normal(0, 0.015, 2)
        jittered.append(p)

    # Smooth wobble: a low-frequency displacement field, the same for all strokes so that
    # strokes that meet still meet; about one wave per glyph and ~1% of its height, as more
    # turns a "1" into a squiggle.
    waves = [(rng.uniform(-1.2, 1.2, 2), rng.uniform(0, 2 * np.pi), rng.uniform(0.003, 0.012)) for _ in range(4)]

    def wobble(p: np.ndarray) -> np.ndarray:
        d = np.zeros_like(p)
        for axis, (freq, phase, amp) in zip([0, 1, 0, 1], waves):
            d[:, axis] += amp * np.sin(2 * np.pi * (p @ freq) + phase)
        return p + d

    # Aspect, slant (shear) and rotation as one linear map about the glyph's centre. One lean
    # of at most 15 degrees is split between rotation (tilts horizontals too) and shear
    # (keeps them level); drawn independently the two add up to a 30-degree lean that
    # turns an open "4" into a stranger letter.
    aspect = np.exp(rng.uniform(-0.25, 0.15))  # narrower more often than wider, as people write
    lean = np.radians(rng.uniform(-15, 15))
    share = rng.uniform(0, 1)
    angle = share * lean
    shear = np.tan((1 - share) * lean)
    c, s_ = np.cos(angle), np.sin(angle)
    linear = np.array([[c, -s_], [s_, c]]) @ np.array([[1.0, -shear], [0.0, 1.0]]) @ np.diag([aspect, 1.0])
    centre = np.concatenate(jittered).mean(axis=0)
    return [(wobble(p) - centre) @ linear.T for p in jittered]


def _ink_mask(strokes: list[np.ndarray], width: float, size: int, supersample: int = 2) -> Image.Image:
    """Draw strokes (pixel coordinates) as an anti-aliased "L" mask, ink = 255, round caps/joins."""
    big = Image.new("L", (size * supersample, size * supersample), 0)
    draw = ImageDraw.Draw(big)
    w = width * supersample
    r = w / 2
    for p in strokes:
        pts = [(float(x) * supersample, float(y) * supersample) for x, y in p]
        if len(pts) > 1:
            draw.line(pts, fill=255, width=max(1, round(w)), joint="curve")
        # PIL's line has flat caps and its curve joints leave gaps at sharp corners; discs at
        # every point give the round pen tip a browser brush has.
        for x, y in pts:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=255)
    return big.resize((size, size), Image.BOX)


def _as_canvas(ink: Image.Image, background: str) -> Image.Image:
    """Turn an ink mask into what the app receives from the sketchpad."""
    if background == "transparent":
        # Browser canvases store transparent pixels as (0, 0, 0, 0); the ink is black and
        # lives entirely in alpha.
        black = Image.new("L", ink.size, 0)
        return Image.merge("RGBA", (black, black, black, ink))
    if background == "white":
        paper = Image.eval(ink, lambda v: 255 - v)
        return Image.merge("RGB", (paper, paper, paper))
    raise ValueError(f"background must be one of {BACKGROUNDS}, not {background!r}")


def render_digit(
    digit: int, rng: np.random.Generator, canvas: int = 400, background: str = "transparent"
) -> Image.Image:
    """Draw ``digit`` as one random person would on a ``canvas`` x ``canvas`` sketchpad."""
    if digit not in DIGIT_STROKES:
        raise ValueError(f"digit must be 0-9, not {digit!r}")
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {BACKGROUNDS}, not {background!r}")
    variants = DIGIT_STROKES[digit]
    strokes = _hand(variants[rng.integers(len(variants))], rng)

    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    span = np.maximum(hi - lo, 1e-6)
    height = rng.uniform(0.25, 0.9) * canvas
    # Pen width relative to the canvas (1% to a child's 7% marker), log-uniform so thin pens are
    # as common as thick ones, but capped at ~16% of the digit's height: thicker than that and
    # a small "8" is a blob that no person would call an 8 either.
    max_width = min(0.07 * canvas, 0.16 * height)
    min_width = min(0.01 * canvas, max_width)
    width = float(np.exp(rng.uniform(np.log(min_width), np.log(max_width))))
    # Half the pen plus 2 px: anti-aliasing and PIL's rounding of the line width spill ~1 px.
    margin = width / 2 + 2
    scale = height / span[1]
    scale = min(scale, (canvas - 2 * margin) / span[0], (canvas - 2 * margin) / span[1])
    size = span * scale
    # Anywhere the glyph fits: uniform placement makes clearly off-centre digits common.
    room = np.maximum(canvas - 2 * margin - size, 0)  # can round to -1e-14 when the glyph fills the canvas
    offset = margin + rng.uniform(0, 1, 2) * room
    placed = [(p - lo) * scale + offset for p in strokes]
    return _as_canvas(_ink_mask(placed, width, canvas), background)


def redraw_mnist(
    image28: np.ndarray, rng: np.random.Generator, canvas: int = 400, background: str = "transparent"
) -> Image.Image:
    """An MNIST digit (28x28 uint8, ink 255) as if drawn at a random size and place on the canvas.

    The digit's ink box is scaled smoothly to 30-90% of the canvas height, so the models see
    MNIST shapes with canvas-style size and position instead of MNIST's own normalisation.
    """
    image28 = np.asarray(image28)
    if image28.shape != (28, 28):
        raise ValueError(f"expected a 28x28 image, got shape {image28.shape}")
    if background not in BACKGROUNDS:
        raise ValueError(f"background must be one of {BACKGROUNDS}, not {background!r}")
    rows, cols = np.nonzero(image28 > 0)
    if len(rows) == 0:
        raise ValueError("the image has no ink")
    # Keep a pixel of paper around the ink so the upscaled edges fade instead of being cut.
    top, bottom = max(rows.min() - 1, 0), min(rows.max() + 2, 28)
    left, right = max(cols.min() - 1, 0), min(cols.max() + 2, 28)
    crop = Image.fromarray(image28[top:bottom, left:right].astype(np.uint8), mode="L")

    height = rng.uniform(0.3, 0.9) * canvas
    scale = min(height / crop.height, (canvas - 2) / crop.width, (canvas - 2) / crop.height)
    w, h = max(1, round(crop.width * scale)), max(1, round(crop.height * scale))
    big = crop.resize((w, h), Image.BICUBIC)
    ink = Image.new("L", (canvas, canvas), 0)
    ink.paste(big, (int(rng.integers(0, canvas - w + 1)), int(rng.integers(0, canvas - h + 1))))
    return _as_canvas(ink, background)
