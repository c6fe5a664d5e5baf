"""The shipped weights on the real MNIST test set and on drawings - the numbers the README promises."""

from __future__ import annotations

import pytest

from mnist_models.checkpoints import load_metrics, load_model
from mnist_models.evaluate import drawn_digits, evaluate_model, redrawn_mnist

pytestmark = pytest.mark.mnist

# name: (MNIST test accuracy, synthetic drawn digits, MNIST test digits redrawn as canvas pictures)
TARGETS = {"softmax": (0.925, 0.85, 0.90), "mlp": (0.985, 0.97, 0.98)}


@pytest.fixture(scope="module")
def drawn():
    return drawn_digits(per_digit=50, seed=0)


@pytest.mark.parametrize("name", TARGETS)
def test_shipped_weights_reach_the_mnist_target(name, mnist_test):
    result = evaluate_model(load_model(name, "cpu"), mnist_test.as_float(), mnist_test.labels)
    assert result["accuracy"] >= TARGETS[name][0]
    # The metrics shipped beside the weights tell the truth about them.
    assert result["accuracy"] == pytest.approx(load_metrics(name)["test_accuracy"], abs=1e-4)
    assert load_metrics(name)["data_sha256"]["test"] == mnist_test.sha256


@pytest.mark.parametrize("name", TARGETS)
def test_shipped_weights_read_drawn_digits(name, drawn):
    images, labels = drawn
    result = evaluate_model(load_model(name, "cpu"), images, labels)
    assert result["accuracy"] >= TARGETS[name][1]
    # No digit is left behind: every class is read most of the time.
    assert min(result["per_class_accuracy"]) >= TARGETS[name][1] - 0.15


@pytest.mark.parametrize("name", TARGETS)
def test_mnist_digits_survive_the_trip_through_a_canvas(name, mnist_test):
    images, labels = redrawn_mnist(mnist_test, count=1000, seed=0)
    assert evaluate_model(load_model(name, "cpu"), images, labels)["accuracy"] >= TARGETS[name][2]
