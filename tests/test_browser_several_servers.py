"""Several servers, one class, in Chromium: one PostgreSQL, two app servers, HAProxy in front as
deploy/haproxy.cfg says. The teacher's projector is on one server, the students on both; every
drawing a student was told was sent shows on the teacher's wall. Then one server is killed
(``kill -9``): its students reload, go on through the other, and nothing they were told was sent
is missing. Screenshots go to test-artifacts/servers-*.png."""

from __future__ import annotations

import os
import signal

import pytest

from tests.chromium_page import ARTIFACTS
from tests.postgres_server import postgres_server
from tests.several_servers import servers_on
from tests.test_browser_wall import join, label, start_class

pytestmark = [pytest.mark.browser, pytest.mark.postgres, pytest.mark.haproxy]


def server_of(context) -> str:
    """Which server HAProxy keeps this browser on (its cookie)."""
    return next(c["value"] for c in context.cookies() if c["name"] == "MNIST_SERVER")


def wall_shows(classroom, count: int) -> None:
    classroom.wait_for_function(
        "(n) => Number(document.querySelector('#wall .wall-grid')?.dataset.count) === n", arg=count, timeout=30_000
    )


def test_a_class_spread_over_two_servers_and_one_killed(browser):
    ARTIFACTS.mkdir(exist_ok=True)
    with postgres_server() as database, servers_on(database, 2) as (front, apps):
        projector, classroom, code = start_class(browser, front, "servers")
        teacher_on = server_of(projector)
        students = [join(browser, f"{front}?class={code}") for _ in range(4)]
        on = {server_of(context) for context, _ in students}
        assert on == {"app1", "app2"}, on  # students on both servers
        sent = 0
        for _ in range(2):
            for _, page in students:
                label(page, 7)
                sent += 1
        wall_shows(classroom, sent)
        classroom.screenshot(path=str(ARTIFACTS / "servers-wall.png"), full_page=True)

        # The server the teacher is not on goes down, mid-lesson.
        doomed = next(app for n, app in enumerate(apps, 1) if f"app{n}" != teacher_on)
        os.kill(doomed.process.pid, signal.SIGKILL)
        doomed.process.wait()
        moved = [(context, page) for context, page in students if server_of(context) != teacher_on]
        assert moved
        for context, page in moved:
            page.reload()
            page.wait_for_selector("#sketch canvas", timeout=60_000)
            page.wait_for_selector("#meant", state="visible", timeout=30_000)
            label(page, 1)
            sent += 1
            assert server_of(context) == teacher_on  # HAProxy sent them to the server still up
        wall_shows(classroom, sent)
        labels = classroom.locator("#wall .wall-card").evaluate_all("cs => cs.map(c => c.dataset.label)")
        assert sorted(labels) == sorted(["7"] * 8 + ["1"] * len(moved))
        for context, _ in students:
            context.close()
        projector.close()
