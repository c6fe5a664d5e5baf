"""A person at the page with a photo of a digit on paper: open "a photo", pick the file (the
phone's camera offers itself for the same input), read the answer; switch the model; draw."""

from __future__ import annotations

import pytest

from tests.chromium_page import ARTIFACTS, draw, wait_for_digit
from tests.test_photo import seven_photo

pytestmark = pytest.mark.browser

SPOKEN = "() => document.querySelector('#result [aria-live=polite]')?.innerText || ''"


@pytest.mark.parametrize(
    "width, locale, title", [(1280, "en-US", "a photo of a digit on paper"), (390, "ko-KR", "종이에 쓴 숫자 사진")]
)
def test_a_photo_of_a_digit_on_paper_is_read_on_the_page(browser, app_url, tmp_path, width, locale, title):
    ARTIFACTS.mkdir(exist_ok=True)
    photo = tmp_path / "seven.jpg"
    photo.write_bytes(seven_photo(0))  # 1600x1200, lit unevenly, shadowed, rotated, JPEG
    page = browser.new_page(viewport={"width": width, "height": 900}, locale=locale)
    page.goto(app_url)
    page.wait_for_selector("#sketch canvas", timeout=30_000)

    page.get_by_text(title).click()  # the accordion under the pad
    file_input = page.locator("#photo input[type=file]")
    assert file_input.get_attribute("accept") == "image/*"  # what makes a phone offer its camera
    file_input.set_input_files(str(photo))
    wait_for_digit(page, "7")
    assert page.locator("#seen img").count() == 1
    assert ("MLP" in page.evaluate(SPOKEN)) and page.locator("#photo img").count() == 1
    page.screenshot(path=str(ARTIFACTS / f"browser-photo-{width}.png"), full_page=True)

    # Switching the model reads the same photo again.
    page.locator("#model input[value=softmax]").check()
    page.wait_for_function(f"() => /소프트맥스|softmax/.test(({SPOKEN})())", timeout=20_000)
    wait_for_digit(page, "7")

    # Drawing on the pad puts the photo away: the drawing is what is read now.
    page.locator("#sketch canvas").first.scroll_into_view_if_needed()
    draw(page, [[(0.5, 0.15), (0.5, 0.85)]])
    wait_for_digit(page, "1")
    page.wait_for_function("() => !document.querySelector('#photo img')", timeout=20_000)
    page.close()
