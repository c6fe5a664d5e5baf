"""Looking inside the models: the numbers the teaching tabs show are the models' own arithmetic."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.evaluation.predictions import TestSetPredictions
from mnist_models.models import explain


def test_templates_are_the_weight_rows_the_ten_digits_and_not_a_digit(classifier):
    model = classifier.model("softmax")
    templates = explain.softmax_templates(model)
    assert templates.shape == (11, 28, 28)
    assert np.array_equal(templates[3].ravel(), model.linear.weight[3].detach().numpy())
    assert np.array_equal(templates[10].ravel(), model.linear.weight[10].detach().numpy())


@pytest.mark.parametrize("name", ["softmax", "mlp"])
def test_first_layer_templates_are_ten_rows_of_the_first_weights(classifier, name):
    model = classifier.model(name)
    templates = explain.first_layer_templates(model)
    first = next(m for m in model.modules() if isinstance(m, torch.nn.Linear))
    assert templates.shape == (10, 28, 28)
    assert np.array_equal(templates.reshape(10, -1), first.weight[:10].detach().numpy())
    if name == "softmax":
        assert np.array_equal(templates, explain.softmax_templates(model)[:10])  # the digits'; "not a digit" last


@pytest.mark.parametrize("digit", [0, 7, 9])
def test_contributions_add_up_to_the_logit_minus_the_bias(classifier, seven, digit):
    model = classifier.model("softmax")
    seen = model.sees(torch.from_numpy(seven.copy())[None]).view(28, 28).numpy()  # the seven deskewed
    contributions = explain.softmax_contributions(model, seen, digit)
    assert contributions.shape == (28, 28)
    logit = explain.logits(model, seven)[digit]
    assert contributions.sum() == pytest.approx(logit - explain.softmax_bias(model)[digit], abs=1e-4)
    # Paper contributes nothing: only inked pixels carry a share of the score.
    assert np.all(contributions[seen == 0] == 0)


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
    assert [a.shape for a in activations] == [(size,) for size in classifier.model("mlp").hidden_sizes]
    assert all((a >= 0).all() for a in activations)
    assert all(0 < (a > 0).sum() < a.size for a in activations)


def test_a_wrong_size_image_is_refused(classifier):
    with pytest.raises(ValueError, match="28x28"):
        explain.logits(classifier.model("mlp"), np.zeros((20, 20)))


def test_test_set_predictions_filter_mistakes_like_a_confusion_matrix_cell():
    labels = torch.tensor([1, 1, 2, 3, 3, 3])
    split = MNISTSplit(torch.zeros((6, 28, 28), dtype=torch.uint8), labels, "")

    class Fixed(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.anchor = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):  # answers 1, 7, 2, 3, 8, 8 whatever the pixels
            return torch.nn.functional.one_hot(torch.tensor([1, 7, 2, 3, 8, 8])[: len(x)], 10).float()

    test = TestSetPredictions.compute(split, {"fixed": Fixed()})
    assert test.mistakes("fixed").tolist() == [1, 4, 5]
    assert test.mistakes("fixed", true=3).tolist() == [4, 5]
    assert test.mistakes("fixed", true=3, predicted=8).tolist() == [4, 5]
    assert test.mistakes("fixed", predicted=7).tolist() == [1]
    assert test.mistakes("fixed", true=2).tolist() == []
    confusion = test.confusion("fixed")
    assert confusion.sum() == 6 and confusion[3, 8] == 2 and confusion[1, 1] == 1
