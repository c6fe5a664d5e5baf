"""A class outlives its server, in Chromium: a teacher starts a class and students send drawings;
the server is killed (``kill -9``) and started again, then stopped cleanly and started on an empty
machine from its backup folder. Each time the teacher's reloaded page is the same class, with the
same wall, and still runs it: a drawing removed, the class exported. Screenshots go to
test-artifacts/restart-*.png."""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from tests.chromium_page import ARTIFACTS
from tests.live_app import free_port, live_app
from tests.test_browser_wall import join, label, start_class, wall_count

pytestmark = pytest.mark.browser


def reopened(classroom, code: str, count: int, name: str) -> None:
    """The teacher reloads the projector's page: their class, its wall, nothing missing."""
    classroom.reload()
    classroom.wait_for_selector("#class [data-code]", timeout=60_000)
    assert classroom.locator("#class [data-code]").get_attribute("data-code") == code
    classroom.wait_for_function(
        "(n) => Number(document.querySelector('#wall .wall-grid')?.dataset.count) === n", arg=count, timeout=20_000
    )
    classroom.screenshot(path=str(ARTIFACTS / f"restart-{name}.png"), full_page=True)


def test_the_teacher_runs_the_same_class_after_a_kill_and_on_a_new_machine(browser, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    bucket = tmp_path / "bucket"
    bucket.mkdir()
    port = free_port()  # the same address each time: the teacher key lives in that origin's storage
    env = {"MNIST_CLASSES_DIR": str(tmp_path / "machine-1"), "MNIST_BACKUP_DIR": str(bucket)}
    with live_app(env_extra=env, port=port) as server:
        projector, classroom, code = start_class(browser, server.url, "restart")
        student, page = join(browser, f"{server.url}?class={code}")
        for digit in (7, 1, 7):
            label(page, digit)
        classroom.wait_for_function(
            "() => Number(document.querySelector('#wall .wall-grid')?.dataset.count) === 3", timeout=20_000
        )
        os.kill(server.process.pid, signal.SIGKILL)  # mid-lesson
        server.process.wait()

    with live_app(env_extra=env, port=port) as server:
        reopened(classroom, code, 3, "after-kill")
        page.reload()
        page.wait_for_selector("#sketch canvas", timeout=30_000)
        label(page, 1)
        os.kill(server.process.pid, signal.SIGTERM)  # how a Space stops for a push or a restart
        server.process.wait()

    shutil.rmtree(tmp_path / "machine-1")  # the Space's disk is wiped
    env["MNIST_CLASSES_DIR"] = str(tmp_path / "machine-2")
    with live_app(env_extra=env, port=port):
        reopened(classroom, code, 4, "new-machine")
        classroom.locator("#wall-number input").fill("2")
        classroom.locator("#wall-remove").click()
        classroom.wait_for_function(
            "() => document.querySelector('#teacher-status').innerText.includes('Drawing 2 is off the wall')",
            timeout=20_000,
        )
        classroom.wait_for_function(
            "() => Number(document.querySelector('#wall .wall-grid')?.dataset.count) === 3", timeout=20_000
        )
        assert wall_count(classroom) == 3
        classroom.locator("#wall-export").click()
        classroom.locator("#wall-zip").wait_for(state="visible", timeout=20_000)
        assert "3 drawings in the ZIP" in classroom.locator("#teacher-status").inner_text()
    student.close()
    projector.close()
