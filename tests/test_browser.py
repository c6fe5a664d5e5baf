"""A person at the page: draw with the mouse or a finger on the real drawing pad in headless
Chromium, watch the answer appear, switch the model, undo, clear. Screenshots go to test-artifacts/."""

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


def touch_draw(page, strokes: list[list[tuple[float, float]]]) -> None:
    """Finger strokes on the canvas, sent as real touch events through the DevTools protocol."""
    box = page.locator("#sketch canvas").first.bounding_box()
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    for stroke in strokes:
        touch("touchStart", *stroke[0])
        for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
            for step in range(1, 9):
                t = step / 8
                touch("touchMove", x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
        touch("touchEnd", 0, 0)
    cdp.detach()


def wait_for_digit(page, digit: str) -> None:
    page.wait_for_function(f"() => document.querySelector('#result .result-digit')?.innerText === '{digit}'", timeout=20_000)


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
    wait_for_digit(page, "7")
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

    # A slip of the pen turns the 7 into something else; Undo takes that stroke back.
    draw(page, [[(0.15, 0.9), (0.9, 0.9)], [(0.15, 0.1), (0.15, 0.9)]])
    page.wait_for_function("() => document.querySelector('#result .result-digit')?.innerText !== '7'", timeout=20_000)
    page.locator('#sketch button[aria-label="Undo"]').click()
    page.locator('#sketch button[aria-label="Undo"]').click()
    wait_for_digit(page, "7")

    # Clearing the canvas returns to the empty state: a prompt and an empty chart.
    page.locator('#sketch button[aria-label="Clear canvas"]').click()
    page.wait_for_function("() => document.querySelector('#result')?.innerText.includes('Draw a digit')", timeout=20_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#chart [aria-roledescription=\"bar\"]')].every(b => /v-?0(\\.0+)?h/.test(b.getAttribute('d')))",
        timeout=20_000,
    )
    page.screenshot(path=str(ARTIFACTS / f"browser-{width}-cleared.png"), full_page=True)
    page.close()


def test_a_finger_draws_on_a_phone_without_scrolling_the_page(browser, app_url):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True, locale="ko-KR")
    page = context.new_page()
    page.goto(app_url)
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#sketch .pad-hint')?.innerText.includes('그리세요')")
    page.locator("#sketch canvas").scroll_into_view_if_needed()
    scrolled = page.evaluate("() => window.scrollY")

    # A "1" with a flag and a foot, as many people write it: three finger strokes.
    touch_draw(page, [[(0.4, 0.3), (0.55, 0.15), (0.55, 0.85)], [(0.35, 0.85), (0.75, 0.85)]])
    wait_for_digit(page, "1")
    assert page.evaluate("() => window.scrollY") == scrolled  # the finger drew; it did not scroll
    assert page.locator("#sketch .pad-hint").is_hidden()
    page.screenshot(path=str(ARTIFACTS / "browser-phone-touch.png"), full_page=True)
    context.close()
