"""The test-set explorer and live training, on a tiny MNIST the tests write, and without any
MNIST: the explorer shows test digits and the mistakes a model makes; a live training streams its
curves, is one at a time on a server, stops when asked or at its time limit, and never touches the
shipped models."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

from demo.classroom import live_training, test_set
from demo.classroom.room import Classroom, LazyMNIST
from mnist_models.datasets import mnist as data
from mnist_models.training.live import TrainingBusyError, is_busy, train_live, training_slot
from tests.conftest import teacher_key, write_split

TRAIN_COUNT, TEST_COUNT = 300, 120


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    """A folder with a 300-image train split and a 120-image test split, accepted as MNIST."""
    for split, prefix, count in (("train", "train", TRAIN_COUNT), ("test", "t10k", TEST_COUNT)):
        image_file, label_file, _ = SPLIT_FILES_ORIGINAL[split]
        monkeypatch.setitem(data.SPLIT_FILES, split, (image_file, label_file, count))
        write_split(tmp_path, count, compress=False, prefix=prefix)
    return tmp_path


SPLIT_FILES_ORIGINAL = dict(data.SPLIT_FILES)


@pytest.fixture
def room(store, classifier, tiny_mnist):
    return Classroom(classifier, store, LazyMNIST(tiny_mnist, download=False))


@pytest.fixture
def empty_room(store, classifier, tmp_path):
    return Classroom(classifier, store, LazyMNIST(tmp_path / "nothing here", download=False))


def test_the_explorer_shows_a_test_digit_with_its_label_and_both_answers(room):
    test = room.test_predictions()
    image, text = test_set.random_digit(room, seed=1)
    index = int(re.search(r"#(\d+)", text).group(1))
    assert image.shape == (224, 224) and image.dtype == np.uint8
    assert f"true digit is **{test.labels[index]}**" in text
    assert f"softmax regression says **{test.predictions['softmax'][index]}**" in text
    assert f"the MLP says **{test.predictions['mlp'][index]}**" in text and "실제" not in text
    _, korean = test_set.random_digit(room, "ko", seed=1)
    assert f"실제 숫자 **{test.labels[index]}**" in korean and "true digit" not in korean


@pytest.mark.parametrize("true, predicted", [(-1, -1), (3, -1), (-1, 5), (3, 5)])
def test_the_mistakes_gallery_holds_only_wrong_answers_that_match_the_filters(room, true, predicted):
    items, text = test_set.mistakes(room, "softmax", true, predicted)
    test = room.test_predictions()
    expected = test.mistakes("softmax", None if true == -1 else true, None if predicted == -1 else predicted)
    assert len(items) == min(len(expected), 48)
    assert f"**{len(expected)}** of {TEST_COUNT}" in text
    for image, caption in items:
        shown_true, shown_answer = map(int, caption.split(" → "))
        assert shown_true != shown_answer
        assert true in (-1, shown_true) and predicted in (-1, shown_answer)
        assert image.shape == (84, 84)


def test_without_mnist_the_explorer_and_training_explain_how_to_enable_them(empty_room):
    image, text = test_set.random_digit(empty_room)
    assert image is None and "MNIST_DATA_DIR" in text and "nothing here" in text
    items, text = test_set.mistakes(empty_room, "mlp", -1, -1)
    assert items == [] and "MNIST_DATA_DIR" in text
    frames = list(live_training.run(empty_room, "softmax", 1, 5_000, teacher_key(empty_room), "teacher"))
    assert "MNIST_DATA_DIR" in frames[-1][0] and "데이터" not in frames[-1][0]
    assert (
        "데이터 세트가 없어서"
        in list(live_training.run(empty_room, "softmax", 1, 5_000, teacher_key(empty_room), "teacher", language="ko"))[
            -1
        ][0]
    )
    assert not is_busy()


def test_files_added_later_are_found_without_a_restart(store, classifier, tmp_path, monkeypatch):
    attempts = []
    monkeypatch.setattr(data, "_download", lambda root: attempts.append(root) or 1 / 0)  # offline
    room = Classroom(classifier, store, LazyMNIST(tmp_path, download=True))
    assert test_set.random_digit(room)[0] is None and test_set.random_digit(room)[0] is None
    assert len(attempts) == 1  # a failed download is not retried on every visit
    monkeypatch.setitem(data.SPLIT_FILES, "test", (*SPLIT_FILES_ORIGINAL["test"][:2], TEST_COUNT))
    write_split(tmp_path, TEST_COUNT, compress=True)
    assert test_set.random_digit(room)[0] is not None


@pytest.mark.parametrize("model", ["softmax", "mlp"])
def test_live_training_streams_curves_and_weights_then_finishes(tiny_mnist, model):
    train_split, test = (
        data.load_split("train", tiny_mnist, download=False),
        data.load_split("test", tiny_mnist, download=False),
    )
    snapshots = list(train_live(train_split, test, model, epochs=2, subset=200, updates_per_epoch=2, seed=0))
    first, last = snapshots[0], snapshots[-1]
    assert first.state == "running" and first.done == 0 and first.curves["x"] == []
    assert last.state == "finished" and last.done == 2.0 and last.images_seen == 400
    assert (
        last.curves["x"] == sorted(last.curves["x"]) and len(last.curves["x"]) == len(last.curves["test_accuracy"]) >= 2
    )
    assert all(s.weights.shape == (10, 28, 28) for s in snapshots)
    assert not np.array_equal(first.weights, last.weights)  # it learned something
    assert 0 <= last.test_accuracy <= 1
    assert not is_busy()


def test_live_training_never_touches_the_shipped_models(room):
    before = room.classifier.model("softmax").linear.weight.detach().clone()
    list(live_training.run(room, "softmax", 1, 5_000, teacher_key(room), "teacher"))
    assert np.array_equal(before.numpy(), room.classifier.model("softmax").linear.weight.detach().numpy())


def test_a_second_training_is_told_the_server_is_busy(room, tiny_mnist):
    running = live_training.run(room, "softmax", 1, 5_000, teacher_key(room), "teacher")
    next(running)  # reading the files
    next(running)  # untrained: it holds the one training slot
    try:
        with pytest.raises(TrainingBusyError), training_slot():
            pass
        frames = list(live_training.run(room, "softmax", 1, 5_000, teacher_key(room), "other"))
        assert "Someone else is training" in frames[-1][0]
        assert (
            "다른 사람이"
            in list(live_training.run(room, "softmax", 1, 5_000, teacher_key(room), "other", language="ko"))[-1][0]
        )
    finally:
        running.close()  # what Gradio does when the page goes away
    assert not is_busy()
    assert "Done" in list(live_training.run(room, "softmax", 1, 5_000, teacher_key(room), "teacher"))[-1][0]


def test_stop_ends_the_training_after_the_current_batch(room):
    assert "No training of yours" in live_training.stop_training(room, "teacher")
    frames = live_training.run(room, "softmax", 5, 60_000, teacher_key(room), "teacher")
    next(frames)  # reading the files
    next(frames)  # untrained
    assert "No training of yours" in live_training.stop_training(room, "student")  # not theirs to stop
    assert "Stopping" in live_training.stop_training(room, "teacher")
    rest = list(frames)
    assert "Stopped after" in rest[-1][0] and len(rest) == 1
    assert "No training of yours" in live_training.stop_training(room, "teacher") and not is_busy()


def test_a_live_training_ends_at_its_time_limit_whatever_was_asked(store, classifier, tiny_mnist, tmp_path):
    train_split, test = (
        data.load_split("train", tiny_mnist, download=False),
        data.load_split("test", tiny_mnist, download=False),
    )
    snapshots = list(train_live(train_split, test, "mlp", epochs=5, subset=None, max_seconds=0.0))
    assert snapshots[-1].state == "time_up" and snapshots[-1].images_seen == 0
    assert not is_busy()
    room = Classroom(classifier, store, LazyMNIST(tiny_mnist, download=False), training_seconds=0.0)
    assert (
        "Stopped at the time limit"
        in list(live_training.run(room, "softmax", 5, 60_000, teacher_key(room), "teacher"))[-1][0]
    )
    assert (
        "시간 제한에 멈춤"
        in list(live_training.run(room, "softmax", 5, 60_000, teacher_key(room), "teacher", language="ko"))[-1][0]
    )


def test_stop_stops_the_training_even_after_a_second_start_from_the_same_page(room):
    first = live_training.run(room, "softmax", 5, 60_000, teacher_key(room), "teacher")
    next(first)  # reading the files
    next(first)  # untrained: it holds the training slot
    assert (
        "Someone else is training"
        in list(live_training.run(room, "softmax", 1, 5_000, teacher_key(room), "teacher"))[-1][0]
    )
    assert "Stopping" in live_training.stop_training(room, "teacher")
    assert "Stopped after" in list(first)[-1][0]
    assert not is_busy() and "No training of yours" in live_training.stop_training(room, "teacher")


def test_stop_event_in_the_library(tiny_mnist):
    train_split, test = (
        data.load_split("train", tiny_mnist, download=False),
        data.load_split("test", tiny_mnist, download=False),
    )
    stop = threading.Event()
    run = train_live(train_split, test, "mlp", epochs=3, subset=None, stop=stop, updates_per_epoch=3)
    next(run)
    stop.set()
    rest = list(run)
    assert rest[-1].state == "stopped" and rest[-1].images_seen == 0


def test_a_zerogpu_failure_mid_training_keeps_the_curves_shown_and_the_training_is_closed(room, monkeypatch):
    """ZeroGPU stops a job that runs past its reservation: the page says so, and what it showed stays."""
    import gradio as gr

    from demo import gpu

    closed = threading.Event()

    def overrun(train, test, name, epochs, subset, stop, max_seconds):
        try:
            yield from (s for s in train_live(train, test, name, 1, 500, max_seconds=30) if s.state == "running")
            raise gr.Error("GPU task aborted", title="ZeroGPU illegal duration")
        finally:
            closed.set()

    monkeypatch.setattr(gpu, "live_training", overrun)
    frames = list(live_training.run(room, "softmax", 1, 5_000, teacher_key(room), "teacher"))
    assert frames[-2][1] is not None  # curves were shown ...
    skipped = lambda value: isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1
    assert "GPU" in frames[-1][0] and skipped(frames[-1][1]) and skipped(frames[-1][2])  # ... and stay
    assert closed.wait(10)
