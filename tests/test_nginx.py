"""Behind nginx on the same machine, configured as deploy/nginx.conf says, with no setting of the
app's: each visitor is limited by their own address (nginx passes it in X-Forwarded-For, and
uvicorn believes a proxy on loopback), so one caller flooding the queue is refused while another
visitor's drawings are all read; an upload of many files is refused through it too."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.conftest import draw_digit, pad_value
from tests.live_app import GradioHTTP, live_app, pad_event
from tests.nginx_front import nginx

pytestmark = [pytest.mark.app, pytest.mark.nginx]


@pytest.fixture(scope="module")
def front():
    env = {"MNIST_FORWARDED_HOPS": ""}  # the app is told nothing of the proxy in front
    with live_app(env_extra=env) as app, nginx(int(app.url.rstrip("/").rsplit(":", 1)[1])) as url:
        yield url


def visitor(url: str, address: str) -> GradioHTTP:
    """A visitor at ``address``, as nginx's own X-Forwarded-For would carry it from their machine."""
    return GradioHTTP(url, headers={"x-forwarded-for": address})


def test_a_flooding_caller_is_limited_and_another_visitor_is_not(front):
    seven = pad_value(draw_digit(7))

    def flood(n: int) -> list[bool]:
        http = visitor(front, "203.0.113.66")  # one caller, 16 connections
        fn, trigger = pad_event(http.config())
        answers = [http.event(fn, [seven, "mlp"], trigger, f"flood-{n}")["success"] for _ in range(15)]
        http.close()
        return answers

    with ThreadPoolExecutor(16) as pool:
        flooded = [ok for answers in pool.map(flood, range(16)) for ok in answers]
    assert flooded.count(False) > 0, "240 events from one address at once were all queued"
    student = visitor(front, "198.51.100.23")
    fn, trigger = pad_event(student.config())
    read = [student.event(fn, [seven, "mlp"], trigger, "student") for _ in range(10)]
    assert all(done["success"] for done in read)
    student.close()


def test_an_upload_of_many_files_is_refused_through_it(front):
    http = visitor(front, "198.51.100.24")
    files = [("files", (f"{n}.png", os.urandom(1024), "image/png")) for n in range(50)]
    response = http.http.post("/upload", files=files)
    assert response.status_code == 413 and "One picture at a time" in response.text
    http.close()
