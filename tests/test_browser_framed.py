"""The classroom inside another site's page, as the huggingface.co page of a Space shows it: a page
on one loopback name frames the app served on another. A teacher key kept by the framed page is
measured (does the page at its own address, or the framed page reloaded, find the class?), and
the framed page asks the teacher to open it at its own address before starting a class; the page
at its own address does not. Screenshot: test-artifacts/framed-classroom.png."""

from __future__ import annotations

import http.server
import socketserver
import threading

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.chromium_page import ARTIFACTS
from tests.live_app import free_port, live_app

pytestmark = pytest.mark.browser


def framing_page(inner: str) -> tuple[socketserver.TCPServer, str]:
    """A server on 127.0.0.1 whose page frames ``inner`` (an address on another name)."""
    page = f'<html><body><iframe id="space" src="{inner}" width="1400" height="1000"></iframe></body></html>'

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(page.encode())

        def log_message(self, *args) -> None:
            pass

    server = socketserver.TCPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def shows_a_class(locator_of) -> bool:
    try:
        locator_of("#class [data-code]").wait_for(timeout=15_000)
        return True
    except PlaywrightTimeoutError:  # the page shows no class
        return False


def test_a_framed_classroom_asks_to_be_opened_at_its_own_address(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    with live_app() as app:
        port = app.url.rstrip("/").rsplit(":", 1)[1]
        direct_url = f"http://localhost:{port}/classroom"  # another site than 127.0.0.1
        server, outer = framing_page(direct_url)
        context = browser.new_context(viewport={"width": 1500, "height": 1100}, locale="en-US")
        try:
            framing = context.new_page()
            framing.goto(outer)
            framed = framing.frame_locator("#space")
            framed.locator("#class-start").wait_for(timeout=60_000)
            note = framed.locator("#framed-note")
            assert note.is_visible() and "Open the classroom at its own address" in note.inner_text()
            framing.screenshot(path=str(ARTIFACTS / "framed-classroom.png"))

            framed.locator("#class-start").click()
            framed.locator("#class [data-code]").wait_for(timeout=60_000)
            direct = context.new_page()
            direct.goto(direct_url)
            found_directly = shows_a_class(direct.locator)
            framing.reload()
            found_again = shows_a_class(framing.frame_locator("#space").locator)
            # The measurement, for the docs (docs/deploy.md): on this Chromium the framed page's
            # key is found neither at the page's own address nor by the framed page reloaded.
            print(f"teacher key from the framed page: at its own address {found_directly}, reloaded {found_again}")
            assert not direct.locator("#framed-note").is_visible()  # not framed: no note
        finally:
            context.close()
            server.shutdown()
