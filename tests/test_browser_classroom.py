"""A teacher at the projector: open the classroom page from the drawing page, draw once, then open
every tab and see it filled in. Screenshots go to test-artifacts/classroom-<tab>.png (desktop)
and classroom-<tab>-phone.png."""

from __future__ import annotations

import pytest

from tests.chromium_page import ARTIFACTS, draw

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1280, "phone": 390}


def open_tab(page, tab_id: str, label: str) -> None:
    """Click a tab, through Gradio's "More tabs" menu when it does not fit on the screen."""
    # Gradio also keeps an off-screen copy of the tab bar (to measure what fits): take the visible one.
    tab = page.locator(f'[role="tab"][data-tab-id="{tab_id}"]:visible')
    if tab.count():
        tab.click()
    else:
        page.locator('button[aria-label="More tabs"]').click()
        page.locator(".overflow-dropdown button", has_text=label).click()
    page.wait_for_selector(
        f'[role="tab"][data-tab-id="{tab_id}"][aria-selected="true"], .overflow-menu button.selected', timeout=10_000
    )


def wait_text(page, selector: str, *texts: str, timeout: int = 30_000) -> str:
    page.wait_for_function(
        "([selector, texts]) => { const e = document.querySelector(selector);"
        " return e && texts.some(t => e.innerText.includes(t)); }",
        arg=[selector, list(texts)],
        timeout=timeout,
    )
    return page.locator(selector).inner_text()


def shot(page, name: str, size: str) -> None:
    suffix = "" if size == "desktop" else f"-{size}"
    page.screenshot(path=str(ARTIFACTS / f"classroom-{name}{suffix}.png"), full_page=True)


@pytest.mark.parametrize("size", list(WIDTHS))
def test_every_classroom_tab_shows_its_content(browser, app_url, size):
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": WIDTHS[size], "height": 900}, locale="en-US")
    drawing_page = context.new_page()
    drawing_page.goto(app_url)
    with context.expect_page() as opened:  # the drawing page links to the classroom (a new tab)
        drawing_page.locator("#to-classroom a").click()
    page = opened.value
    page.wait_for_url("**/classroom", timeout=30_000)
    page.locator("#class-start").click(timeout=30_000)  # a teacher's page: a class of its own
    page.wait_for_selector("#class [data-code]", timeout=30_000)
    page.wait_for_selector("#sketch canvas", timeout=30_000)
    shot(page, "wall", size)
    draw(page, [[(0.45, 0.25), (0.85, 0.25), (0.6, 0.85)]])

    open_tab(page, "compare", "Compare")
    verdict = wait_text(page, "#compare-verdict", "Both models say", "disagree")
    assert "7" in verdict
    page.wait_for_function(
        "() => ['#compare-softmax', '#compare-mlp'].every(c => [...document.querySelectorAll(c + ' [aria-roledescription=\"bar\"]')]"
        ".some(b => /kind: prediction/.test(b.getAttribute('aria-label'))))",
        timeout=20_000,
    )
    shot(page, "compare", size)

    open_tab(page, "inside_softmax", "Inside softmax")
    wait_text(page, "#softmax-scores", "Score for")
    page.wait_for_selector("#templates img", timeout=20_000)
    page.wait_for_selector("#contributions img", timeout=20_000)
    shot(page, "softmax", size)

    open_tab(page, "inside_mlp", "Inside the MLP")
    wait_text(page, "#mlp-answer", "The MLP says")
    page.wait_for_selector("#occlusion img", timeout=20_000)
    page.wait_for_selector("#activations img", timeout=20_000)
    shot(page, "mlp", size)

    open_tab(page, "cards", "Model cards")
    for name in ("softmax", "mlp"):
        for picture in ("per-class", "confusion", "curves"):
            picture = page.locator(f"#{name}-{picture} img")
            picture.wait_for(state="attached", timeout=30_000)
            picture.scroll_into_view_if_needed()  # the pictures load lazily, when near the screen
            picture.wait_for(state="visible", timeout=30_000)
    values = page.locator("textarea, input").evaluate_all("fields => fields.map(field => field.value)")
    assert "8,635" in values  # the softmax's parameters (784 x 11 and 11), from its metrics file
    shot(page, "cards", size)

    check_test_set_and_training(page, size)
    context.close()


def check_test_set_and_training(page, size: str) -> None:
    open_tab(page, "test_set", "Test set")
    text = wait_text(page, "#test-digit-text", "Test digit", "MNIST_DATA_DIR", timeout=60_000)
    if "Test digit" in text:  # with MNIST present (CI sets MNIST_DATA_DIR)
        page.wait_for_selector("#test-digit img", timeout=20_000)
        page.wait_for_selector("#mistakes img", timeout=20_000)
    shot(page, "explorer", size)

    open_tab(page, "live_training", "Train live")
    if size == "desktop":  # one training is enough; it is the same on a phone
        page.locator("#train-start").click()
        status = wait_text(page, "#train-status", "Done", "MNIST_DATA_DIR", "Someone else", timeout=120_000)
        if "Done" in status:
            page.wait_for_selector("#train-curves img", timeout=20_000)
            page.wait_for_selector("#train-weights img", timeout=20_000)
    shot(page, "train", size)
