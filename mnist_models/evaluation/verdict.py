"""Whether a drawing is a digit at all, and how sure a model is: temperature and threshold.

A softmax always spreads its probability over the ten digits, so a smiley still gets a "most
likely digit". Two numbers, both fit on drawings the model was not trained on, turn its output
into a verdict a person can trust:

- the **temperature** T (Guo et al. 2017, "On calibration of modern neural networks"): the
  probabilities are softmax(logits / T), with T chosen to minimise the negative log-likelihood
  of held-out digits, so that "90 % sure" is right about nine times in ten;
- the **threshold**: the top calibrated probability below which the model says "this does not
  look like a digit" (the max-softmax baseline of Hendrycks & Gimpel 2017), set so that only a
  small, chosen share of each held-out writer's digits falls below it. Models trained with outlier exposure
  (``mnist_models.training.loop.loss_fn``: non-digits pushed towards equal probabilities) keep
  non-digits below it.

A model with an eleventh output, "not a digit" (``networks.DigitModel``), is trained to put
non-digits there; its score is the chance that a drawing is a digit at all, 1 minus that output's
calibrated probability (``digit_score``), and the threshold is chosen on it the same way. Either
way the ten digits' probabilities (``calibrated``) sum to one.
"""

from __future__ import annotations

import numpy as np
import torch

from mnist_models.models.networks import CLASSES, digit_logits

# The share of held-out digits the threshold is allowed to call "not a digit".
DIGITS_FLAGGED = 0.005
# Temperatures tried when fitting, evenly spaced in log T.
TEMPERATURES = np.exp(np.linspace(np.log(0.2), np.log(10.0), 400))
HISTOGRAM_BINS = 20
CALIBRATION_BINS = 15


def calibrated(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """The ten digits' probabilities softmax(digit logits / T), (N, 10)."""
    return (digit_logits(logits).float() / temperature).softmax(1)


def not_a_digit_chance(logits: torch.Tensor, temperature: float) -> torch.Tensor | None:
    """The calibrated probability of the eleventh output, "not a digit", (N,); None for a model
    with ten outputs."""
    if logits.shape[1] == CLASSES:
        return None
    return (logits.float() / temperature).softmax(1)[:, CLASSES]


def digit_score(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """How much each drawing looks like a digit, (N,), the higher the more: for a model with a
    "not a digit" output, the chance that it is a digit at all; otherwise its top calibrated
    probability. A score below the model's threshold is "not a digit"."""
    chance = not_a_digit_chance(logits, temperature)
    return calibrated(logits, temperature).max(1).values if chance is None else 1 - chance


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature T that minimises the mean negative log-likelihood of ``labels`` among the
    ten digits."""
    logits, labels = digit_logits(logits).float(), labels.long()
    losses = [torch.nn.functional.cross_entropy(logits / t, labels).item() for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(losses))])


def choose_threshold(
    scores: torch.Tensor, digits_flagged: float = DIGITS_FLAGGED, writers: torch.Tensor | None = None
) -> float:
    """The score (``digit_score``) below which ``digits_flagged`` of these (held-out) digits fall;
    with each digit's writer, the lowest of the writers' own such scores, so that no writer has
    more than ``digits_flagged`` of their digits flagged (people differ more than digits do: a
    threshold that flags a share of everyone's digits together flags several times that share
    of a new writer's with an unusual hand)."""
    if writers is None:
        return float(torch.quantile(scores.double(), digits_flagged))
    return min(float(torch.quantile(scores[writers == w].double(), digits_flagged)) for w in writers.unique())


def expected_calibration_error(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = CALIBRATION_BINS):
    """The mean gap between confidence and accuracy, over equal-width confidence bins weighted by
    how many predictions fall in each (Guo et al. 2017)."""
    confidence, predicted = probabilities.max(1)
    correct = (predicted == labels).double()
    index = (confidence.double() * bins).long().clamp(max=bins - 1)
    error = 0.0
    for b in range(bins):
        members = index == b
        if members.any():
            error += members.double().mean().item() * abs(
                confidence[members].double().mean().item() - correct[members].mean().item()
            )
    return error


def reliability(probabilities: torch.Tensor, labels: torch.Tensor, bins: int = 10) -> dict:
    """Per equal-width confidence bin: mean confidence, accuracy and count (a reliability diagram)."""
    confidence, predicted = probabilities.max(1)
    correct = (predicted == labels).double()
    index = (confidence.double() * bins).long().clamp(max=bins - 1)
    rows = {"edges": np.linspace(0, 1, bins + 1).round(3).tolist(), "confidence": [], "accuracy": [], "count": []}
    for b in range(bins):
        members = index == b
        count = int(members.sum())
        rows["count"].append(count)
        rows["confidence"].append(confidence[members].double().mean().item() if count else None)
        rows["accuracy"].append(correct[members].mean().item() if count else None)
    return rows


def auroc(digit_scores: torch.Tensor, other_scores: torch.Tensor) -> float:
    """The chance that a random digit scores higher than a random non-digit (ties count half)."""
    digits, others = digit_scores.double().flatten(), other_scores.double().flatten()
    ranks = torch.cat([digits, others]).argsort().argsort().double()
    # Average ranks over ties, so equal scores count half either way.
    values = torch.cat([digits, others])
    unique, inverse = values.unique(return_inverse=True)
    mean_rank = torch.zeros(len(unique), dtype=torch.double).index_add_(0, inverse, ranks)
    mean_rank /= torch.bincount(inverse, minlength=len(unique)).double()
    digit_ranks = mean_rank[inverse[: len(digits)]]
    return float((digit_ranks.sum() - len(digits) * (len(digits) - 1) / 2) / (len(digits) * len(others)))


def histogram(digit_scores: torch.Tensor, other_scores: torch.Tensor, bins: int = HISTOGRAM_BINS) -> dict:
    """The share of digits and of non-digits in each equal-width bin of top probability, 0 to 1."""
    edges = np.linspace(0, 1, bins + 1)

    def shares(scores: torch.Tensor) -> list[float]:
        counts, _ = np.histogram(scores.double().clamp(0, 1).numpy(), edges)
        return (counts / max(1, counts.sum())).round(4).tolist()

    return {"edges": edges.round(3).tolist(), "digits": shares(digit_scores), "not_digits": shares(other_scores)}


def energy(logits: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
    """The (negative) energy score T logsumexp(logits / T) of Liu et al. 2020: higher for digits."""
    return temperature * torch.logsumexp(digit_logits(logits).float() / temperature, 1)
