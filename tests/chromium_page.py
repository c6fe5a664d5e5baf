"""A person at the page, in Chromium: mouse and finger strokes on the pad, and what the page
shows read back (the answer, the bar chart), for the browser tests (tests/test_browser*.py)."""

from __future__ import annotations

import itertools
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.live_app import ROOT

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


def pad_box(page) -> dict:
    """The pad's canvas on screen, once the pad takes strokes. The page's components are in place
    before Gradio's loading overlay over the whole app goes (about half a second more): a stroke
    drawn then lands on the overlay, and the pad never sees it, so wait until the canvas is what
    a pointer at its centre would touch."""
    canvas = page.locator("#sketch canvas").first
    canvas.scroll_into_view_if_needed()
    page.wait_for_function(
        """() => { const canvas = document.querySelector('#sketch canvas');
          const box = canvas.getBoundingClientRect();
          return document.elementFromPoint(box.x + box.width / 2, box.y + box.height / 2) === canvas; }""",
        timeout=30_000,
    )
    return canvas.bounding_box()


def draw(page, strokes: list[list[tuple[float, float]]]) -> None:
    """Mouse strokes on the canvas; points are fractions of the canvas's width and height."""
    box = pad_box(page)
    for stroke in strokes:
        x, y = stroke[0]
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"])
        page.mouse.down()
        for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
            for step in range(1, 9):
                t = step / 8
                page.mouse.move(
                    box["x"] + (x0 + (x1 - x0) * t) * box["width"], box["y"] + (y0 + (y1 - y0) * t) * box["height"]
                )
        page.mouse.up()


def touch_draw(page, strokes: list[list[tuple[float, float]]]) -> None:
    """Finger strokes on the canvas, sent as real touch events through the DevTools protocol."""
    box = pad_box(page)
    cdp = page.context.new_cdp_session(page)

    def touch(kind: str, x: float, y: float) -> None:
        points = [] if kind == "touchEnd" else [{"x": box["x"] + x * box["width"], "y": box["y"] + y * box["height"]}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    for stroke in strokes:
        touch("touchStart", *stroke[0])
        for (x0, y0), (x1, y1) in itertools.pairwise(stroke):
            for step in range(1, 9):
                t = step / 8
                touch("touchMove", x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
        touch("touchEnd", 0, 0)
    cdp.detach()


def wait_for_digit(page, digit: str) -> None:
    """Wait for the answer to be ``digit``; when it does not come, fail saying what the page shows
    instead (with a screenshot in test-artifacts/)."""
    try:
        page.wait_for_function(
            f"() => document.querySelector('#result .result-digit')?.innerText === '{digit}'", timeout=20_000
        )
    except PlaywrightTimeoutError:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"no-answer-{digit}.png"), full_page=True)
        shows = page.evaluate(
            "() => ({result: document.querySelector('#result')?.innerText, "
            "pad: document.querySelector('#sketch .pad-hint')?.className, "
            "busy: document.querySelectorAll('.wrap.translucent, .wrap.generating').length})"
        )
        raise AssertionError(f"the page did not answer {digit} within 20 s; it shows {shows}") from None


def shown_digit(page) -> str:
    digit = page.locator("#result .result-digit")
    return digit.inner_text() if digit.count() else ""


# Gradio's status tracker, a ".wrap" inside each output, carries the class "translucent" while the
# output's event runs, with show_progress="hidden" too (Gradio 6.31). Counting its comings and
# goings tells a test when the page has answered a stroke, even when the answer looks the same
# as the one before (a short stroke over ink the model's 28x28 view already had).
WATCH_ANSWERS = """() => {
  window.answers = {started: 0, ended: 0};
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (!change.target.classList?.contains("wrap")) continue;
      const was = (change.oldValue || "").split(" ").includes("translucent");
      const is = change.target.classList.contains("translucent");
      if (is && !was) window.answers.started += 1;
      if (was && !is) window.answers.ended += 1;
    }
  }).observe(document.querySelector("#seen"), {attributes: true, attributeOldValue: true, subtree: true, attributeFilter: ["class"]});
}"""


def draw_pad_strokes(page, strokes, canvas: int) -> None:
    """Draw ``strokes`` (points in pad pixels of a ``canvas``-wide pad) on ``#sketch`` with the
    mouse, one stroke at a time, and wait for the page's answer to each. A stroke that leaves
    the pad's picture as it was sends nothing (the pad's value does not change): when no
    answer starts within a few seconds of it, the next stroke is drawn."""
    if not page.evaluate("() => Boolean(window.answers)"):
        page.evaluate(WATCH_ANSWERS)
    box = pad_box(page)
    at = lambda x, y: (box["x"] + x / canvas * box["width"], box["y"] + y / canvas * box["height"])
    for stroke in strokes:
        started = page.evaluate("() => window.answers.started")
        page.mouse.move(*at(*stroke[0]))
        page.mouse.down()
        for x, y in stroke[1:]:
            page.mouse.move(*at(x, y))
        page.mouse.up()
        try:
            page.wait_for_function("(n) => window.answers.started > n", arg=started, timeout=5_000)
        except PlaywrightTimeoutError:
            continue  # the stroke changed nothing the pad sends
        page.wait_for_function(
            "() => window.answers.ended >= window.answers.started && !document.querySelector('#seen .wrap.translucent')",
            timeout=30_000,
        )
