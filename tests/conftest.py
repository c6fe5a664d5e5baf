"""Shared fixtures. The real MNIST files are found through MNIST_DATA_DIR, the pen-drawn digits
through PENDIGITS_DIR, Omniglot's characters through OMNIGLOT_DIR, Quick, Draw!'s doodles through
QUICKDRAW_DIR (CI sets all four)."""

from __future__ import annotations

import base64
import gzip
import io
import os
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from mnist_models.classes.class_wall import Entry
from mnist_models.classes.store import ClassStore
from mnist_models.datasets.mnist import DATA_DIR_ENV, IMAGES_MAGIC, LABELS_MAGIC, load_split
from mnist_models.datasets.omniglot import OMNIGLOT_DIR_ENV, find_omniglot_file, load_omniglot
from mnist_models.datasets.pendigits import PENDIGITS_DIR_ENV, find_pen_file, load_pendigits, validation_set
from mnist_models.datasets.quickdraw import QUICKDRAW_DIR_ENV, load_quickdraw
from mnist_models.reading.classifier import Classifier
from mnist_models.reading.preprocess import preprocess
from tests import postgres_server


def _mnist_dir() -> Path | None:
    value = os.environ.get(DATA_DIR_ENV)
    return Path(value) if value and Path(value).is_dir() else None


def _pen_dir() -> Path | None:
    value = os.environ.get(PENDIGITS_DIR_ENV)
    return Path(value) if value and Path(value).is_dir() else None


def _omniglot_dir() -> Path | None:
    value = os.environ.get(OMNIGLOT_DIR_ENV)
    return Path(value) if value and Path(value).is_dir() else None


def _quickdraw_dir() -> Path | None:
    value = os.environ.get(QUICKDRAW_DIR_ENV)
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
        if _omniglot_dir() is None:
            reasons["omniglot"] = (
                f"Omniglot's characters not found: set {OMNIGLOT_DIR_ENV} to the folder with omniglot-strokes-dev.zip"
            )
        if _quickdraw_dir() is None:
            reasons["quickdraw"] = (
                f"Quick, Draw!'s doodles not found: set {QUICKDRAW_DIR_ENV} to the folder with quickdraw-dev.ndjson.gz"
            )
        if not Path("/usr/bin/chromium").exists():
            reasons["browser"] = "no /usr/bin/chromium (apt-get install chromium)"
        if postgres_server.why_missing():
            reasons["postgres"] = postgres_server.why_missing()
        if shutil.which("haproxy") is None:
            reasons["haproxy"] = "no haproxy (apt-get install haproxy)"
        if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
            reasons["nginx"] = "no nginx (apt-get install nginx)"
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
def omniglot_data():
    find_omniglot_file(_omniglot_dir())  # says what is missing, with REQUIRE_ALL_TESTS set
    return load_omniglot(_omniglot_dir())


@pytest.fixture(scope="session")
def quickdraw_data():
    return load_quickdraw(_quickdraw_dir())  # says what is missing, with REQUIRE_ALL_TESTS set


@pytest.fixture(scope="session")
def pen_validation(pen_data):
    """The fixed validation set: writers 25-30 drawn on the pad, preprocessed as the app does."""
    return validation_set(pen_data)


@pytest.fixture
def store(tmp_path):
    """A server's classes, kept in a folder of the test's own."""
    return ClassStore(tmp_path / "classes")


def send_drawing(store: ClassStore, classifier: Classifier, code: str, value: str, label: object, page: str):
    """What the drawing page does with a tap on a digit: the class admits the page, both models
    read the drawing, and the store keeps it; the entry on the wall."""
    store.admit(code, page)
    return store.add_drawing(code, Entry.of_reading(classifier.read(value, source="pad"), value, label), page)


def teacher_key(room) -> dict:
    """A new class in ``room``'s store, and the key its teacher's browser would keep."""
    school_class, secret = room.store.start_class()
    return {"code": school_class.code, "secret": secret}


@pytest.fixture(scope="session")
def classifier():
    """The shipped models on the CPU, loaded as the app loads them."""
    return Classifier("cpu")


@pytest.fixture(scope="session")
def seven() -> np.ndarray:
    """A drawn 7 as the models read it: 28x28, ink 1.0 on paper 0.0; read-only, as tests share it."""
    image = preprocess(draw_digit(7))
    image.setflags(write=False)
    return image


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
def upload_folder(tmp_path, monkeypatch) -> Path:
    """A folder inside Gradio's upload folder (GRADIO_TEMP_DIR, set for the test): where the
    page and the API read uploaded files from, and nowhere else."""
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "uploads"))
    folder = tmp_path / "uploads" / "abc"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def drawn():
    return draw_digit


def as_array(image: Image.Image) -> np.ndarray:
    return np.asarray(image)


def png_bytes(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


# MNIST files, written small ---------------------------------------------------------------------


def write_idx(path: Path, array: np.ndarray, magic: int | None = None, compress: bool = False) -> Path:
    magic = magic if magic is not None else (IMAGES_MAGIC if array.ndim == 3 else LABELS_MAGIC)
    header = magic.to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(data))
    else:
        path.write_bytes(data)
    return path


def write_split(folder: Path, count: int, compress: bool, prefix: str = "t10k") -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=count, dtype=np.uint8)
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"{prefix}-images-idx3-ubyte", images, compress=compress)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte", labels, compress=compress)
    return images, labels


# What the drawing pad sends and the page shows ------------------------------------------------


def browser_request(language: str = "ko-KR,ko;q=0.9", session: str = "viewer"):
    """What an event sees of a browser (gr.Request): its language and its session."""
    from types import SimpleNamespace

    return SimpleNamespace(headers={"accept-language": language}, session_hash=session)


def pad_value(image: Image.Image) -> str:
    """What the drawing pad sends: its picture as a PNG data URL (black ink, transparent paper)."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(image)).decode("ascii")


def seen_picture(seen: str) -> np.ndarray:
    """The 28x28 picture inside the "what the model sees" HTML."""
    data = re.search(r'src="data:image/png;base64,([^"]+)"', seen).group(1)
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(data))))
