"""Whether a drawing is a digit, and how sure: temperature scaling, the threshold, and the figures
that judge them (mnist_models/evaluation/verdict.py), and the "not a digit" output."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from mnist_models.evaluation import verdict
from mnist_models.models.checkpoints import build_model
from mnist_models.models.deskew import deskew
from mnist_models.training.loop import NOT_A_DIGIT, loss_fn


def sampled_logits(temperature: float, n: int = 20000, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits whose labels are drawn from softmax(logits / temperature): a model exactly that
    much over-confident."""
    generator = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, 10, generator=generator) * 4
    labels = torch.multinomial((logits / temperature).softmax(1), 1, generator=generator).squeeze(1)
    return logits, labels


@pytest.mark.parametrize("temperature", [0.7, 1.0, 2.5])
def test_the_fitted_temperature_is_the_one_the_labels_were_drawn_at(temperature):
    logits, labels = sampled_logits(temperature)
    assert verdict.fit_temperature(logits, labels) == pytest.approx(temperature, rel=0.08)


def test_temperature_scaling_brings_the_calibration_error_down():
    logits, labels = sampled_logits(2.5)
    fitted = verdict.fit_temperature(logits, labels)
    before = verdict.expected_calibration_error(logits.softmax(1), labels)
    after = verdict.expected_calibration_error(verdict.calibrated(logits, fitted), labels)
    assert before > 0.1 and after < 0.02


def test_the_threshold_flags_the_chosen_share_of_held_out_digits():
    top = torch.rand(10000, generator=torch.Generator().manual_seed(1)) * 0.5 + 0.5
    threshold = verdict.choose_threshold(top, 0.01)
    assert (top < threshold).float().mean().item() == pytest.approx(0.01, abs=0.002)


def test_with_writers_the_threshold_flags_at_most_the_share_of_any_one_writer():
    generator = torch.Generator().manual_seed(2)
    steady = torch.rand(5000, generator=generator) * 0.2 + 0.8  # a writer the model is sure of
    unusual = torch.rand(5000, generator=generator) * 0.8 + 0.2  # one it often is not
    scores, writers = torch.cat([steady, unusual]), torch.cat([torch.zeros(5000), torch.ones(5000)])
    pooled, each = verdict.choose_threshold(scores, 0.01), verdict.choose_threshold(scores, 0.01, writers)
    assert (scores < pooled).float().mean().item() == pytest.approx(0.01, abs=0.002)
    assert (unusual < pooled).float().mean().item() > 0.015  # the pooled rule flags more of the unusual hand
    assert each <= pooled
    for writer in (steady, unusual):
        assert (writer < each).float().mean().item() <= 0.0102


def test_auroc_is_one_for_separated_scores_a_half_for_equal_ones_and_counts_ties_half():
    assert verdict.auroc(torch.tensor([0.9, 0.8]), torch.tensor([0.1, 0.2, 0.3])) == 1.0
    assert verdict.auroc(torch.tensor([0.1, 0.2]), torch.tensor([0.8, 0.9])) == 0.0
    assert verdict.auroc(torch.tensor([0.5, 0.5]), torch.tensor([0.5, 0.5])) == 0.5
    digits, others = torch.rand(300), torch.rand(200)
    pairs = (digits[:, None] > others[None, :]).double().mean().item()
    assert verdict.auroc(digits, others) == pytest.approx(pairs)


def test_the_histogram_gives_each_kind_its_own_shares():
    result = verdict.histogram(torch.tensor([0.99, 0.97, 0.96, 0.5]), torch.tensor([0.21, 0.22]))
    assert len(result["edges"]) == verdict.HISTOGRAM_BINS + 1
    assert sum(result["digits"]) == pytest.approx(1) and sum(result["not_digits"]) == pytest.approx(1)
    assert result["digits"][-1] == pytest.approx(0.75) and result["not_digits"][4] == pytest.approx(1)


def test_reliability_rows_count_every_prediction_once():
    logits, labels = sampled_logits(1.0, n=1000)
    rows = verdict.reliability(logits.softmax(1), labels)
    assert sum(rows["count"]) == 1000 and len(rows["accuracy"]) == len(rows["edges"]) - 1


@pytest.mark.parametrize("kind", ["cross_entropy", "mse"])
def test_training_pushes_a_non_digit_towards_equal_probabilities(kind):
    logits = torch.tensor([[5.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]], requires_grad=True)
    labels = torch.tensor([NOT_A_DIGIT])
    loss_fn(logits, labels, kind).backward()
    assert logits.grad[0, 0] > 0 and (logits.grad[0, 1:] < 0).all()  # down the claimed digit, up the rest
    uniform = torch.zeros(1, 10, requires_grad=True)
    loss_fn(uniform, labels, kind).backward()
    assert uniform.grad.abs().max() < 1e-6  # equal probabilities are where it wants to be


@pytest.mark.parametrize("kind", ["cross_entropy", "mse"])
def test_a_model_with_a_not_a_digit_output_is_trained_to_put_non_digits_there(kind):
    logits = torch.zeros(2, 11, requires_grad=True)
    loss_fn(logits, torch.tensor([NOT_A_DIGIT, 3]), kind).backward()
    assert logits.grad[0, 10] < 0 and (logits.grad[0, :10] > 0).all()  # up "not a digit", down every digit
    assert logits.grad[1, 3] < 0 and logits.grad[1, 10] > 0  # a digit: up its own, down "not a digit"


def test_the_score_is_the_top_probability_or_the_chance_of_a_digit_at_all():
    ten = torch.tensor([[4.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
    top = verdict.calibrated(ten, 1.0).max(1).values
    assert verdict.not_a_digit_chance(ten, 1.0) is None
    assert torch.equal(verdict.digit_score(ten, 1.0), top)
    eleven = torch.cat([ten, torch.tensor([[6.0]])], 1)
    chance = verdict.not_a_digit_chance(eleven, 1.0)
    assert chance.item() == pytest.approx(eleven.softmax(1)[0, 10].item())
    assert verdict.digit_score(eleven, 1.0).item() == pytest.approx(1 - chance.item())
    # The ten digits' probabilities are the same with or without the eleventh, and sum to one.
    assert torch.allclose(verdict.calibrated(eleven, 2.0), verdict.calibrated(ten, 2.0))
    assert verdict.fit_temperature(eleven.repeat(5, 1), torch.zeros(5, dtype=torch.long)) == pytest.approx(
        verdict.fit_temperature(ten.repeat(5, 1), torch.zeros(5, dtype=torch.long))
    )


@pytest.mark.parametrize("name", ["softmax", "mlp"])
def test_a_model_with_a_not_a_digit_output_has_eleven_outputs_and_one_template_more(name):
    model = build_model(name, not_a_digit=True).eval()
    assert model(torch.rand(3, 1, 28, 28)).shape == (3, 11)
    assert build_model(name).eval()(torch.rand(3, 1, 28, 28)).shape == (3, 10)
    if name == "softmax":
        assert model.linear.weight.shape == (11, 784)


@pytest.mark.parametrize("name", ["softmax", "mlp"])
def test_a_deskewing_model_reads_exactly_what_deskew_makes_of_its_input(name):
    torch.manual_seed(0)
    model = build_model(name, deskew=True).eval()
    plain = build_model(name, deskew=False).eval()
    plain.load_state_dict(model.state_dict())
    x = torch.rand(4, 1, 28, 28)
    assert torch.allclose(model(x), plain(deskew(x)), atol=1e-5)
    assert np.allclose(model.sees(x).numpy(), deskew(x).flatten(1).numpy())
