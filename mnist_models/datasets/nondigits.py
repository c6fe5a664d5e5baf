"""Generated drawings that are not digits: font letters, shapes and scribbles, as the pad draws them.

What children draw on the pad when they are not writing a digit: smileys, stars, hearts, houses,
scribbles, letters. Shapes are made as pen strokes, given a hand's unevenness and drawn with the
pad's own pen (``pad.render_strokes``); letters come from the fonts that ship with matplotlib.
Anything that reads as a digit is left out (a plain circle is a 0, a lone bar a 1, an O, an S, a
Z), because a model must never be taught that a drawn digit is "not a digit".

Picture number ``i`` of a seed is the same whatever the count asked for, so sets are reproducible
and grow without changing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

import matplotlib
import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from mnist_models.datasets.omniglot import height_for_size
from mnist_models.datasets.pendigits import HEIGHT_RANGE, place_strokes_on_pad
from mnist_models.pad import CANVAS, render_strokes
from mnist_models.reading.preprocess import DrawingError, preprocess

# Greek is left out: it is one of Omniglot's validation alphabets, and letters of it here would
# let the validation measure characters the model was taught.
LATIN_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CYRILLIC_LETTERS = "АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯабвгдеёжзийклмнопрстуфхцчшщъыьэюя"
# Letters that look like a digit in some font or hand, decided by looking at them all rendered.
DIGIT_LIKE_LETTERS = frozenset("BDGIJOQSZbgijloqsz" + "БВЗОЧЪЬЭбвдзочъьэ")
LETTERS = {
    "latin letter": "".join(c for c in LATIN_LETTERS if c not in DIGIT_LIKE_LETTERS),
    "cyrillic letter": "".join(c for c in CYRILLIC_LETTERS if c not in DIGIT_LIKE_LETTERS),
}
# Sans and serif, regular, bold and slanted: the range of letter shapes a model should meet.
FONT_FILES = (
    "DejaVuSans.ttf",
    "DejaVuSans-Bold.ttf",
    "DejaVuSans-Oblique.ttf",
    "DejaVuSerif.ttf",
    "DejaVuSerif-Bold.ttf",
    "DejaVuSerif-Italic.ttf",
    "DejaVuSansMono.ttf",
    "DejaVuSansMono-Bold.ttf",
)
FONT_POINTS = 200  # rendered large, then scaled down to the size drawn: smooth edges at every size
MAX_ROTATION = 20  # degrees either way: a letter written on a slant, not upside down
MAX_SHEAR = 0.25


def font_folder() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


@cache
def font(name: str) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_folder() / name), FONT_POINTS)


def letter_glyph(letter: str, font_name: str, angle: float, shear: float) -> Image.Image:
    """``letter`` in ``font_name``, large, sheared by ``shear`` and turned ``angle`` degrees clockwise,
    as an ink map ("L", 255 full ink) with room around it for any turn and shear up to
    MAX_ROTATION and MAX_SHEAR."""
    face = font(font_name)
    left, top, right, bottom = face.getbbox(letter, anchor="mm")
    # Room for the glyph turned and sheared, and no more: a larger picture costs time to transform.
    side = int(1.6 * max(right - left, bottom - top)) + 8
    glyph = Image.new("L", (side, side), 0)
    # The ink's centre at the picture's centre (a letter's anchor is its line's middle, not its ink's).
    origin = (side / 2 - (left + right) / 2, side / 2 - (top + bottom) / 2)
    ImageDraw.Draw(glyph).text(origin, letter, fill=255, font=face, anchor="mm")
    # The inverse map (output pixel -> glyph pixel) of a shear then a rotation about the centre.
    cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    a, b, d, e = cos, sin - shear * cos, -sin, cos + shear * sin
    centre = side / 2
    c, f = centre - a * centre - b * centre, centre - d * centre - e * centre
    return glyph.transform(glyph.size, Image.Transform.AFFINE, (a, b, c, d, e, f), Image.Resampling.BICUBIC)


def letter_picture(letter: str, font_name: str, size: float, rng: np.random.Generator) -> Image.Image:
    """``letter`` in ``font_name`` as the pad's picture: black on transparent, the ink in alpha, its
    longer side ``size`` of the canvas, on a slant and sheared a little, at a random place."""
    angle, shear = rng.uniform(-MAX_ROTATION, MAX_ROTATION), rng.uniform(-MAX_SHEAR, MAX_SHEAR)
    glyph = letter_glyph(letter, font_name, angle, shear)
    glyph = glyph.crop(glyph.getbbox())
    scale = size * CANVAS / max(glyph.size)
    width, height = max(1, round(glyph.width * scale)), max(1, round(glyph.height * scale))
    glyph = glyph.resize((width, height), Image.Resampling.LANCZOS)
    alpha = Image.new("L", (CANVAS, CANVAS), 0)
    alpha.paste(glyph, (int(rng.integers(0, CANVAS - width + 1)), int(rng.integers(0, CANVAS - height + 1))))
    picture = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    picture.putalpha(alpha)
    return picture


# Shapes, as strokes of (x, y) points with y up, about a unit across --------------------------


def arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, *, points: int = 24) -> np.ndarray:
    """Points along an ellipse's arc from angle ``start`` to ``end`` (radians, anticlockwise)."""
    t = np.linspace(start, end, points)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def polyline(*points: tuple[float, float]) -> np.ndarray:
    return np.array(points, dtype=np.float64)


def smiley(rng: np.random.Generator) -> list[np.ndarray]:
    # The face starts anywhere on its circle, and a hand often overshoots the start a little.
    start = rng.uniform(0, 2 * np.pi)
    face = arc(0, 0, 1, rng.uniform(0.9, 1.1), start, start + 2 * np.pi + rng.uniform(0, 0.4), points=40)
    eye_y, eye_x = rng.uniform(0.25, 0.4), rng.uniform(0.3, 0.45)
    if rng.uniform() < 0.5:  # eyes as taps
        eyes = [polyline((-eye_x, eye_y)), polyline((eye_x, eye_y))]
    else:  # eyes as short strokes
        length = rng.uniform(0.1, 0.2)
        eyes = [polyline((x, eye_y + length / 2), (x, eye_y - length / 2)) for x in (-eye_x, eye_x)]
    width, depth = rng.uniform(0.4, 0.6), rng.uniform(0.2, 0.4)
    mouth = arc(0, -0.2, width, depth, np.pi * 1.15, np.pi * 1.85, points=12)
    return [face, *eyes, mouth]


def star(rng: np.random.Generator) -> list[np.ndarray]:
    # A five-pointed star in one stroke: every second point of five, back to the first.
    angles = np.pi / 2 + np.arange(6) * 4 * np.pi / 5
    return [np.stack([np.cos(angles), np.sin(angles)], 1)]


def heart(rng: np.random.Generator) -> list[np.ndarray]:
    t = np.linspace(0, 2 * np.pi, 40)
    x = 16 * np.sin(t) ** 3
    y = 13 * np.cos(t) - 5 * np.cos(2 * t) - 2 * np.cos(3 * t) - np.cos(4 * t)
    return [np.stack([x, y], 1) / 16]


def cross(rng: np.random.Generator) -> list[np.ndarray]:
    # An X; the caller's rotation sometimes stands it up as a +.
    spread = rng.uniform(0.6, 1.0)
    return [polyline((-spread, 1), (spread, -1)), polyline((spread, 1), (-spread, -1))]


def triangle(rng: np.random.Generator) -> list[np.ndarray]:
    apex = rng.uniform(-0.3, 0.3)
    return [polyline((apex, 1), (1, -0.7), (-1, -0.7), (apex, 1))]


def square(rng: np.random.Generator) -> list[np.ndarray]:
    height = rng.uniform(0.8, 1.2)
    return [polyline((-1, height), (1, height), (1, -height), (-1, -height), (-1, height))]


def house(rng: np.random.Generator) -> list[np.ndarray]:
    roof = rng.uniform(0.4, 0.8)
    walls = polyline((-1, 0), (-1, -1.2), (1, -1.2), (1, 0), (-1, 0))
    top = polyline((-1.1, 0), (0, roof), (1.1, 0))
    door = polyline((-0.2, -1.2), (-0.2, -0.6), (0.2, -0.6), (0.2, -1.2))
    return [walls, top, door] if rng.uniform() < 0.5 else [walls, top]


def arrow(rng: np.random.Generator) -> list[np.ndarray]:
    # Pointing left or right: drawn upright, an arrow's head and shaft read as a 1 or a 7.
    head = rng.uniform(0.25, 0.45)
    direction = rng.choice([-1.0, 1.0])
    shaft = polyline((-direction, 0), (direction, 0))
    tip = polyline((direction * (1 - head), head), (direction, 0), (direction * (1 - head), -head))
    return [shaft, tip]


def spiral(rng: np.random.Generator) -> list[np.ndarray]:
    # Enough turns that it cannot pass for a 0, a 6 or a 9, few enough that the pen's lines do not
    # run together at the sizes it is drawn at (LARGE_SIZES).
    turns = rng.uniform(2.2, 3)
    t = np.linspace(0, turns * 2 * np.pi, int(turns * 30))
    radius = t / t[-1]
    return [np.stack([radius * np.cos(t), radius * np.sin(t)], 1)]


def sun(rng: np.random.Generator) -> list[np.ndarray]:
    """A disc with rays, or a flower: a centre with petals around it."""
    rays = int(rng.integers(6, 11))
    centre = rng.uniform(0.35, 0.5)
    strokes = [arc(0, 0, centre, centre, 0, 2 * np.pi, points=24)]
    for angle in np.arange(rays) * 2 * np.pi / rays + rng.uniform(0, np.pi):
        direction = np.array([np.cos(angle), np.sin(angle)])
        if rng.uniform() < 0.5:  # ray
            strokes.append(np.stack([direction * (centre + 0.15), direction]))
        else:  # petal: a narrow loop out and back
            t = np.linspace(0, np.pi, 10)
            across = np.array([-direction[1], direction[0]])
            along = centre + (1 - centre) * np.sin(t)
            strokes.append(direction * along[:, None] + across * (0.5 - t[:, None] / np.pi) * 0.35 * np.sin(t)[:, None])
    return strokes


def cloud(rng: np.random.Generator) -> list[np.ndarray]:
    """A bumpy blob of arcs, with rain falling from it."""
    bumps = int(rng.integers(4, 7))
    outline = []
    for k in range(bumps):
        a0, a1 = 2 * np.pi * k / bumps, 2 * np.pi * (k + 1) / bumps
        mid = (a0 + a1) / 2
        bump = 2 * np.pi / bumps
        cx, cy = 0.8 * np.cos(mid), 0.45 * np.sin(mid)
        radius = 0.35 + 0.5 * np.sin(bump / 2)
        outline.append(arc(cx, cy, radius * 0.8, radius * 0.6, mid - 1.3, mid + 1.3, points=10))
    strokes = [np.concatenate(outline)]
    for x in np.linspace(-0.6, 0.6, int(rng.integers(2, 5))):
        top = -0.6 - rng.uniform(0, 0.1)
        strokes.append(polyline((x, top), (x - 0.12, top - rng.uniform(0.3, 0.5))))
    return strokes


def scribble(rng: np.random.Generator) -> list[np.ndarray]:
    """A jittery line of many random segments back and forth across a patch of the pad."""
    segments = int(rng.integers(10, 20))
    aspect = rng.uniform(0.4, 1.0)
    return [rng.uniform(-1, 1, (segments + 1, 2)) * (1.0, aspect)]


def zigzag(rng: np.random.Generator) -> list[np.ndarray]:
    # Four or more teeth: two would be a Z, a 2 or a 7.
    teeth = int(rng.integers(4, 9))
    x = np.linspace(-1, 1, teeth + 1)
    y = np.where(np.arange(teeth + 1) % 2 == 0, -1, 1) * rng.uniform(0.2, 0.5)
    return [np.stack([x, y], 1)]


def check_mark(rng: np.random.Generator) -> list[np.ndarray]:
    bottom = rng.uniform(-0.5, -0.2)
    return [polyline((-1, 0), (bottom, -0.8), (1, 1))]


def short_strokes(rng: np.random.Generator) -> list[np.ndarray]:
    """Several short dashes and ticks scattered about, as a child taps and dabs."""
    strokes = []
    for _ in range(int(rng.integers(4, 10))):
        start = rng.uniform(-1, 1, 2)
        angle = rng.uniform(0, 2 * np.pi)
        strokes.append(np.stack([start, start + rng.uniform(0.1, 0.4) * np.array([np.cos(angle), np.sin(angle)])]))
    return strokes


# Shapes with small parts are drawn large, as children draw them: small, the pen fills them in.
LARGE_SIZES = (0.55, HEIGHT_RANGE[1])
LARGE_SHAPES = frozenset({"smiley", "spiral", "house", "sun", "cloud", "scribble"})
# What each shape may be turned by, in degrees either way: a symmetric shape any way round, an
# arrow or a check only a little, so that it never stands up like a 1 or a 7.
SHAPES: dict[str, tuple[Callable[[np.random.Generator], list[np.ndarray]], float]] = {
    "smiley": (smiley, 30),
    "star": (star, 180),
    "heart": (heart, 25),
    "cross": (cross, 60),
    "triangle": (triangle, 30),
    "square": (square, 30),
    "house": (house, 15),
    "arrow": (arrow, 25),
    "spiral": (spiral, 180),
    "sun": (sun, 180),
    "cloud": (cloud, 20),
    "scribble": (scribble, 180),
    "zigzag": (zigzag, 20),
    "check mark": (check_mark, 20),
    "short strokes": (short_strokes, 180),
}
KINDS = (*SHAPES, *LETTERS)


def hand_drawn(strokes: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """``strokes`` as a hand draws them: points a few hundredths of the shape's size apart, a slow
    wobble along each stroke and a small tremor, and each stroke a little off where it belongs."""
    drawn = []
    for stroke in strokes:
        if len(stroke) > 1:
            steps = np.hypot(*np.diff(stroke, axis=0).T)
            along = np.concatenate([[0.0], np.cumsum(steps)])
            t = np.linspace(0, along[-1], max(2, int(along[-1] / 0.06)))
            stroke = np.stack([np.interp(t, along, stroke[:, 0]), np.interp(t, along, stroke[:, 1])], 1)
            # A random walk smoothed over a few points: a wobble, not a jitter.
            walk = np.cumsum(rng.normal(0, 0.012, stroke.shape), 0)
            kernel = np.ones(min(5, len(stroke))) / min(5, len(stroke))
            wobble = np.stack([np.convolve(walk[:, k], kernel, "same") for k in range(2)], 1)
            stroke = stroke + wobble - wobble.mean(0)
        drawn.append(stroke + rng.normal(0, 0.006, stroke.shape) + rng.normal(0, 0.03, 2))
    return drawn


def shape_strokes(kind: str, rng: np.random.Generator) -> list[np.ndarray]:
    """A ``kind`` of shape in pad pixels (y down): made, turned, stretched a little and drawn by
    hand, its longer side a size people draw at, at a random place where all of it fits."""
    make, turn = SHAPES[kind]
    strokes = make(rng)
    angle = np.radians(rng.uniform(-turn, turn))
    stretch = np.diag(rng.uniform(0.8, 1.2, 2))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    strokes = hand_drawn([stroke @ (rotation @ stretch).T for stroke in strokes], rng)
    size = rng.uniform(*(LARGE_SIZES if kind in LARGE_SHAPES else HEIGHT_RANGE))
    return place_strokes_on_pad(tuple(strokes), height_for_size(tuple(strokes), size), rng)


def generated_picture(kind: str, rng: np.random.Generator) -> Image.Image:
    """The pad's picture of one ``kind`` (a key of SHAPES or LETTERS)."""
    if kind in LETTERS:
        letters = LETTERS[kind]
        letter = letters[int(rng.integers(len(letters)))]
        font_name = FONT_FILES[int(rng.integers(len(FONT_FILES)))]
        return letter_picture(letter, font_name, rng.uniform(*HEIGHT_RANGE), rng)
    return render_strokes(shape_strokes(kind, rng))


def generated_pictures(count: int, seed: int) -> list[Image.Image]:
    """``count`` pictures, the kinds taken in turn; picture ``i`` is seeded by ``seed`` and ``i`` alone."""
    return [generated_picture(KINDS[i % len(KINDS)], np.random.default_rng([seed, i])) for i in range(count)]


def generated_images(count: int, seed: int) -> torch.Tensor:
    """``generated_pictures(count, seed)`` preprocessed as the app does: (N, 1, 28, 28) float32,
    ink 1.0. A picture the app would refuse is left out (none is expected)."""
    images = []
    for picture in generated_pictures(count, seed):
        try:
            images.append(preprocess(picture))
        except DrawingError:
            continue
    stacked = np.stack(images) if images else np.zeros((0, 28, 28), np.float32)
    return torch.from_numpy(stacked).unsqueeze(1)


def load_stroke_drawings(path: str | Path) -> list[tuple[str, Image.Image]]:
    """Drawings kept as strokes in a JSON file (a list of ``{"kind", "strokes"}``, points as
    fractions of the pad's side, y down), as (kind, the pad's picture)."""
    drawings = []
    for drawing in json.loads(Path(path).read_text()):
        strokes = [[(x * CANVAS, y * CANVAS) for x, y in stroke] for stroke in drawing["strokes"]]
        drawings.append((drawing["kind"], render_strokes(strokes)))
    return drawings
