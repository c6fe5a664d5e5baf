"""Shared fixtures. The real MNIST files are found through MNIST_DATA_DIR, the pen-drawn digits
through PENDIGITS_DIR (CI sets both)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from mnist_models.data import DATA_DIR_ENV, load_split
from mnist_models.pendigits import PENDIGITS_DIR_ENV, find_pen_file, load_pendigits, validation_set


def _mnist_dir() -> Path | None:
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value) if value and Path(value).is_dir() else None


def _pen_dir() -> Path | None:
    value = os.environ.get(PENDIGITS_DIR_ENV)
    return Path(value) if value and Path(value).is_dir() else None


def pytest_collection_modifyitems(config, items):
    """Skip what this machine cannot run, saying why. With REQUIRE_ALL_TESTS set (CI), a missing
    data set or browser fails instead of skipping; a missing GPU always skips (CI has none)."""
    reasons = {}
    if not os.environ.get("REQUIRE_ALL_TESTS"):
        if _mnist_dir() is None:
            reasons["mnist"] = f"MNIST not found: set {DATA_DIR_ENV} to a folder with the IDX files"
        if _pen_dir() is None:
            reasons["pendigits"] = (
                f"pen-drawn digits not found: set {PENDIGITS_DIR_ENV} to the folder with pendigits-orig.tra[.gz]"
            )
        if not Path("/usr/bin/chromium").exists():
            reasons["browser"] = "no /usr/bin/chromium (apt-get install chromium)"
    if not torch.cuda.is_available():
        reasons["cuda"] = "no CUDA GPU on this machine"
    for item in items:
        for marker, reason in reasons.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def mnist_test():
    return load_split("test", _mnist_dir(), download=False)


@pytest.fixture(scope="session")
def mnist_train():
    return load_split("train", _mnist_dir(), download=False)


@pytest.fixture(scope="session")
def pen_data():
    find_pen_file(_pen_dir())  # says what is missing, with REQUIRE_ALL_TESTS set
    return load_pendigits(_pen_dir())


@pytest.fixture(scope="session")
def pen_validation(pen_data):
    """The fixed validation set: writers 25-30 drawn on the pad, preprocessed as the app does."""
    return validation_set(pen_data)


def draw_digit(
    digit: int,
    canvas: int = 400,
    box: tuple[int, int, int, int] = (220, 60, 360, 330),
    width: int = 22,
    background: str = "transparent",
) -> Image.Image:
    """A hand-made stroke drawing of a 0, 1 or 7 inside ``box`` (left, top, right, bottom),
    off-centre by default - the kind of picture a person makes on the canvas."""
    mode, paper = ("RGBA", (0, 0, 0, 0)) if background == "transparent" else ("RGB", "white")
    image = Image.new(mode, (canvas, canvas), paper)
    draw = ImageDraw.Draw(image)
    ink = (0, 0, 0, 255) if mode == "RGBA" else "black"
    left, top, right, bottom = box
    if digit == 0:
        draw.ellipse(box, outline=ink, width=width)
    elif digit == 1:
        x = (left + right) // 2
        draw.line(
            [(x - (right - left) // 5, top + (bottom - top) // 8), (x, top), (x, bottom)],
            fill=ink,
            width=width,
            joint="curve",
        )
    elif digit == 7:
        draw.line(
            [(left, top), (right, top), (left + (right - left) // 3, bottom)], fill=ink, width=width, joint="curve"
        )
    else:
        raise ValueError("draw_digit draws 0, 1 and 7")
    return image


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, driven by Playwright (never a downloaded browser build)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def app_url():
    """The real app on a free loopback port, shared by the browser tests."""
    from tests.live_app import running_app

    with running_app() as url:
        yield url


@pytest.fixture
def drawn():
    return draw_digit


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image)
