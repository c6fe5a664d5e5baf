"""How well a model reads, as numbers: the MNIST test set, real pen-drawn digits drawn on the pad,
MNIST redrawn as canvas pictures, and the verdict ("not a digit" and how sure) on digits and
non-digits it was not trained on."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from mnist_models.datasets.drawings import redraw_mnist
from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.datasets.omniglot import OmniglotData, is_digit_like, nondigit_images
from mnist_models.datasets.pendigits import VALIDATION_SEED, PenSet
from mnist_models.datasets.quickdraw import QuickDrawData, doodle_images
from mnist_models.evaluation.verdict import (
    DIGITS_FLAGGED,
    auroc,
    calibrated,
    choose_threshold,
    digit_score,
    energy,
    expected_calibration_error,
    fit_temperature,
    histogram,
    reliability,
)
from mnist_models.models.networks import SoftmaxRegression, digit_logits
from mnist_models.reading.preprocess import preprocess


@torch.inference_mode()
def predict_logits(model: nn.Module, images: torch.Tensor, batch_size: int = 5000) -> torch.Tensor:
    """Logits for ``images`` (N, 1, 28, 28) in the input contract, computed in batches on the model's device."""
    device = next(model.parameters()).device
    return torch.cat(
        [model(images[i : i + batch_size].to(device)).float().cpu() for i in range(0, len(images), batch_size)]
    )


def confusion_matrix(labels: torch.Tensor, predictions: torch.Tensor, classes: int = 10) -> torch.Tensor:
    """Counts with true labels in rows and predicted labels in columns."""
    return torch.bincount(labels * classes + predictions, minlength=classes * classes).view(classes, classes)


def evaluate_model(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> dict:
    """Loss, accuracy, per-class accuracy and confusion matrix of ``model`` on float ``images``."""
    was_training = model.training
    model.eval()
    logits = digit_logits(predict_logits(model, images))
    model.train(was_training)
    labels = labels.cpu()
    predictions = logits.argmax(1)
    confusion = confusion_matrix(labels, predictions)
    return {
        "loss": F.cross_entropy(logits, labels).item(),
        "accuracy": (predictions == labels).float().mean().item(),
        "per_class_accuracy": (confusion.diag() / confusion.sum(1).clamp(min=1)).tolist(),
        "confusion_matrix": confusion.tolist(),
    }


def pen_metrics(model: nn.Module, pen: PenSet) -> dict:
    """Accuracy on pen-drawn digits overall, per digit and per writer, and their confusion matrix."""
    result = evaluate_model(model, pen.images, pen.labels)
    was_training = model.training
    model.eval()
    correct = digit_logits(predict_logits(model, pen.images)).argmax(1) == pen.labels
    model.train(was_training)
    return {
        "pen_accuracy": result["accuracy"],
        "pen_per_class_accuracy": result["per_class_accuracy"],
        "pen_per_writer_accuracy": {
            str(writer): correct[pen.writers == writer].float().mean().item()
            for writer in pen.writers.unique().tolist()
        },
        "pen_confusion_matrix": [[int(n) for n in row] for row in result["confusion_matrix"]],
    }


# Each non-digit of a measuring set is drawn this many times (sizes and places differ).
NONDIGIT_RENDERINGS = 2
# Digits kept (1 - the share of digits flagged) at which the "not a digit" curve is reported.
CURVE_DIGITS_FLAGGED = (0.005, 0.01, 0.02, 0.05, 0.10, 0.20)
# The keys of the non-digit sets: the digit-like characters (Latin O, I, S, ...) and the doodles
# of digit-like things (a donut, a hockey stick) are reported apart; every other Omniglot set is an
# alphabet.
DIGIT_LIKE_SET = "digit-like"
DOODLE_SET = "doodles"
DIGIT_LIKE_DOODLE_SET = "digit-like doodles"
APART = (DIGIT_LIKE_SET, DIGIT_LIKE_DOODLE_SET)


def nondigit_sets(
    data: OmniglotData, alphabets, drawers=None, renderings: int = NONDIGIT_RENDERINGS, seed: int = VALIDATION_SEED
) -> dict[str, torch.Tensor]:
    """The drawings of ``alphabets`` (by ``drawers``, if given) on the pad, preprocessed: one set
    per alphabet, and the digit-like characters of all of them in DIGIT_LIKE_SET."""
    sets, digit_like_characters = {}, []
    for alphabet in alphabets:
        characters = data.select([alphabet], drawers)
        sets[alphabet] = nondigit_images([c for c in characters if not is_digit_like(c)], renderings, seed)
        digit_like_characters += [c for c in characters if is_digit_like(c)]
    sets[DIGIT_LIKE_SET] = nondigit_images(digit_like_characters, renderings, seed)
    return sets


def doodle_sets(
    data: QuickDrawData, split: str, renderings: int = NONDIGIT_RENDERINGS, seed: int = VALIDATION_SEED
) -> dict[str, torch.Tensor]:
    """The doodles of ``split``'s things (``QuickDrawData.split``) on the pad, preprocessed, in
    DOODLE_SET, and those of the digit-like things in DIGIT_LIKE_DOODLE_SET."""
    return {
        DOODLE_SET: doodle_images(data.of(data.split(split)), renderings, seed),
        DIGIT_LIKE_DOODLE_SET: doodle_images(data.of(data.split("digit-like")), renderings, seed),
    }


def fit_verdict(model: nn.Module, calibration: PenSet, digits_flagged: float = DIGITS_FLAGGED) -> dict:
    """The temperature and the "not a digit" threshold of ``model``, fit on ``calibration``:
    pen digits of writers it was not trained on (see ``verdict``)."""
    logits = predict_logits(model, calibration.images)
    temperature = fit_temperature(logits, calibration.labels)
    threshold = choose_threshold(digit_score(logits, temperature), digits_flagged, calibration.writers)
    return {
        "score": "top_probability" if logits.shape[1] == 10 else "digit_chance",
        "temperature": temperature,
        "threshold": threshold,
        "fit_on": {
            "writers": sorted(set(calibration.writers.tolist())),
            "digits_flagged": digits_flagged,
            "rule": "at most digits_flagged of each writer's digits",
        },
    }


def verdict_metrics(model: nn.Module, verdict: dict, digits: PenSet, nondigits: dict[str, torch.Tensor]) -> dict:
    """How ``verdict`` (from ``fit_verdict``) does on ``digits`` (pen digits of other writers) and
    ``nondigits`` (name -> images, the sets of APART reported apart): digits flagged, overall and
    by writer; non-digits flagged per set, all together, the doodles and the alphabets; AUROC of
    the score (and of the energy score, for comparison); the curve of non-digits flagged against
    digits flagged; calibration error before and after; and the histogram of scores the
    classroom shows."""
    temperature, threshold = verdict["temperature"], verdict["threshold"]
    logits = predict_logits(model, digits.images)
    raw, probabilities = calibrated(logits, 1.0), calibrated(logits, temperature)
    top = digit_score(logits, temperature)
    flagged_digits = top < threshold
    result = {
        "digits_flagged": flagged_digits.float().mean().item(),
        "digits_flagged_by_writer": {
            str(writer): flagged_digits[digits.writers == writer].float().mean().item()
            for writer in digits.writers.unique().tolist()
        },
        "ece_before": expected_calibration_error(raw, digits.labels),
        "ece_after": expected_calibration_error(probabilities, digits.labels),
        "reliability_before": reliability(raw, digits.labels),
        "reliability_after": reliability(probabilities, digits.labels),
    }
    scores, energies = {}, {}
    for name, images in nondigits.items():
        if len(images):
            set_logits = predict_logits(model, images)
            scores[name], energies[name] = digit_score(set_logits, temperature), energy(set_logits, temperature)
    result["non_digits_flagged"] = {name: (score < threshold).float().mean().item() for name, score in scores.items()}
    groups = {
        "all": [name for name in scores if name not in APART],
        "doodles": [name for name in scores if name == DOODLE_SET],
        "alphabets": [name for name in scores if name not in APART and name != DOODLE_SET],
    }
    pooled = {group: torch.cat([scores[name] for name in names]) for group, names in groups.items() if names}
    for group, pooled_scores in pooled.items():
        result[f"non_digits_flagged_{group}"] = (pooled_scores < threshold).float().mean().item()
    if "all" in pooled:
        other_energy = torch.cat([energies[name] for name in groups["all"]])
        result["auroc"] = auroc(top, pooled["all"])
        result["energy_auroc"] = auroc(energy(logits, temperature), other_energy)
        result["curve"] = [
            {"digits_flagged": share}
            | {
                f"non_digits_flagged_{group}": (pooled_scores < choose_threshold(top, share)).float().mean().item()
                for group, pooled_scores in pooled.items()
            }
            for share in CURVE_DIGITS_FLAGGED
        ]
        result["histogram"] = histogram(top, pooled["all"])
    return result


def template_correlation(model: SoftmaxRegression, train: MNISTSplit) -> list[float]:
    """Per digit, how much the softmax's template looks like the digit: the Pearson correlation
    of its weight row (centred across the ten digits, which changes no prediction) with the
    digit's mean training image minus the mean of all training images, the images as the model
    sees them (deskewed, if it deskews)."""
    weights = model.linear.weight.detach().float().cpu().numpy()[:10]  # a "not a digit" template is not a digit's
    weights = weights - weights.mean(0)
    with torch.inference_mode():
        images = model.sees(train.as_float()).numpy()
    labels = train.labels.numpy()
    overall = images.mean(0)
    return [float(np.corrcoef(weights[d], images[labels == d].mean(0) - overall)[0, 1]) for d in range(10)]


def redrawn_mnist(
    split: MNISTSplit, count: int = 1000, seed: int = 0, canvas: int = 400
) -> tuple[torch.Tensor, torch.Tensor]:
    """The first ``count`` digits of ``split`` redrawn as canvas pictures (upscaled, off-centre,
    half on transparent and half on white paper) and preprocessed back to 28x28."""
    rng = np.random.default_rng(seed)
    images = [
        preprocess(redraw_mnist(split.images[i].numpy(), rng, canvas, "transparent" if i % 2 else "white"))
        for i in range(count)
    ]
    return torch.from_numpy(np.stack(images)).unsqueeze(1), split.labels[:count].clone()
