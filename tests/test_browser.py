"""A person at the page: draw with the mouse or a finger on the real drawing pad in headless
Chromium, watch the answer appear, switch the model, undo, clear. Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from tests.chromium_page import ARTIFACTS, bars, draw, shown_digit, touch_draw, wait_for_digit

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_draw_switch_model_and_clear(browser, app_url, width):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="en-US")
    page.goto(app_url)
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    page.wait_for_function("() => document.querySelector('#result')?.innerText.includes('Draw a digit')")
    # The answer's live region stays in place as answers come, so screen readers read each one.
    page.evaluate("() => { document.querySelector('#result [aria-live=polite]').kept = true; }")

    # A "7", drawn off-centre towards the right, as a person would on a phone.
    draw(page, [[(0.45, 0.25), (0.85, 0.25), (0.6, 0.85)]])
    wait_for_digit(page, "7")
    assert page.evaluate("() => document.querySelector('#result [aria-live=polite]').kept") is True
    assert "The answer is 7" in page.locator("#result [aria-live=polite]").inner_text()
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

    # A slip of the pen turns the 7 into something else; Undo, then Ctrl+Z, take those strokes back.
    draw(page, [[(0.15, 0.9), (0.9, 0.9)], [(0.15, 0.1), (0.15, 0.9)]])
    page.wait_for_function("() => document.querySelector('#result .result-digit')?.innerText !== '7'", timeout=20_000)
    page.locator("#sketch .pad-undo").click()
    page.keyboard.press("Control+z")
    wait_for_digit(page, "7")

    # Clearing the canvas returns to the empty state: a prompt and an empty chart.
    page.locator("#sketch .pad-clear").click()
    page.wait_for_function(
        "() => document.querySelector('#result')?.innerText.includes('Draw a digit')", timeout=20_000
    )
    page.wait_for_function(
        "() => [...document.querySelectorAll('#chart [aria-roledescription=\"bar\"]')].every(b => /v-?0(\\.0+)?h/.test(b.getAttribute('d')))",
        timeout=20_000,
    )
    page.screenshot(path=str(ARTIFACTS / f"browser-{width}-cleared.png"), full_page=True)
    page.close()


def test_a_finger_draws_on_a_phone_without_scrolling_the_page(browser, app_url):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=3, is_mobile=True, has_touch=True, locale="ko-KR"
    )
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


def test_an_example_drawing_loads_on_the_pad_and_is_read_then_clears(browser, app_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto(app_url)
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    assert page.locator(".nav-holder").is_hidden()  # each page links to the other in its own words
    page.locator("#examples button", has_text="9").click()
    wait_for_digit(page, "9")
    # The pad shows the example (its hint is gone, Undo and Clear work on it) ...
    assert page.locator("#sketch .pad-hint").is_hidden()
    page.locator("#sketch .pad-clear").click()
    page.wait_for_function("() => document.querySelector('#result')?.innerText.includes('Draw a digit')")
    assert page.locator("#sketch .pad-hint").is_visible()
    # ... and drawing on it afterwards starts from a blank pad.
    draw(page, [[(0.45, 0.25), (0.85, 0.25), (0.6, 0.85)]])
    wait_for_digit(page, "7")
    page.close()
