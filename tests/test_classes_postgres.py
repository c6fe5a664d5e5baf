"""Several servers, one class, on a real PostgreSQL: two stores on one database (as two app servers
are) see every class; drawings written by both at once get unique numbers and exact counts; a
clear and its undo from one server are exact while the other writes; the teacher key's browser
secret is the same for both."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from mnist_models.classes.class_wall import Entry, WallError, WallLimits
from mnist_models.classes.store import ClassStore
from tests.postgres_server import postgres_server

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def database():
    with postgres_server() as url:
        yield url


def entry(label: int) -> Entry:
    return Entry(
        number=0,
        image=np.full((28, 28), 0.5, np.float32),
        thumbnail=b"png",
        label=label,
        answers={"softmax": label, "mlp": label},
        time=0.0,
        key="",
    )


def server(url: str) -> ClassStore:
    """One app server's store: its own engine and connections, limits that never refuse."""
    return ClassStore(url=url, limits=lambda: WallLimits(1e6, 10**6))


def test_two_servers_see_one_class_and_share_the_browser_secret(database):
    first, second = server(database), server(database)
    school_class, secret = first.start_class()
    assert second.as_teacher(school_class.code, secret).code == school_class.code
    assert first.browser_secret == second.browser_secret
    second.add_drawing(school_class.code, entry(7), "page-on-second")
    assert [e.label for e in first.find(school_class.code).wall.entries()] == [7]
    with pytest.raises(WallError) as wrong:
        second.as_teacher(school_class.code, "not the secret")
    assert wrong.value.reason == "not_teacher"


def test_drawings_from_two_servers_at_once_get_unique_numbers_and_exact_counts(database):
    servers = [server(database), server(database)]
    code = servers[0].start_class()[0].code
    per_thread, threads_per_server = 25, 6

    def send(store: ClassStore, name: str) -> None:
        for n in range(per_thread):
            store.add_drawing(code, entry(n % 10), f"{name}-{n}")

    threads = [
        threading.Thread(target=send, args=(store, f"s{s}-t{t}"))
        for s, store in enumerate(servers)
        for t in range(threads_per_server)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = 2 * threads_per_server * per_thread
    for store in servers:
        numbers = [e.number for e in store.find(code).wall.entries()]
        assert sorted(numbers) == list(range(1, total + 1))
        assert store.find(code).wall.stats().total == total


def test_a_clear_and_its_undo_are_exact_while_another_server_writes(database):
    teacher_side, student_side = server(database), server(database)
    school_class, _ = teacher_side.start_class()
    for n in range(20):
        student_side.add_drawing(school_class.code, entry(n % 10), f"before-{n}")
    writing = threading.Event()
    sent: list[int] = []

    def keep_sending() -> None:
        n = 0
        while not writing.is_set():
            sent.append(student_side.add_drawing(school_class.code, entry(3), f"during-{n}").number)
            n += 1

    writer = threading.Thread(target=keep_sending)
    writer.start()
    taken = teacher_side.clear(school_class)
    kind, put_back = teacher_side.undo(school_class)
    writing.set()
    writer.join()
    assert kind == "clear" and put_back == len(taken) >= 20
    numbers = sorted(e.number for e in student_side.find(school_class.code).wall.entries())
    assert numbers == list(range(1, 21 + len(sent)))  # everything back, nothing counted twice
    with pytest.raises(WallError):
        teacher_side.undo(school_class)  # one undo for one clear
