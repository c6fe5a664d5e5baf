"""A class at work, in Chromium: two students draw and tap the digit they meant; the drawings appear
on the projector's classroom page without a reload, and the QR code there opens the drawing page.
Screenshots go to test-artifacts/wall-*.png."""

from __future__ import annotations

import re
import time

import pytest

from tests.conftest import ARTIFACTS, draw

pytestmark = pytest.mark.browser

SEVEN = [[(0.3, 0.25), (0.75, 0.25), (0.45, 0.85)]]
DRAWINGS_PER_STUDENT = 10
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
            " return t.includes(`as ${d}.`) || t.includes('Too fast'); }",
            arg=digit,
            timeout=20_000,
        )
        if "Too fast" not in page.locator("#meant-status").inner_text():
            # Sent: the pad is blank again for the next drawing.
            page.wait_for_function("() => !document.querySelector('#result .result-digit')", timeout=20_000)
            page.wait_for_function(PAD_IN_VIEW, timeout=10_000)
            return
        time.sleep(1.0)
    raise AssertionError("the wall never took the drawing")


def test_labelled_drawings_from_two_students_appear_on_the_wall_without_a_reload(browser, app_url):
    import zxingcpp
    from PIL import Image

    ARTIFACTS.mkdir(exist_ok=True)
    projector = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-US")
    classroom = projector.new_page()
    classroom.goto(app_url + "classroom")
    classroom.wait_for_selector("#wall .wall-grid", timeout=30_000)
    start = wall_count(classroom)
    classroom.wait_for_selector("#join img.join-qr", timeout=30_000)

    # The QR code opens the drawing page at the address the classroom page was opened at.
    qr = classroom.locator("#join img.join-qr")
    qr.screenshot(path=str(ARTIFACTS / "wall-qr.png"))
    [code] = zxingcpp.read_barcodes(Image.open(ARTIFACTS / "wall-qr.png"))
    assert code.text == app_url
    assert classroom.locator("#join .join-url").inner_text() == app_url

    students = []
    for n in range(2):
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-US", has_touch=True)
        page = context.new_page()
        page.goto(app_url)
        page.wait_for_selector("#sketch canvas", timeout=30_000)
        assert "Nothing is sent to the wall until you tap" in page.locator("#meant").inner_text()
        students.append((context, page))
    for round_ in range(DRAWINGS_PER_STUDENT):
        for n, (_, page) in enumerate(students):
            label(page, (round_ + 5 * n) % 10)
    students[0][1].screenshot(path=str(ARTIFACTS / "wall-student-phone.png"), full_page=True)

    total = start + 2 * DRAWINGS_PER_STUDENT
    classroom.wait_for_function(
        "(n) => Number(document.querySelector('#wall .wall-grid')?.dataset.count) === n", arg=total, timeout=20_000
    )
    cards = classroom.locator("#wall .wall-card")
    assert cards.count() == total
    for caption in cards.locator("figcaption").all_inner_texts()[: 2 * DRAWINGS_PER_STUDENT]:
        assert re.fullmatch(
            r"\d\s*Softmax \d [✓✗](\s*· not a digit)?\s*MLP \d [✓✗](\s*· not a digit)?", caption.strip()
        ), caption
    figures = classroom.locator("#wall-figures").inner_text()
    assert f"{total} drawings on the wall" in figures
    # The ZIP box shows once there is a ZIP in it.
    assert not classroom.locator("#wall-zip").is_visible()
    classroom.locator("#wall-export").click()
    classroom.locator("#wall-zip a").first.wait_for(timeout=20_000)
    assert classroom.locator("#wall-zip").is_visible()
    classroom.screenshot(path=str(ARTIFACTS / "wall-classroom.png"), full_page=True)
    for context, _ in students:
        context.close()
    projector.close()


def test_a_keyboard_moves_along_the_digits_without_sending_and_enter_sends_the_one_in_focus(browser, app_url):
    """The row is a radio group, where an arrow key would check, and so send, the next digit:
    arrows only move the focus; Enter (or Space) sends the digit in focus."""
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto(app_url)
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    draw(page, SEVEN)
    page.wait_for_function("() => document.querySelector('#result .result-digit')", timeout=20_000)
    page.locator("#meant input").first.focus()
    for _ in range(7):
        page.keyboard.press("ArrowRight")
    focused = page.evaluate("() => document.activeElement.closest('label')?.innerText.trim()")
    assert focused == "7"
    assert page.locator("#meant input:checked").count() == 0
    time.sleep(1.0)  # a tap would have been answered by now
    assert page.locator("#meant-status").inner_text().strip() == ""
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => /as 7\\.|Too fast/.test(document.querySelector('#meant-status').innerText)", timeout=20_000
    )
    page.close()
