"""The classroom tabs' events, called as the app calls them: comparing and looking inside the
models on a drawing, the model cards, the lesson on "digit or not", and a new stroke recomputing
only the tab on screen. (The explorer and live training: tests/test_explorer_and_live_training.py.)"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from demo.classroom import (
    cards,
    compare,
    digit_or_not,
    inside_mlp,
    inside_softmax,
)
from demo.classroom.room import Classroom
from mnist_models.models import explain
from mnist_models.reading.classifier import Prediction
from mnist_models.reading.preprocess import preprocess
from tests.conftest import draw_digit, pad_value

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
    assert facts["parameters"] == f"{metrics['parameters']:,}" == "8,635"  # 784 x 11 weights and 11 biases
    assert facts["test_accuracy"] == f"{metrics['test_accuracy']:.1%}"
    assert f"optimizer={metrics['recipe']['optimizer']}" in facts["recipe"]
    pictures = cards.card_pictures(room)
    assert len(pictures) == 6 and all(p.ndim == 3 for p in pictures)


def test_a_new_stroke_recomputes_only_the_tab_on_screen(classifier, store):
    import gradio as gr

    from demo.classroom import build_content
    from demo.classroom.room import Classroom as Room

    with gr.Blocks() as page:
        context = build_content(Room(classifier, store))
    pad_change = next(d for d in page.fns.values() if d.targets == [(context.pad._id, "change")])
    followers = {f.tab: f for f in context.followers}
    assert set(followers) == {"compare", "inside_softmax", "inside_mlp"}
    drawing = pad_value(draw_digit(7, canvas=280, box=(60, 40, 220, 240), width=20))
    skipped = lambda value: isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1
    extra = [None] * sum(len(f.inputs) for f in context.followers)
    outputs_of = {f.tab: len(f.outputs) for f in context.followers}
    for showing in ("compare", "inside_softmax", "inside_mlp", "cards", "wall"):
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
