"""The classroom tabs' events, called as the app calls them: comparing and looking inside the
models on a drawing, and the test-set explorer and live training on a tiny MNIST the tests write,
and without any MNIST."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest
from PIL import Image

from demo.classroom import (
    cards,
    compare,
    digit_or_not,
    explorer,
    inside_mlp,
    inside_softmax,
    live_training,
)
from demo.classroom.room import Classroom, LazyMNIST
from mnist_models.datasets import mnist as data
from mnist_models.models import explain
from mnist_models.reading.classifier import Prediction
from mnist_models.reading.preprocess import preprocess
from mnist_models.training.live import TrainingBusyError, is_busy, train_live, training_slot
from tests.conftest import draw_digit, pad_value, teacher_key, write_split

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


# Compare and the two Inside tabs, on a drawing ----------------------------------------------------


def test_compare_shows_both_models_and_says_when_they_agree(store, classifier):
    room = Classroom(classifier, store)
    softmax, mlp, verdict = compare.show(room, pad_value(draw_digit(7)))
    for chart in (softmax, mlp):
        assert chart["digit"].tolist() == [str(d) for d in range(10)]
        assert chart["probability"].sum() == pytest.approx(1.0)
        assert chart.loc[chart["kind"] == "prediction", "digit"].tolist() == ["7"]
    assert "Both models say **7**" in verdict and "두 모델" not in verdict
    assert "두 모델 모두 **7**" in compare.show(room, pad_value(draw_digit(7)), "ko")[2]


def test_compare_says_when_the_models_disagree(store, classifier, monkeypatch):
    answers = {"softmax": 3, "mlp": 8}

    def read(picture, names=("softmax", "mlp"), source="pad"):
        predictions = {}
        for name in names:
            probabilities = np.full(10, 0.01)
            probabilities[answers[name]] = 0.91
            image = np.zeros((28, 28), np.float32)
            predictions[name] = Prediction(answers[name], probabilities.tolist(), name, "CPU", image)
        return predictions

    room = Classroom(classifier, store)
    monkeypatch.setattr(room.classifier, "read", read)
    softmax, mlp, verdict = compare.show(room, pad_value(draw_digit(7)))
    assert "disagree" in verdict and "**3**" in verdict and "**8**" in verdict
    assert "다릅니다" in compare.show(room, pad_value(draw_digit(7)), "ko")[2]
    assert softmax.loc[softmax["kind"] == "prediction", "digit"].tolist() == ["3"]
    assert mlp.loc[mlp["kind"] == "prediction", "digit"].tolist() == ["8"]


def test_compare_says_each_models_verdict_when_one_does_not_take_the_drawing_for_a_digit(
    store, classifier, monkeypatch
):
    import dataclasses

    room = Classroom(classifier, store)
    read = room.classifier.read

    def doubtful_mlp(picture, names=("softmax", "mlp"), source="pad"):
        predictions = read(picture, names, source)
        predictions["mlp"] = dataclasses.replace(predictions["mlp"], is_digit=False)
        return predictions

    monkeypatch.setattr(room.classifier, "read", doubtful_mlp)
    _, _, verdict = compare.show(room, pad_value(draw_digit(7)))
    assert "Softmax regression: **7**" in verdict and "MLP: not a digit (closest 7" in verdict
    assert "숫자가 아님" in compare.show(room, pad_value(draw_digit(7)), "ko")[2]


@pytest.mark.parametrize(
    "pad", [None, "", pad_value(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))], ids=["none", "empty", "blank"]
)
def test_tabs_ask_for_a_drawing_when_the_canvas_is_empty(store, classifier, pad):
    room = Classroom(classifier, store)
    softmax, _mlp, verdict = compare.show(room, pad)
    assert softmax["probability"].sum() == 0 and "Draw a digit" in verdict
    templates, contributions, text, other = inside_softmax.show(room, pad, 3)
    assert templates is not None and contributions is None and "Draw a digit" in text and other == 3
    occlusion, activations, text = inside_mlp.show(room, pad)
    assert occlusion is None and activations is None and "Draw a digit" in text
    assert "그려 주세요" in inside_mlp.show(room, pad, "ko")[2]


def test_inside_softmax_shows_the_scores_of_the_answer_and_the_chosen_digit(store, classifier):
    room = Classroom(classifier, store)
    templates, contributions, text, other = inside_softmax.show(room, pad_value(draw_digit(7)), 2)
    assert templates.shape[2] == 3 and contributions.shape[2] == 3 and other == 2
    model = classifier.model("softmax")
    scores = explain.logits(model, preprocess(draw_digit(7)))
    assert f"Score for **7**: {scores[7]:.2f}" in text and f"score for **2**: {scores[2]:.2f}" in text


def test_inside_softmax_picks_a_digit_to_compare_with_when_none_is_chosen(store, classifier):
    *_, text, other = inside_softmax.show(Classroom(classifier, store), pad_value(draw_digit(7)), None)
    assert other != 7 and f"score for **{other}**" in text


def test_inside_mlp_names_its_answer(store, classifier):
    occlusion, activations, text = inside_mlp.show(Classroom(classifier, store), pad_value(draw_digit(0)))
    assert occlusion.shape[2] == 3 and activations.shape[2] == 3
    units = sum(classifier.model("mlp").hidden_sizes)
    assert "The MLP says **0**" in text and f"of {units} hidden units" in text


def test_model_cards_come_from_the_shipped_metrics_without_data(store, classifier):
    room = Classroom(classifier, store)
    facts = cards.facts(room, "softmax")
    metrics = classifier.metrics["softmax"]
    assert facts["parameters"] == f"{metrics['parameters']:,}" == "7,850"
    assert facts["test_accuracy"] == f"{metrics['test_accuracy']:.1%}"
    assert f"optimizer={metrics['recipe']['optimizer']}" in facts["recipe"]
    pictures = cards.card_pictures(room)
    assert len(pictures) == 6 and all(p.ndim == 3 for p in pictures)


# Test-set explorer and live training --------------------------------------------------------------


def test_the_explorer_shows_a_test_digit_with_its_label_and_both_answers(room):
    test = room.test_predictions()
    image, text = explorer.random_digit(room, seed=1)
    index = int(re.search(r"#(\d+)", text).group(1))
    assert image.shape == (224, 224) and image.dtype == np.uint8
    assert f"true digit is **{test.labels[index]}**" in text
    assert f"softmax regression says **{test.predictions['softmax'][index]}**" in text
    assert f"the MLP says **{test.predictions['mlp'][index]}**" in text and "실제" not in text
    _, korean = explorer.random_digit(room, "ko", seed=1)
    assert f"실제 숫자 **{test.labels[index]}**" in korean and "true digit" not in korean


@pytest.mark.parametrize("true, predicted", [(-1, -1), (3, -1), (-1, 5), (3, 5)])
def test_the_mistakes_gallery_holds_only_wrong_answers_that_match_the_filters(room, true, predicted):
    items, text = explorer.mistakes(room, "softmax", true, predicted)
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
    image, text = explorer.random_digit(empty_room)
    assert image is None and "MNIST_DATA_DIR" in text and "nothing here" in text
    items, text = explorer.mistakes(empty_room, "mlp", -1, -1)
    assert items == [] and "MNIST_DATA_DIR" in text
    frames = list(live_training.run(empty_room, "softmax", 1, 5_000, teacher_key(empty_room), "teacher"))
    assert "MNIST_DATA_DIR" in frames[-1][0] and "데이터" not in frames[-1][0]
    assert (
        "데이터 세트가 없어서"
        in list(live_training.run(empty_room, "softmax", 1, 5_000, teacher_key(empty_room), "teacher", "ko"))[-1][0]
    )
    assert not is_busy()


def test_files_added_later_are_found_without_a_restart(store, classifier, tmp_path, monkeypatch):
    attempts = []
    monkeypatch.setattr(data, "_download", lambda root: attempts.append(root) or 1 / 0)  # offline
    room = Classroom(classifier, store, LazyMNIST(tmp_path, download=True))
    assert explorer.random_digit(room)[0] is None and explorer.random_digit(room)[0] is None
    assert len(attempts) == 1  # a failed download is not retried on every visit
    monkeypatch.setitem(data.SPLIT_FILES, "test", (*SPLIT_FILES_ORIGINAL["test"][:2], TEST_COUNT))
    write_split(tmp_path, TEST_COUNT, compress=True)
    assert explorer.random_digit(room)[0] is not None


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
            "다른 사람이" in list(live_training.run(room, "softmax", 1, 5_000, teacher_key(room), "other", "ko"))[-1][0]
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
        in list(live_training.run(room, "softmax", 5, 60_000, teacher_key(room), "teacher", "ko"))[-1][0]
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


def test_a_new_stroke_recomputes_only_the_tab_on_screen(classifier, store):
    import gradio as gr

    from demo.classroom import build_content
    from demo.classroom.room import Classroom as Room

    with gr.Blocks() as page:
        context = build_content(Room(classifier, store))
    pad_change = next(d for d in page.fns.values() if d.targets == [(context.pad._id, "change")])
    followers = {f.tab: f for f in context.followers}
    assert set(followers) == {"compare", "softmax", "mlp"}
    drawing = pad_value(draw_digit(7, canvas=280, box=(60, 40, 220, 240), width=20))
    skipped = lambda value: isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1
    extra = [None] * sum(len(f.inputs) for f in context.followers)
    outputs_of = {f.tab: len(f.outputs) for f in context.followers}
    for showing in ("compare", "softmax", "mlp", "cards", "wall"):
        outputs = pad_change.fn(showing, drawing, *extra)
        assert len(outputs) == sum(outputs_of.values())
        position = 0
        for follower in context.followers:
            mine = outputs[position : position + outputs_of[follower.tab]]
            position += outputs_of[follower.tab]
            assert all(skipped(value) != (follower.tab == showing) for value in mine), (showing, follower.tab)
    softmax_chart, _mlp_chart, verdict = pad_change.fn("compare", drawing, *extra)[:3]
    assert "**7**" in verdict and softmax_chart["kind"].tolist().count("prediction") == 1


def test_digit_or_not_shows_each_models_histogram_with_its_threshold_when_the_weights_carry_one(store, classifier):
    import copy

    room = Classroom(classifier, store)
    for name in ("softmax", "mlp"):
        if "histogram" not in classifier.metrics[name].get("verdict", {}):
            shown, picture = digit_or_not.lesson(room, name)
            assert "always answers with a digit" in shown and picture is None
    fitted = copy.copy(classifier)
    fitted.metrics = copy.deepcopy(classifier.metrics)
    edges = [i / 20 for i in range(21)]
    fitted.metrics["mlp"]["verdict"] = {
        "score": "top_probability",
        "threshold": 0.9,
        "temperature": 1.3,
        "histogram": {"edges": edges, "digits": [0.0] * 19 + [1.0], "not_digits": [0.05] * 20},
    }
    fitted.metrics["mlp"]["calibration"] = {"ece_before": 0.04, "ece_after": 0.01}
    shown, _ = digit_or_not.lesson(Classroom(fitted, store), "mlp", "ko")
    assert 'data-threshold="0.900"' in shown and shown.count("<rect") == 40 and 'class="threshold"' in shown
    assert "문턱값 0.90" in shown and "4.0%" in shown and "1.0%" in shown
