"""Real people's digits drawn on the real page: the validation writers' pen strokes replayed as
mouse strokes on the drawing pad in headless Chromium, read from the page's answer - the whole
path a drawing takes (pad -> event -> preprocessing -> model -> page)."""

from __future__ import annotations

import pytest

from mnist_models.datasets.pendigits import VALIDATION_RENDERINGS, VALIDATION_SEED, VALIDATION_WRITERS, pad_strokes
from mnist_models.pad import CANVAS, render_strokes
from mnist_models.reading.classifier import Classifier
from tests.chromium_page import ARTIFACTS, draw_pad_strokes

pytestmark = [pytest.mark.browser, pytest.mark.pendigits]

PER_DIGIT = 4
# The MLP reads nearly all of the validation writers' digits (its target is in tests/test_accuracy.py);
# digits drawn by mouse may miss a few more than that, but not many.
FLOOR = 0.9


def chosen_digits(pen_data):
    """PER_DIGIT digits of each label, the first of a different validation writer each time
    (writers rotate with the label, so all six appear); fixed by the file, not picked by result."""
    chosen = []
    for label in range(10):
        for j in range(PER_DIGIT):
            writer = VALIDATION_WRITERS[(label + j) % len(VALIDATION_WRITERS)]
            chosen.append(next(d for d in pen_data.digits if d.writer == writer and d.label == label))
    return chosen


def test_validation_writers_digits_drawn_with_the_mouse_are_read_on_the_page(browser, app_url, pen_data):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto(app_url)
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#result')?.innerText.includes('Draw a digit')")
    classifier = Classifier("cpu")

    read, offline, labels = [], [], []
    for n, digit in enumerate(chosen_digits(pen_data)):
        # The size and place of one of its renderings in the validation set.
        strokes = pad_strokes(digit, VALIDATION_SEED, n % VALIDATION_RENDERINGS, VALIDATION_RENDERINGS)
        draw_pad_strokes(page, strokes, CANVAS)  # each stroke sends the drawing: its answer is waited for
        shown = page.locator("#result .result-digit")
        read.append(int(shown.inner_text()) if shown.count() else -1)  # -1: the page took it for no digit
        offline.append(classifier.read(render_strokes(strokes), ["mlp"], source="image")["mlp"].digit)
        labels.append(digit.label)
        if n == 0:
            page.screenshot(path=str(ARTIFACTS / "browser-pen-digit.png"), full_page=True)
        page.locator("#sketch .pad-clear").click()
        page.wait_for_function(
            "() => document.querySelector('#result')?.innerText.includes('Draw a digit')", timeout=20_000
        )
    page.close()

    accuracy = sum(r == t for r, t in zip(read, labels)) / len(labels)
    agreement = sum(r == o for r, o in zip(read, offline)) / len(labels)
    misses = [(t, r) for r, t in zip(read, labels) if r != t]
    print(
        f"page read {accuracy:.0%} of {len(labels)} pen digits; agreed with the offline renderer on {agreement:.0%}; misses (true, read): {misses}"
    )
    assert len(labels) >= 30
    assert accuracy >= FLOOR, misses
    # The renderer draws what the pad draws: the page and the offline path mostly agree.
    assert agreement >= 0.9
