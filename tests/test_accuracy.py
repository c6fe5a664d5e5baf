"""The shipped weights on the real MNIST test set, on real pen-drawn digits and on drawings that are
not digits - the numbers benchmarks/RESULTS.md records - and the metrics shipped beside them telling the truth."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mnist_models.datasets.nondigits import load_stroke_drawings
from mnist_models.datasets.omniglot import VALIDATION_ALPHABETS
from mnist_models.datasets.pendigits import TUNING_WRITERS, VALIDATION_WRITERS
from mnist_models.evaluation.metrics import (
    APART,
    DOODLE_SET,
    doodle_sets,
    evaluate_model,
    nondigit_sets,
    pen_metrics,
    redrawn_mnist,
    template_correlation,
    verdict_metrics,
)
from mnist_models.models.checkpoints import load_metrics, load_model
from mnist_models.training.recipes import FIT_WRITERS

# name: (MNIST test accuracy, validation writers' pen digits drawn on the pad, MNIST test digits
# redrawn as canvas pictures).
TARGETS = {"softmax": (0.935, 0.90, 0.90), "mlp": (0.991, 0.985, 0.98)}
# name: (most validation-writer digits called "not a digit", fewest doodles of the validation things
# called so, fewest validation-alphabet non-digits called so): bounds a little beyond the shipped
# point. The aims: the MLP 95 % of doodles and 88 % of alphabets at 1 % of digits, the softmax 60 %
# of doodles at 2 % (benchmarks/RESULTS.md, "Not a digit: doodles", has the curves and how far).
VERDICT_TARGETS = {"softmax": (0.02, 0.60, 0.45), "mlp": (0.012, 0.85, 0.80)}
# The MLP's probabilities mean what they say: expected calibration error on the validation writers.
MLP_CALIBRATION_ERROR = 0.02
FUN_DRAWINGS = Path(__file__).resolve().parent / "fun_drawings.json"


@pytest.mark.mnist
@pytest.mark.parametrize("name", TARGETS)
def test_shipped_weights_reach_the_mnist_target(name, mnist_test):
    result = evaluate_model(load_model(name, "cpu"), mnist_test.as_float(), mnist_test.labels)
    assert result["accuracy"] >= TARGETS[name][0]
    # The metrics shipped beside the weights tell the truth about them.
    assert result["accuracy"] == pytest.approx(load_metrics(name)["test_accuracy"], abs=1e-4)
    assert load_metrics(name)["data_sha256"]["test"] == mnist_test.sha256


@pytest.mark.pendigits
@pytest.mark.parametrize("name", TARGETS)
def test_shipped_weights_read_real_pen_digits_of_writers_never_trained_on(name, pen_validation):
    result = pen_metrics(load_model(name, "cpu"), pen_validation)
    assert result["pen_accuracy"] >= TARGETS[name][1]
    # No digit is left far behind, and no validation writer. Writers differ more than digits do:
    # one writes every digit slanted and looped, and one linear template per digit cannot bend to
    # that, so the writer floor sits lower (benchmarks/RESULTS.md has the worst writer).
    assert min(result["pen_per_class_accuracy"]) >= TARGETS[name][1] - 0.15
    assert min(result["pen_per_writer_accuracy"].values()) >= TARGETS[name][1] - 0.2
    metrics = load_metrics(name)
    assert metrics["pen_accuracy"] == pytest.approx(result["pen_accuracy"], abs=1e-4)
    assert metrics["pen_per_writer_accuracy"] == pytest.approx(result["pen_per_writer_accuracy"], abs=1e-4)


@pytest.mark.pendigits
@pytest.mark.parametrize("name", TARGETS)
def test_the_metrics_say_what_the_model_was_trained_on(name, pen_data):
    trained_on = load_metrics(name)["trained_on"]
    assert trained_on["pen"]["sha256"] == pen_data.sha256
    assert set(trained_on["pen"]["writers"]) == set(FIT_WRITERS)
    assert not set(trained_on["pen"]["writers"]) & set(VALIDATION_WRITERS)
    assert not set(trained_on["pen"]["writers"]) & set(TUNING_WRITERS)  # the verdict is fit on those
    assert trained_on["pen"]["images"] == trained_on["pen"]["digits"] * trained_on["pen"]["renderings_per_digit"]
    assert trained_on["pen"]["digits"] == len(pen_data.by_writers(FIT_WRITERS))
    assert load_metrics(name)["config"]["deskew"]


@pytest.mark.mnist
def test_the_softmax_templates_look_like_digits(mnist_train):
    """Each digit's weights (centred across digits) correlate with the digit's mean training image
    minus the mean of all: what the classroom's "Inside softmax" tab shows must read as digits."""
    correlation = template_correlation(load_model("softmax", "cpu"), mnist_train)
    assert np.mean(correlation) >= 0.6
    assert min(correlation) >= 0.5
    assert load_metrics("softmax")["template_correlation"] == pytest.approx(correlation, abs=1e-4)


@pytest.mark.mnist
@pytest.mark.parametrize("name", TARGETS)
def test_mnist_digits_survive_the_trip_through_a_canvas(name, mnist_test):
    images, labels = redrawn_mnist(mnist_test, count=1000, seed=0)
    assert evaluate_model(load_model(name, "cpu"), images, labels)["accuracy"] >= TARGETS[name][2]


@pytest.fixture(scope="module")
def validation_nondigits(omniglot_data, quickdraw_data):
    return nondigit_sets(omniglot_data, VALIDATION_ALPHABETS) | doodle_sets(quickdraw_data, "validation")


@pytest.mark.pendigits
@pytest.mark.omniglot
@pytest.mark.quickdraw
@pytest.mark.parametrize("name", TARGETS)
def test_shipped_models_call_non_digits_so_and_almost_never_a_digit(name, pen_validation, validation_nondigits):
    """Doodles of things and characters of alphabets never trained on, by people never seen, against
    the validation writers."""
    metrics = load_metrics(name)
    measured = verdict_metrics(load_model(name, "cpu"), metrics["verdict"], pen_validation, validation_nondigits)
    most_digits, fewest_doodles, fewest_characters = VERDICT_TARGETS[name]
    assert measured["digits_flagged"] <= most_digits
    assert measured["non_digits_flagged_doodles"] >= fewest_doodles
    assert measured["non_digits_flagged_alphabets"] >= fewest_characters
    assert measured["auroc"] > 0.9
    # What the metrics JSON says is what the weights do.
    for key in ("digits_flagged", "non_digits_flagged_all", "non_digits_flagged_doodles", "auroc"):
        assert metrics["verdict"][key] == pytest.approx(measured[key], abs=1e-4)
    assert metrics["calibration"]["ece_after"] == pytest.approx(measured["ece_after"], abs=1e-4)
    assert set(measured["non_digits_flagged"]) == {*VALIDATION_ALPHABETS, *APART, DOODLE_SET}


@pytest.mark.pendigits
def test_the_mlp_is_as_sure_as_it_is_right(pen_validation):
    metrics = load_metrics("mlp")
    measured = verdict_metrics(load_model("mlp", "cpu"), metrics["verdict"], pen_validation, {})
    assert measured["ece_after"] <= MLP_CALIBRATION_ERROR


def test_the_mlp_says_not_a_digit_for_what_visitors_draw_for_fun(classifier):
    """Hand-made smileys, stars, crosses, scribbles, letters and hearts: for at least five of the
    kinds, most drawings are called "not a digit" (a B is close to an 8, and may be read as one)."""
    verdicts: dict[str, list[bool]] = {}
    for kind, picture in load_stroke_drawings(FUN_DRAWINGS):
        verdicts.setdefault(kind, []).append(not classifier.read(picture, ["mlp"], source="image")["mlp"].is_digit)
    told = [kind for kind, flagged in verdicts.items() if np.mean(flagged) > 0.5]
    assert len(verdicts) >= 6 and len(told) >= 5, verdicts


@pytest.mark.parametrize("name", TARGETS)
def test_a_non_digit_keeps_ten_probabilities_and_says_how_likely_it_is_no_digit(name, classifier):
    smiley = next(picture for kind, picture in load_stroke_drawings(FUN_DRAWINGS) if kind == "smiley")
    prediction = classifier.read(smiley, [name], source="image")[name]
    assert not prediction.is_digit and prediction.verdict == "not-a-digit"
    assert len(prediction.probabilities) == 10 and sum(prediction.probabilities) == pytest.approx(1)
    assert 1 - prediction.not_a_digit < prediction.threshold  # both models have the "not a digit" output
    assert prediction.as_json()["is_digit"] is False
    assert prediction.as_json()["not_a_digit_probability"] == prediction.not_a_digit
