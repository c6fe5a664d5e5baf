"""Looking inside the models: the numbers the teaching tabs show are the models' own arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from demo.classroom import Classroom
from mnist_models import explain
from mnist_models.data import MNISTSplit
from mnist_models.inference import Classifier, Prediction
from mnist_models.preprocess import preprocess
from tests.conftest import browser_request, draw_digit, pad_value


@pytest.fixture(scope="module")
def classifier():
    return Classifier("cpu")


@pytest.fixture(scope="module")
def seven():
    return preprocess(draw_digit(7))


def test_templates_are_the_ten_weight_rows(classifier):
    model = classifier.model("softmax")
    templates = explain.softmax_templates(model)
    assert templates.shape == (10, 28, 28)
    assert np.array_equal(templates[3].ravel(), model.linear.weight[3].detach().numpy())


@pytest.mark.parametrize("digit", [0, 7, 9])
def test_contributions_add_up_to_the_logit_minus_the_bias(classifier, seven, digit):
    model = classifier.model("softmax")
    contributions = explain.softmax_contributions(model, seven, digit)
    assert contributions.shape == (28, 28)
    logit = explain.logits(model, seven)[digit]
    assert contributions.sum() == pytest.approx(logit - explain.softmax_bias(model)[digit], abs=1e-4)
    # Paper contributes nothing: only inked pixels carry a share of the score.
    assert np.all(contributions[seven == 0] == 0)


def _inked_versus_corners(values: np.ndarray, image: np.ndarray) -> tuple[float, float]:
    corners = np.concatenate(
        [values[:5, :5].ravel(), values[:5, -5:].ravel(), values[-5:, :5].ravel(), values[-5:, -5:].ravel()]
    )
    return float(np.abs(values[image > 0.5]).mean()), float(np.abs(corners).mean())


@pytest.mark.parametrize("name", ["mlp", "softmax"])
def test_occlusion_highlights_the_ink_not_the_empty_corners(classifier, seven, name):
    model = classifier.model(name)
    occlusion = explain.occlusion_map(model, seven, 7)
    assert occlusion.shape == (28, 28) and np.isfinite(occlusion).all()
    inked, corners = _inked_versus_corners(occlusion, seven)
    assert inked > 10 * corners + 1e-3
    # Covering the strokes of a 7 takes evidence away from 7 overall.
    assert occlusion[seven > 0.5].mean() > 0


def test_hidden_activations_are_one_nonnegative_vector_per_layer(classifier, seven):
    activations = explain.hidden_activations(classifier.model("mlp"), seven)
    assert [a.shape for a in activations] == [(256,), (256,), (256,), (128,), (128,)]
    assert all((a >= 0).all() for a in activations)
    assert all(0 < (a > 0).sum() < a.size for a in activations)


def test_a_wrong_size_image_is_refused(classifier):
    with pytest.raises(ValueError, match="28x28"):
        explain.logits(classifier.model("mlp"), np.zeros((20, 20)))


def test_pictures_are_rgb_images(classifier, seven):
    metrics = classifier.metrics["mlp"]
    pictures = [
        explain.templates_picture(explain.softmax_templates(classifier.model("softmax"))),
        explain.contributions_picture(seven, [("→ 7", seven - 0.5), ("→ 1", -seven)]),
        explain.activations_picture(explain.hidden_activations(classifier.model("mlp"), seven)),
        explain.confusion_picture(metrics["confusion_matrix"]),
        explain.per_class_picture(metrics["per_class_accuracy"], metrics["pen_per_class_accuracy"]),
        explain.curves_picture(metrics["curves"]),
        explain.curves_picture(
            {"x": [], "train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": []}, epochs=3
        ),
    ]
    for picture in pictures:
        assert picture.ndim == 3 and picture.shape[2] == 3 and picture.dtype == np.uint8
        assert picture.shape[0] >= 200 and picture.shape[1] >= 300
        assert picture.std() > 0  # something was drawn


def test_test_set_predictions_filter_mistakes_like_a_confusion_matrix_cell():
    labels = torch.tensor([1, 1, 2, 3, 3, 3])
    split = MNISTSplit(torch.zeros((6, 28, 28), dtype=torch.uint8), labels, "")

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.anchor = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):  # answers 1, 7, 2, 3, 8, 8 whatever the pixels
            return torch.nn.functional.one_hot(torch.tensor([1, 7, 2, 3, 8, 8])[: len(x)], 10).float()

    test = explain.TestSetPredictions.compute(split, {"fixed": Fixed()})
    assert test.mistakes("fixed").tolist() == [1, 4, 5]
    assert test.mistakes("fixed", true=3).tolist() == [4, 5]
    assert test.mistakes("fixed", true=3, predicted=8).tolist() == [4, 5]
    assert test.mistakes("fixed", predicted=7).tolist() == [1]
    assert test.mistakes("fixed", true=2).tolist() == []
    confusion = test.confusion("fixed")
    assert confusion.sum() == 6 and confusion[3, 8] == 2 and confusion[1, 1] == 1


def test_enlarge_shows_ink_dark_on_white():
    image = np.zeros((28, 28), np.uint8)
    image[10, 10] = 255
    big = explain.enlarge(image, 4)
    assert big.shape == (112, 112) and big[41, 41] == 0 and big[0, 0] == 255


# The tabs' handlers, called as the app calls them ------------------------------------------------


def sketch_of(image) -> str:
    """What the classroom page's drawing pad sends: a PNG data URL, ink on transparent paper."""
    return pad_value(image)


def test_compare_shows_both_models_and_says_when_they_agree(classifier):
    room = Classroom(classifier)
    softmax, mlp, verdict = room.compare(sketch_of(draw_digit(7)))
    for chart in (softmax, mlp):
        assert chart["digit"].tolist() == [str(d) for d in range(10)]
        assert chart["probability"].sum() == pytest.approx(1.0)
        assert chart.loc[chart["kind"] == "prediction", "digit"].tolist() == ["7"]
    assert "Both models say **7**" in verdict and "두 모델" not in verdict
    assert "두 모델 모두 **7**" in room.compare(sketch_of(draw_digit(7)), browser_request())[2]


def test_compare_says_when_the_models_disagree(classifier, monkeypatch):
    answers = {"softmax": 3, "mlp": 8}

    def classify(image, name):
        probabilities = np.full(10, 0.01)
        probabilities[answers[name]] = 0.91
        return Prediction(answers[name], probabilities.tolist(), name, "CPU", np.zeros((28, 28), np.float32))

    room = Classroom(classifier)
    monkeypatch.setattr(room.classifier, "classify", classify)
    softmax, mlp, verdict = room.compare(sketch_of(draw_digit(7)))
    assert "disagree" in verdict and "**3**" in verdict and "**8**" in verdict
    assert "다릅니다" in room.compare(sketch_of(draw_digit(7)), browser_request())[2]
    assert softmax.loc[softmax["kind"] == "prediction", "digit"].tolist() == ["3"]
    assert mlp.loc[mlp["kind"] == "prediction", "digit"].tolist() == ["8"]


@pytest.mark.parametrize(
    "sketch", [None, "", pad_value(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))], ids=["none", "empty", "blank"]
)
def test_tabs_ask_for_a_drawing_when_the_canvas_is_empty(classifier, sketch):
    room = Classroom(classifier)
    softmax, _mlp, verdict = room.compare(sketch)
    assert softmax["probability"].sum() == 0 and "Draw a digit" in verdict
    templates, contributions, text, other = room.inside_softmax(sketch, 3)
    assert templates is not None and contributions is None and "Draw a digit" in text and other == 3
    occlusion, activations, text = room.inside_mlp(sketch)
    assert occlusion is None and activations is None and "Draw a digit" in text
    assert "그려 주세요" in room.inside_mlp(sketch, browser_request())[2]


def test_inside_softmax_shows_the_scores_of_the_answer_and_the_chosen_digit(classifier):
    room = Classroom(classifier)
    templates, contributions, text, other = room.inside_softmax(sketch_of(draw_digit(7)), 2)
    assert templates.shape[2] == 3 and contributions.shape[2] == 3 and other == 2
    model = classifier.model("softmax")
    scores = explain.logits(model, preprocess(draw_digit(7)))
    assert f"Score for **7**: {scores[7]:.2f}" in text and f"score for **2**: {scores[2]:.2f}" in text


def test_inside_softmax_picks_a_digit_to_compare_with_when_none_is_chosen(classifier):
    *_, text, other = Classroom(classifier).inside_softmax(sketch_of(draw_digit(7)), None)
    assert other != 7 and f"score for **{other}**" in text


def test_inside_mlp_names_its_answer(classifier):
    occlusion, activations, text = Classroom(classifier).inside_mlp(sketch_of(draw_digit(0)))
    assert occlusion.shape[2] == 3 and activations.shape[2] == 3
    assert "The MLP says **0**" in text and "of 1024 hidden units" in text


def test_model_cards_come_from_the_shipped_metrics_without_data(classifier):
    room = Classroom(classifier)
    facts = room.card_facts("softmax")
    metrics = classifier.metrics["softmax"]
    assert facts["parameters"] == f"{metrics['parameters']:,}" == "7,850"
    assert facts["test_accuracy"] == f"{metrics['test_accuracy']:.1%}"
    assert "optimizer=adamw" in facts["recipe"]
    pictures = room.model_cards()
    assert len(pictures) == 6 and all(p.ndim == 3 for p in pictures)
