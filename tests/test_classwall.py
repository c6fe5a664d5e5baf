"""The class wall as a library: what it keeps, how it bounds itself, its figures, its ZIP; and the
fine-tuned copy of a model (mnist_models.training.fine_tuning)."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import sys
import threading
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from demo.classroom import fine_tune as classroom_fine_tune
from demo.classroom.room import Classroom, LazyMNIST
from mnist_models.classes.archive import export_archive
from mnist_models.classes.class_wall import Entry, WallError, WallLimits, check_digit
from mnist_models.classes.store import ClassStore
from mnist_models.datasets.drawings import render_digit
from mnist_models.reading.preprocess import DrawingError, EmptyDrawingError
from mnist_models.training import live as live_training
from mnist_models.training.fine_tuning import MNIST_PER_DRAWING, fine_tune, lower_this_threads_priority
from tests.conftest import draw_digit, pad_value, send_drawing


class Clock:
    """A clock the test moves by hand, so rate bounds are tested without sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def image(value: float = 0.5) -> np.ndarray:
    return np.full((28, 28), value, np.float32)


def add(store: ClassStore, school_class, label: object, softmax: int, mlp: int, session: str = "page") -> None:
    """A drawing already read, as the drawing page hands it to the store: checked, admitted, kept."""
    label = check_digit(label)
    store.admit(school_class.code, session)
    store.add_drawing(
        school_class.code,
        Entry(
            number=0,
            image=image(),
            thumbnail=b"png",
            label=label,
            answers={"softmax": softmax, "mlp": mlp},
            time=0.0,
            key="",
        ),
        session,
    )


def fast_store(folder, **options) -> ClassStore:
    return ClassStore(folder, limits=lambda: WallLimits(rate_per_s=1000.0, burst=1000), **options)


@pytest.fixture
def school(tmp_path):
    """A store whose walls take drawings as fast as they come, and a class in it."""
    store = fast_store(tmp_path, capacity=100)
    return store, store.start_class()[0]


def test_a_drawing_goes_on_the_wall_with_both_answers(school, classifier):
    store, school_class = school
    entry = send_drawing(store, classifier, school_class.code, pad_value(draw_digit(7)), 7, "page-1")
    assert entry.label == 7 and entry.answers == {"softmax": 7, "mlp": 7}
    assert entry.is_digit_for("softmax") and entry.is_digit_for("mlp")
    assert entry.image.shape == (28, 28) and entry.image.min() == 0.0 and entry.image.max() > 0.5
    thumbnail = Image.open(io.BytesIO(entry.thumbnail))
    assert thumbnail.format == "PNG" and max(thumbnail.size) <= 64
    assert np.asarray(thumbnail).min() < 100 and np.asarray(thumbnail).max() == 255  # dark ink on white
    key = store.page_key(school_class.code, "page-1")
    assert "page-1" not in entry.key and entry.key == key != store.page_key(school_class.code, "page-2")
    assert [(e.number, e.label, e.key) for e in school_class.wall.entries()] == [(1, 7, key)]


@pytest.mark.parametrize("digit", [10, -1, 11, "11", "7a", " ", "٣", None, 3.0, True, [], {"d": 1}, "x" * 10_000])
def test_only_a_digit_0_to_9_is_taken(school, digit):
    store, school_class = school
    with pytest.raises(WallError, match="0-9"):
        add(store, school_class, digit, 0, 0)
    assert len(school_class.wall) == 0


def test_a_digit_may_come_as_text():
    assert [check_digit(d) for d in ("0", "9", " 4 ", 5)] == [0, 9, 4, 5]


def test_a_picture_with_no_digit_is_refused(school, classifier):
    store, school_class = school
    with pytest.raises(EmptyDrawingError):
        send_drawing(store, classifier, school_class.code, pad_value(Image.new("RGBA", (400, 400))), 3, "page")
    with pytest.raises(DrawingError):
        send_drawing(store, classifier, school_class.code, "not a picture", 3, "page")
    assert len(school_class.wall) == 0


def test_a_full_wall_takes_no_more_and_says_so(tmp_path):
    store = fast_store(tmp_path, capacity=5)
    school_class, _ = store.start_class()
    for n in range(5):
        add(store, school_class, n, n, n)
    with pytest.raises(WallError) as full:
        add(store, school_class, 5, 5, 5)
    assert full.value.reason == "full" and full.value.details == {"limit": 5}
    assert [e.number for e in school_class.wall.entries()] == [1, 2, 3, 4, 5]


def test_each_page_is_held_to_its_rate_after_a_burst():
    clock = Clock()
    limits = WallLimits(rate_per_s=1.0, burst=3, clock=clock)
    for _ in range(3):
        limits.admit("fast")
    with pytest.raises(WallError, match="wait 1.0 s") as refused:
        limits.admit("fast")
    assert refused.value.reason == "rate"
    limits.admit("another page")  # one page's rate is not another's
    clock.now += 1.0
    limits.admit("fast")
    with pytest.raises(WallError):
        limits.admit("fast")
    clock.now += 100.0  # a page that waited gets its burst back, never more
    for _ in range(3):
        limits.admit("fast")
    with pytest.raises(WallError):
        limits.admit("fast")


def test_the_pages_a_client_makes_up_are_remembered_only_so_many():
    limits = WallLimits(rate_per_s=1.0, burst=2, clock=Clock(), max_keys=40)
    for n in range(100):
        limits.admit(f"page-{n}")
    assert len(limits._pages) <= 40


def test_one_address_is_held_to_a_class_rate_whatever_pages_it_invents():
    clock = Clock()
    limits = WallLimits(address_rate_per_s=3.2, address_burst=8, clock=clock)
    sent = 0
    for n in range(200):  # 200 made-up pages, 20 a second, for 10 s
        try:
            limits.admit(f"made-up-{n}", "203.0.113.7")
            sent += 1
        except WallError as refused:
            assert refused.reason == "rate_network" and refused.details["seconds"] > 0
        clock.now += 0.05
    assert sent <= 40
    # Meanwhile a class of 30 behind another router, each drawing once every 10 s, all get through.
    for second in range(30):
        for student in range(3):
            limits.admit(f"student-{second % 10 * 3 + student}", "198.51.100.1")
        clock.now += 1.0


def test_adds_from_many_threads_all_count(school):
    store, school_class = school
    version = school_class.wall.version
    threads = [
        threading.Thread(target=lambda: [add(store, school_class, 5, 5, 5) for _ in range(20)]) for _ in range(5)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(school_class.wall) == 100 and school_class.wall.version == version + 100
    assert sorted(e.number for e in school_class.wall.entries()) == list(range(1, 101))


def test_clear_empties_the_wall_and_moves_the_version(school):
    store, school_class = school
    add(store, school_class, 1, 1, 1)
    version = school_class.wall.version
    store.clear(school_class)
    assert len(school_class.wall) == 0 and school_class.wall.version > version
    add(store, school_class, 2, 2, 2)
    assert school_class.wall.entries()[0].number == 2  # numbers are never reused


def test_stats_count_digits_and_score_each_model(school):
    store, school_class = school
    assert school_class.wall.stats().accuracy == {"softmax": None, "mlp": None}
    add(store, school_class, 3, 3, 3)
    add(store, school_class, 3, 5, 3)
    add(store, school_class, 7, 1, 2)
    add(store, school_class, 0, 0, 0)
    stats = school_class.wall.stats()
    assert stats.total == 4
    assert stats.counts == [1, 0, 0, 2, 0, 0, 0, 1, 0, 0]
    assert stats.accuracy == {"softmax": 0.5, "mlp": 0.75}
    assert stats.confusion["softmax"][3][5] == 1 and stats.confusion["softmax"][3][3] == 1
    assert stats.confusion["mlp"][7][2] == 1 and stats.confusion["mlp"][3][3] == 2
    for name in ("softmax", "mlp"):
        assert sum(map(sum, stats.confusion[name])) == 4
        assert [sum(row) for row in stats.confusion[name]] == stats.counts


def test_filters_by_digit_and_by_model_missed(school):
    store, school_class = school
    add(store, school_class, 3, 3, 3)
    add(store, school_class, 3, 5, 3)
    add(store, school_class, 7, 1, 2)
    add(store, school_class, 7, 7, 1)
    wall = school_class.wall
    assert [e.label for e in wall.entries(digit=3)] == [3, 3]
    assert [(e.label, e.answers["softmax"]) for e in wall.entries(missed_by="softmax")] == [(3, 5), (7, 1)]
    assert [(e.label, e.answers["mlp"]) for e in wall.entries(missed_by="mlp")] == [(7, 2), (7, 1)]
    assert [e.answers["mlp"] for e in wall.entries(digit=7, missed_by="softmax")] == [2]


def test_the_zip_holds_the_wall(school, classifier):
    store, school_class = school
    for digit in (0, 1, 7):
        send_drawing(store, classifier, school_class.code, pad_value(draw_digit(digit)), digit, "page")
    add(store, school_class, 4, 9, 4)
    entries = school_class.wall.entries()
    with zipfile.ZipFile(io.BytesIO(export_archive(entries))) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("drawings.csv").decode())))
        assert len(rows) == len(entries) == 4
        assert sorted(archive.namelist()) == sorted(["class.json", "drawings.csv", *(row["file"] for row in rows)])
        for row, entry in zip(rows, entries, strict=True):
            assert (int(row["label"]), int(row["softmax_answer"]), int(row["mlp_answer"])) == (
                entry.label,
                entry.answers["softmax"],
                entry.answers["mlp"],
            )
            assert row["time"].endswith("+00:00")
            if entry.probabilities:
                assert [float(x) for x in row["mlp_probabilities"].split()] == entry.probabilities["mlp"]
            picture = np.asarray(Image.open(io.BytesIO(archive.read(row["file"]))))
            assert picture.shape == (28, 28) and picture.dtype == np.uint8
            # White ink on black, as MNIST stores its digits: the 28x28 the models read.
            np.testing.assert_allclose(picture / 255.0, entry.image, atol=1 / 255)


# Fine-tuning --------------------------------------------------------------------------------------


def swapped_wall(classifier, count: int = 40) -> list[Entry]:
    """A tiny task the shipped models get all wrong: drawn 1s labelled 7 and drawn 7s labelled 1."""
    entries = []
    for i in range(count):
        digit = (1, 7)[i % 2]
        value = pad_value(render_digit(digit, np.random.default_rng(i)))
        entries.append(
            dataclasses.replace(Entry.of_reading(classifier.read(value, source="pad"), value, 8 - digit), number=i + 1)
        )
    return entries


@pytest.mark.parametrize("name", ["softmax", "mlp"])
def test_fine_tuning_trains_a_copy_that_reads_the_class_better(classifier, name):
    entries = swapped_wall(classifier)
    shipped = classifier.model(name)
    weights = {k: v.clone() for k, v in shipped.state_dict().items()}
    torch.manual_seed(0)  # dropout draws from torch's global generator
    # A number of steps, not seconds: the same training on a fast machine and a busy one.
    result = fine_tune(shipped, name, entries, seconds=120.0, max_steps=400, duty=1.0)
    assert result.held_back == 10 and result.trained_on == 30 and result.mnist_images == 0
    assert result.before <= 0.2
    assert result.after >= result.before + 0.5, (result.before, result.after)
    assert result.tuned is not shipped
    for key, value in shipped.state_dict().items():
        assert torch.equal(value, weights[key]), key  # the shipped model is untouched
    assert not shipped.training


def test_fine_tuning_mixes_in_mnist_when_there_is_some(classifier):
    from mnist_models.datasets.mnist import MNISTSplit

    entries = swapped_wall(classifier, 20)
    rng = np.random.default_rng(0)
    mnist = MNISTSplit(
        torch.from_numpy(rng.integers(0, 256, (1000, 28, 28), dtype=np.uint8)), torch.randint(0, 10, (1000,)), "x"
    )
    result = fine_tune(classifier.model("mlp"), "mlp", entries, mnist, mnist, max_steps=3, duty=1.0)
    assert result.mnist_images == MNIST_PER_DRAWING * result.trained_on and result.steps == 3
    assert result.mnist_before is not None and result.mnist_after is not None


def test_fine_tuning_needs_enough_drawings_and_shares_one_slot_with_live_training(classifier, store, tmp_path):
    entries = swapped_wall(classifier, 9)
    with pytest.raises(WallError, match="at least 10"):
        fine_tune(classifier.model("mlp"), "mlp", entries)
    room = Classroom(classifier, store, LazyMNIST(tmp_path, download=False))
    school_class, secret = store.start_class(swapped_wall(classifier, 12))
    with live_training.training_slot():  # a fine-tuning or a live training holds it
        assert list(classroom_fine_tune.run(room, {"code": school_class.code, "secret": secret}, "mlp")) == [
            "A fine-tuning is already running on this server. Try again when it has finished."
        ]
    assert not live_training.is_busy()
    result = fine_tune(classifier.model("mlp"), "mlp", school_class.wall.entries(), max_steps=1, duty=1.0)
    assert result.steps == 1 and result.device == "CPU" and not live_training.is_busy()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a thread's own priority is a Linux feature")
def test_a_fine_tuning_thread_gives_way_to_every_other_thread():
    before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    seen = {}

    def fine_tuning_thread() -> None:
        lower_this_threads_priority()
        seen["nice"] = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    worker = threading.Thread(target=fine_tuning_thread)
    worker.start()
    worker.join()
    assert seen["nice"] == 19
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == before  # the caller's own is unchanged
