"""The answer where the eyes are: after a stroke, the pad, the answer and the ten-bar chart lie on
one screen, with no scrolling, on a 390x844 phone and a 1366x768 laptop, in English and in Korean.
In a class, the "what I meant" row is on the phone's screen with them, or the next thing under the
answer with the pad back in view after the tap. Screenshots go to test-artifacts/in-view-*.png."""

from __future__ import annotations

import pytest

from tests.chromium_page import ARTIFACTS, draw
from tests.live_app import GradioHTTP
from tests.live_app import start_class as start_class_over_http

pytestmark = pytest.mark.browser

SEVEN = [[(0.3, 0.25), (0.75, 0.25), (0.45, 0.85)]]
SCREENS = {"phone": (390, 844), "laptop": (1366, 768)}
BOX = "(selector) => { const b = document.querySelector(selector)?.getBoundingClientRect(); return b && [b.top, b.bottom, b.left, b.right]; }"


def box(page, selector: str) -> list[float]:
    found = page.evaluate(BOX, selector)
    assert found, f"nothing on the page matches {selector}"
    return found


def in_view(page, selector: str) -> bool:
    top, bottom, left, right = box(page, selector)
    width, height = page.viewport_size["width"], page.viewport_size["height"]
    return top >= 0 and left >= 0 and bottom <= height and right <= width


def drawn_page(browser, url: str, screen: str, locale: str):
    width, height = SCREENS[screen]
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale=locale, has_touch=screen == "phone"
    )
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    draw(page, SEVEN)
    page.wait_for_function("() => document.querySelector('#result .result-digit, #result [data-verdict]')")
    page.wait_for_function(
        "() => document.querySelectorAll('#chart [aria-roledescription=\"bar\"]').length === 10", timeout=20_000
    )
    page.wait_for_function("() => document.querySelector('#result [data-verdict=\"digit\"]')", timeout=20_000)
    return context, page


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
@pytest.mark.parametrize("screen", ["phone", "laptop"])
def test_out_of_a_class_the_pad_the_answer_and_the_chart_are_on_one_screen(browser, app_url, screen, locale):
    ARTIFACTS.mkdir(exist_ok=True)
    context, page = drawn_page(browser, app_url, screen, locale)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"in-view-{screen}-{locale}.png"))
    out = [s for s in ("#sketch canvas", "#result", "#chart") if not in_view(page, s)]
    assert not out, f"not on the screen: {out} " + str(
        {s: box(page, s) for s in ("#sketch canvas", "#result", "#chart")}
    )
    # The class row is one line, under the chart, until a code is given.
    assert not page.locator("#meant").is_visible()
    assert box(page, "#class-join")[0] >= box(page, "#chart")[1]
    # The model choice is on the same screen too, and switching it reads the drawing again.
    assert in_view(page, "#model")
    context.close()


@pytest.mark.parametrize("locale", ["en-US", "ko-KR"])
def test_in_a_class_the_digit_row_follows_the_answer_and_the_pad_comes_back(browser, app_url, locale):
    http = GradioHTTP(app_url)
    code = start_class_over_http(http, f"in-view-teacher-{locale}")["code"]
    http.close()
    context, page = drawn_page(browser, f"{app_url}?class={code}", "phone", locale)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"in-view-class-phone-{locale}.png"))
    assert page.locator("#meant").is_visible()
    together = all(in_view(page, s) for s in ("#sketch canvas", "#result", "#meant"))
    # Otherwise the row is the next thing under the answer, before the chart.
    next_after_answer = (
        box(page, "#meant")[0] >= box(page, "#result")[1] and box(page, "#meant")[1] <= box(page, "#chart")[0]
    )
    assert together or next_after_answer
    page.locator("#meant label", has_text="7").click()
    page.wait_for_function("() => /7/.test(document.querySelector('#meant-status').innerText)", timeout=20_000)
    page.wait_for_function(
        "() => { const b = document.querySelector('#sketch canvas').getBoundingClientRect();"
        " return b.top >= 0 && b.bottom <= window.innerHeight; }",
        timeout=10_000,
    )
    context.close()
