"""The classroom's pictures: RGB images a screen can show, drawn from the models' numbers."""

from __future__ import annotations

import numpy as np

from mnist_models import pictures
from mnist_models.models import explain

EMPTY_CURVES = {"x": [], "train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": []}


def assert_is_a_picture(picture: np.ndarray) -> None:
    assert picture.ndim == 3 and picture.shape[2] == 3 and picture.dtype == np.uint8
    assert picture.shape[0] >= 200 and picture.shape[1] >= 300
    assert picture.std() > 0  # something was drawn


def test_pictures_are_rgb_images(classifier, seven):
    metrics = classifier.metrics["mlp"]
    for picture in [
        pictures.templates_picture(explain.softmax_templates(classifier.model("softmax"))),
        pictures.contributions_picture(seven, [("→ 7", seven - 0.5), ("→ 1", -seven)]),
        pictures.activations_picture(explain.hidden_activations(classifier.model("mlp"), seven)),
        pictures.confusion_picture(metrics["confusion_matrix"]),
        pictures.per_class_picture(metrics["per_class_accuracy"], metrics["pen_per_class_accuracy"]),
        pictures.curves_picture(metrics["curves"]),
        pictures.curves_picture(EMPTY_CURVES, epochs=3),
    ]:
        assert_is_a_picture(picture)


def test_a_saved_curves_picture_carries_its_title_and_legend(classifier):
    curves = classifier.metrics["softmax"]["curves"]
    bare = pictures.curves_picture(curves)
    worded = pictures.curves_picture(curves, title="softmax: test accuracy", legend=("train", "test"))
    assert_is_a_picture(worded)
    assert worded.shape == bare.shape and not np.array_equal(worded, bare)


def test_templates_are_red_where_weights_are_positive_and_white_at_zero():
    templates = np.zeros((10, 28, 28))
    templates[3, 10:18, 10:18] = 1.0  # only digit 3's template has any weight, all of it positive
    picture = pictures.templates_picture(templates).astype(int)
    # Positive weights are red; zero weights white, not the blue of the scale's negative end.
    red = (picture[..., 0] - picture[..., 2]) > 50
    blue = (picture[..., 2] - picture[..., 0]) > 50
    assert red.sum() > 100 and blue.sum() == 0


def test_enlarge_shows_ink_dark_on_white():
    image = np.zeros((28, 28), np.uint8)
    image[10, 10] = 255
    big = pictures.enlarge(image, 4)
    assert big.shape == (112, 112) and big[41, 41] == 0 and big[0, 0] == 255
    assert np.array_equal(pictures.enlarge(image.astype(np.float32) / 255, 4), big)
