"""Two classes at work at once, in Chromium: two teachers start a class each, their students open
the link of their own class, draw and tap the digit they meant; each projector's wall shows its
own class's drawings without a reload, and never the other's. The QR code opens the drawing page
of the class. Screenshots go to test-artifacts/wall-*.png."""

from __future__ import annotations

import re
import time

import pytest

from tests.chromium_page import ARTIFACTS, draw
from tests.live_app import GradioHTTP
from tests.live_app import start_class as start_class_over_http

pytestmark = pytest.mark.browser

SEVEN = [[(0.3, 0.25), (0.75, 0.25), (0.45, 0.85)]]
DRAWINGS_PER_STUDENT = 5
PAD_IN_VIEW = """() => {
  const box = document.querySelector('#sketch canvas').getBoundingClientRect();
  return box.top >= 0 && box.bottom <= window.innerHeight;
}"""


def wall_count(page) -> int:
    return int(page.locator("#wall .wall-grid").get_attribute("data-count"))


def label(page, digit: int) -> None:
    """Draw, see the answer, tap ``digit``; tap again after a wait if the page was too fast. On a
    phone the digits are below the pad: once the drawing is sent, the pad must be back on screen."""
    draw(page, SEVEN)
    page.wait_for_function("() => document.querySelector('#result .result-digit')", timeout=20_000)
    for _ in range(10):
        page.locator("#meant label", has_text=str(digit)).click()  # scrolls the page down to it on a phone
        page.wait_for_function(
            "(d) => { const t = document.querySelector('#meant-status').innerText;"
            " return t.includes(`as ${d}.`) || t.includes('Too fast') || t.includes('from your network'); }",
            arg=digit,
            timeout=20_000,
        )
        status = page.locator("#meant-status").inner_text()
        if "Too fast" not in status and "from your network" not in status:
            # Sent: the pad is blank again for the next drawing.
            page.wait_for_function("() => !document.querySelector('#result .result-digit')", timeout=20_000)
            page.wait_for_function(PAD_IN_VIEW, timeout=10_000)
            return
        time.sleep(1.0)
    raise AssertionError("the wall never took the drawing")


def start_class(browser, app_url: str, name: str):
    """A teacher's projector: the classroom page, a class started; (context, page, join code)."""
    projector = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    classroom = projector.new_page()
    classroom.goto(app_url + "classroom")
    classroom.locator("#class-start").click(timeout=30_000)
    classroom.wait_for_selector("#class [data-code]", timeout=30_000)
    classroom.wait_for_selector("#wall .wall-grid", timeout=30_000)
    code = classroom.locator("#class [data-code]").get_attribute("data-code")
    classroom.locator("#class img.join-qr").screenshot(path=str(ARTIFACTS / f"wall-qr-{name}.png"))
    return projector, classroom, code


def join(browser, url: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US", has_touch=True)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    return context, page


def test_two_classes_drawing_at_once_each_see_their_own_drawings_alone(browser, app_url):
    import zxingcpp
    from PIL import Image

    ARTIFACTS.mkdir(exist_ok=True)
    classes = [start_class(browser, app_url, name) for name in ("first", "second")]
    students = []
    for (_, classroom, code), name in zip(classes, ("first", "second"), strict=True):
        # The QR code opens the drawing page of this class, at the address the classroom was opened at.
        [qr] = zxingcpp.read_barcodes(Image.open(ARTIFACTS / f"wall-qr-{name}.png"))
        assert qr.text == f"{app_url}?class={code}" == classroom.locator("#class .join-url").inner_text()
        for _ in range(2):
            context, page = join(browser, qr.text)
            page.wait_for_function(f"() => document.querySelector('#meant-status').innerText.includes('{code}')")
            students.append((context, page))
    assert classes[0][2] != classes[1][2]
    for round_ in range(DRAWINGS_PER_STUDENT):
        for n, (_, page) in enumerate(students):
            label(page, (round_ + 3 * n) % 10 if n < 2 else 7)  # the second class meant 7 every time
    students[0][1].screenshot(path=str(ARTIFACTS / "wall-student-phone.png"), full_page=True)

    total = 2 * DRAWINGS_PER_STUDENT
    for _, classroom, _ in classes:
        classroom.wait_for_function(
            "(n) => Number(document.querySelector('#wall .wall-grid')?.dataset.count) === n", arg=total, timeout=20_000
        )
        captions = classroom.locator("#wall .wall-card figcaption").all_inner_texts()
        assert len(captions) == total
        for caption in captions:
            assert re.fullmatch(
                r"\d\s*Softmax \d [✓✗](\s*· not a digit)?\s*MLP \d [✓✗](\s*· not a digit)?\s*#\d+", caption.strip()
            ), caption
        assert f"{total} drawings on the wall" in classroom.locator("#wall-figures").inner_text()
    labels = [
        set(c.locator("#wall .wall-card").evaluate_all("cs => cs.map(c => c.dataset.label)")) for _, c, _ in classes
    ]
    assert labels[1] == {"7"} and len(labels[0]) > 1  # nothing of one class on the other's wall
    first = classes[0][1]
    assert not first.locator("#wall-zip").is_visible()
    first.locator("#wall-export").click()
    first.locator("#wall-zip").wait_for(state="visible", timeout=20_000)
    first.screenshot(path=str(ARTIFACTS / "wall-classroom.png"), full_page=True)
    for context, _ in students:
        context.close()
    for projector, _, _ in classes:
        projector.close()


def test_a_keyboard_moves_along_the_digits_without_sending_and_enter_sends_the_one_in_focus(browser, app_url):
    """The row is a radio group, where an arrow key would check, and so send, the next digit:
    arrows only move the focus; Enter (or Space) sends the digit in focus."""
    http = GradioHTTP(app_url)
    code = start_class_over_http(http, "keyboard-teacher")["code"]  # as a teacher's page starts it
    http.close()
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto(f"{app_url}?class={code}")
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    draw(page, SEVEN)
    page.wait_for_function("() => document.querySelector('#result .result-digit')", timeout=20_000)
    page.wait_for_function("() => document.querySelector('#meant-status').innerText.trim()", timeout=20_000)
    before = page.locator("#meant-status").inner_text()  # how to join a class, said as the page opened
    page.locator("#meant input").first.focus()
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    focused = page.evaluate("() => document.activeElement.closest('label')?.innerText.trim()")
    assert focused == "7"
    assert page.locator("#meant input:checked").count() == 0
    time.sleep(1.0)  # a tap would have been answered by now
    assert page.locator("#meant-status").inner_text() == before
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => /as 7\\.|Too fast/.test(document.querySelector('#meant-status').innerText)",
        timeout=20_000,
    )
    page.close()
