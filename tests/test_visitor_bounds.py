"""What one visitor can make the server keep, bounded, against the real app: uploads per request
and per address, and the files a killed server left behind swept as the next one starts
(demo/gate.py); the classroom pages kept per address and per class (demo/classroom/pages.py)."""

from __future__ import annotations

import base64
import os
import time

import httpx
import pytest

from demo.classroom.pages import BUILDS_BURST, PAGES_PER_ADDRESS
from demo.gate import BYTES_BURST, EVENTS_BURST, PAGES_BURST, UPLOADS_BURST, sweep
from tests.conftest import png_bytes
from tests.live_app import GradioHTTP, event_of, live_app, pad_event, start_class


@pytest.fixture(scope="module")
def uploads_app(tmp_path_factory):
    """The app behind one trusted proxy (so each test's caller has an address of its own), with
    its upload folder holding a file from an hour ago and one from just now."""
    folder = tmp_path_factory.mktemp("uploads")
    old, new = folder / "killed-server" / "old.png", folder / "other-server" / "new.png"
    for path in (old, new):
        path.parent.mkdir()
        path.write_bytes(b"\x89PNG left behind")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    with live_app(env_extra={"GRADIO_TEMP_DIR": str(folder), "MNIST_FORWARDED_HOPS": "1"}) as app:
        yield app, folder, old, new


def until_refused(send, most: int) -> list[httpx.Response]:
    """The answers to ``send()`` called again and again, up to the first refusal (HTTP 429), which
    the server holds for the wait it tells (so a test does not wait for more than one)."""
    answers = []
    while len(answers) < most and (not answers or answers[-1].status_code != 429):
        answers.append(send())
    return answers


def caller(app, address: str) -> GradioHTTP:
    return GradioHTTP(app.url, headers={"x-forwarded-for": address})


def test_the_files_a_killed_server_left_are_swept_at_start(uploads_app):
    _, _, old, new = uploads_app
    assert not old.exists() and not old.parent.exists()
    assert new.exists()  # young enough to be another running server's


def test_one_request_carries_one_picture_at_most(uploads_app, drawn):
    app, folder, _, _ = uploads_app
    http = caller(app, "10.0.0.1")
    before = sum(len(files) for _, _, files in os.walk(folder))
    for size in (2**20, 1024, 1):  # 50 MB, and 50 files small enough to fit in one picture's bytes
        files = [("files", (f"{n}.png", os.urandom(size), "image/png")) for n in range(50)]
        response = http.http.post("/upload", files=files)
        assert response.status_code == 413, size
        assert "One picture at a time" in response.text
        assert sum(len(files) for _, _, files in os.walk(folder)) == before  # nothing was written
    # The same caller's one drawing still goes through, and is read.
    event, [result] = http.classify(png_bytes(drawn(7)))
    assert event == "complete" and result["prediction"] == 7


def test_uploads_from_one_address_are_limited_and_told_when_to_retry(uploads_app, drawn):
    app, _, _, _ = uploads_app
    flood, other = caller(app, "10.0.0.2"), caller(app, "10.0.0.3")
    picture = png_bytes(drawn(1))
    answers = until_refused(
        lambda: flood.http.post("/upload", files={"files": ("1.png", picture, "image/png")}), UPLOADS_BURST * 2
    )
    codes = [answer.status_code for answer in answers]
    assert codes[: UPLOADS_BURST // 2] == [200] * (UPLOADS_BURST // 2)
    refused = [answer for answer in answers if answer.status_code == 429]
    assert refused, codes
    assert "Too many uploads from your address" in refused[0].text
    assert int(refused[0].headers["retry-after"]) >= 1
    # Another address is not slowed by it.
    event, [result] = other.classify(picture)
    assert event == "complete" and result["prediction"] == 1


def test_bytes_from_one_address_are_limited(uploads_app):
    app, _, _, _ = uploads_app
    http = caller(app, "10.0.0.4")
    big = os.urandom(7 * 2**20)  # under the per-file limit; the address's bytes run out first
    answers = until_refused(
        lambda: http.http.post("/upload", files={"files": ("big.png", big, "image/png")}), BYTES_BURST // len(big) + 3
    )
    assert answers[0].status_code == 200 and answers[-1].status_code == 429


def test_an_upload_that_does_not_say_its_length_is_refused(uploads_app):
    app, _, _, _ = uploads_app
    body = (b'--x\r\nContent-Disposition: form-data; name="files"; filename="a.png"\r\n\r\nabc\r\n--x--\r\n',)
    response = httpx.post(
        app.url + "gradio_api/upload",
        content=iter(body),  # an iterator: sent chunked, with no Content-Length
        headers={"content-type": "multipart/form-data; boundary=x", "x-forwarded-for": "10.0.0.5"},
    )
    assert response.status_code == 411


def test_sweep_removes_only_old_files_and_empty_folders(tmp_path):
    old, new = tmp_path / "a" / "old", tmp_path / "b" / "new"
    for path in (old, new):
        path.parent.mkdir()
        path.write_text("x")
    os.utime(old, (time.time() - 100, time.time() - 100))
    assert sweep(tmp_path, older_than_s=50) == 1
    assert not (tmp_path / "a").exists() and new.exists()
    assert sweep(tmp_path / "missing", older_than_s=0) == 0


def still_served(app, address: str, config: dict, session: str) -> bool:
    """Whether the classroom page of ``session`` (its ``config``) still answers: its test-set
    explorer's "random digit" button, which reads nothing the caller sends. (A page the server
    no longer keeps gets Gradio's HTTP 500, which closes the connection: a client of its own.)"""
    button = event_of(config, "random-digit", "click")
    http = caller(app, address)
    try:
        return bool(http.event(button["id"], [], button["trigger"], session)["success"])
    finally:
        http.close()


def busy(config: dict) -> bool:
    """Whether the classroom page of ``config`` is the line asking to reload it later."""
    return any("Reload this page in" in str(c.get("props", {}).get("value")) for c in config["components"])


def test_the_server_keeps_the_newest_classroom_pages_of_each_address(uploads_app):
    app, _, _, _ = uploads_app
    reloader, neighbour = caller(app, "10.0.1.1"), caller(app, "10.0.1.2")
    teacher = caller(app, "10.0.1.1")  # the same router as the reloading script
    key = start_class(teacher, "teacher-page")  # builds a page: one of the address's dozen
    teacher_config = teacher.open_page("classroom", "teacher-page", stored=key)  # the page of a class
    neighbour_config = neighbour.open_page("classroom", "neighbour-page")
    configs = [reloader.open_page("classroom", f"reload-{n}") for n in range(BUILDS_BURST - 1)]
    assert not any(busy(config) for config in configs)
    assert not still_served(app, "10.0.1.1", configs[0], "reload-0")  # pushed out by newer ones
    newest = len(configs) - 1
    assert still_served(app, "10.0.1.1", configs[newest], f"reload-{newest}")
    assert len(configs) - PAGES_PER_ADDRESS >= 2
    # Neither another address's page nor the teacher's behind the same address is pushed out.
    assert still_served(app, "10.0.1.2", neighbour_config, "neighbour-page")
    assert still_served(app, "10.0.1.1", teacher_config, "teacher-page")
    # Past a dozen at once the address gets a line to reload later; the teacher still gets theirs.
    assert busy(reloader.open_page("classroom", "one-more"))
    assert not busy(teacher.open_page("classroom", "teacher-tab", stored=key))
    assert not busy(neighbour.open_page("classroom", "neighbour-tab"))


def test_events_from_one_address_are_limited_and_others_still_answered(uploads_app, drawn):
    app, _, _, _ = uploads_app
    flood, student = caller(app, "10.0.2.1"), caller(app, "10.0.2.2")
    fn, trigger = pad_event(flood.config())
    drawing = "data:image/png;base64," + base64.b64encode(png_bytes(drawn(7))).decode()
    body = {"data": [drawing, "mlp"], "fn_index": fn, "trigger_id": trigger, "event_data": None}
    sessions = iter(range(10**6))
    answers = until_refused(
        lambda: flood.http.post("/queue/join", json={**body, "session_hash": f"flood-{next(sessions)}"}),
        EVENTS_BURST * 3,
    )
    refused = [answer for answer in answers if answer.status_code == 429]
    assert [answer.status_code for answer in answers[: EVENTS_BURST // 2]] == [200] * (EVENTS_BURST // 2)
    assert refused and "Too many requests from your address" in refused[0].text
    assert int(refused[0].headers["retry-after"]) >= 1
    done = student.event(fn, [drawing, "mlp"], trigger, "a-student")
    assert done["success"] and ">7<" in str(done["output"]["data"])
    # A caller on the server's own machine (here: no forwarded address) is not limited.
    local = GradioHTTP(app.url)
    assert all(
        local.http.post("/queue/join", json={**body, "session_hash": "local"}).status_code == 200
        for _ in range(EVENTS_BURST + 10)
    )


def test_page_loads_from_one_address_are_limited(uploads_app):
    app, _, _, _ = uploads_app
    reloader, other = caller(app, "10.0.3.1"), caller(app, "10.0.3.2")
    answers = until_refused(lambda: reloader.http.get(app.url + "config"), PAGES_BURST * 2)
    assert answers[0].status_code == 200 and answers[-1].status_code == 429
    assert len(answers) > PAGES_BURST // 2
    assert "Too many page loads from your address" in answers[-1].text
    assert other.http.get(app.url + "classroom").status_code == 200


def test_pages_loaded_from_this_machine_with_no_forwarded_address_are_noticed_once(caplog):
    """A proxy on the same machine that does not pass the visitor's address: said once in the log."""
    import logging

    from demo.gate import SILENT_PROXY_LOADS, Gate

    gate = Gate(app=None, max_file_bytes=1024)

    def load(headers=()):
        """What the gate does of a page load from this machine (in ``Gate.__call__``, before Gradio's turn)."""
        scope = {"type": "http", "method": "GET", "path": "/config", "headers": list(headers)}
        gate.notice_a_silent_proxy({**scope, "client": ("127.0.0.1", 5)})

    with caplog.at_level(logging.WARNING, logger="demo.gate"):
        for _ in range(SILENT_PROXY_LOADS - 1):
            load()
            load([(b"x-forwarded-for", b"203.0.113.9")])  # a proxy that passes it: not counted
        assert not caplog.records
        for _ in range(3 * SILENT_PROXY_LOADS):
            load()
    assert len(caplog.records) == 1 and "X-Forwarded-For" in caplog.records[0].getMessage()
