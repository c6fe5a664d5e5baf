"""A person at the page: draw with the mouse on the real sketchpad in headless Chromium, watch the
answer appear, switch the model, clear the canvas. Screenshots go to test-artifacts/."""

from __future__ import annotations

import re

import pytest

from tests.live_app import ROOT

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "test-artifacts"


def bars(page) -> dict[int, tuple[str, float]]:
    """The bar chart as drawn: digit -> (kind, bar height in pixels), read from the chart's SVG."""
    result = {}
    for bar in page.locator('#chart [aria-roledescription="bar"]').all():
        label, path = bar.get_attribute("aria-label"), bar.get_attribute("d")
        digit = int(re.search(r":\s*(\d)", label).group(1))
        kind = re.search(r"kind: (\w+)", label).group(1)
        height = abs(float(re.search(r"v(-?[\d.]+)", path).group(1)))
        result[digit] = (kind, height)
    return result


def draw(page, strokes: list[list[tuple[float, float]]]) -> None:
    """Mouse strokes on the canvas; points are fractions of the canvas's width and height."""
    box = page.locator("#sketch canvas").first.bounding_box()
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for step in range(1, 9):
                t = step / 8
                page.mouse.move(box["x"] + (x0 + (x1 - x0) * t) * box["width"], box["y"] + (y0 + (y1 - y0) * t) * box["height"])
        page.mouse.up()


def shown_digit(page) -> str:
    digit = page.locator("#result .result-digit")
    return digit.inner_text() if digit.count() else ""


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_draw_switch_model_and_clear(browser, app_url, width):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="en-US")
    page.goto(app_url)
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#result')?.innerText.includes('Draw a digit')")

    # A "7", drawn off-centre towards the right, as a person would on a phone.
    draw(page, [[(0.45, 0.25), (0.85, 0.25), (0.6, 0.85)]])
    page.wait_for_function("() => document.querySelector('#result .result-digit')?.innerText === '7'", timeout=20_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#chart [aria-roledescription=\"bar\"]')]"
        ".some(b => /: 7; kind: prediction/.test(b.getAttribute('aria-label')))",
        timeout=20_000,
    )
    mlp_bars = bars(page)
    assert mlp_bars[7][0] == "prediction"
    assert mlp_bars[7][1] == max(height for _, height in mlp_bars.values()) > 0
    assert page.locator("#seen img").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"browser-{width}-mlp.png"), full_page=True)

    # Another model answers for the same drawing: the chart is redrawn with its probabilities.
    before = [bar.get_attribute("d") for bar in page.locator('#chart [aria-roledescription="bar"]').all()]
    page.get_by_label("Softmax regression").check()
    page.wait_for_function(
        "(before) => { const now = [...document.querySelectorAll('#chart [aria-roledescription=\"bar\"]')]"
        ".map(b => b.getAttribute('d')); return now.length === 10 && JSON.stringify(now) !== JSON.stringify(before); }",
        arg=before,
        timeout=20_000,
    )
    softmax_bars = bars(page)
    assert softmax_bars != mlp_bars
    assert softmax_bars[int(shown_digit(page))][0] == "prediction"
    page.screenshot(path=str(ARTIFACTS / f"browser-{width}-softmax.png"), full_page=True)

    # Clearing the canvas returns to the empty state: a prompt and an empty chart.
    page.locator('#sketch button[aria-label="Clear canvas"]').click()
    page.wait_for_function("() => document.querySelector('#result')?.innerText.includes('Draw a digit')", timeout=20_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#chart [aria-roledescription=\"bar\"]')].every(b => /v-?0(\\.0+)?h/.test(b.getAttribute('d')))",
        timeout=20_000,
    )
    page.screenshot(path=str(ARTIFACTS / f"browser-{width}-cleared.png"), full_page=True)
    page.close()
