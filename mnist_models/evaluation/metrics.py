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
from mnist_models.evaluation.verdict import (
    DIGITS_FLAGGED,
    auroc,
    calibrated,
    choose_threshold,
    energy,
    expected_calibration_error,
    fit_temperature,
    histogram,
    reliability,
)
from mnist_models.models.networks import SoftmaxRegression
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
    logits = predict_logits(model, images)
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
    correct = predict_logits(model, pen.images).argmax(1) == pen.labels
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
# The key of the digit-like characters (Latin O, I, S, ...) among the non-digit sets: reported apart.
DIGIT_LIKE_SET = "digit-like"


def nondigit_sets(
    data: OmniglotData, alphabets, drawers=None, renderings: int = NONDIGIT_RENDERINGS, seed: int = VALIDATION_SEED
) -> dict[str, torch.Tensor]:
    """The drawings of ``alphabets`` (by ``drawers``, if given) on the pad, preprocessed: one set
    per alphabet, and the digit-like characters of all of them in DIGIT_LIKE_SET."""
    sets, digit_like = {}, []
    for alphabet in alphabets:
        characters = data.select([alphabet], drawers)
        sets[alphabet] = nondigit_images([c for c in characters if not is_digit_like(c)], renderings, seed)
        digit_like += [c for c in characters if is_digit_like(c)]
    sets[DIGIT_LIKE_SET] = nondigit_images(digit_like, renderings, seed)
    return sets


def fit_verdict(model: nn.Module, calibration: PenSet, digits_flagged: float = DIGITS_FLAGGED) -> dict:
    """The temperature and the "not a digit" threshold of ``model``, fit on ``calibration``:
    pen digits of writers it was not trained on (see ``verdict``)."""
    logits = predict_logits(model, calibration.images)
    temperature = fit_temperature(logits, calibration.labels)
    threshold = choose_threshold(calibrated(logits, temperature).max(1).values, digits_flagged)
    return {
        "score": "top_probability",
        "temperature": temperature,
        "threshold": threshold,
        "fit_on": {"writers": sorted(set(calibration.writers.tolist())), "digits_flagged": digits_flagged},
    }


def verdict_metrics(model: nn.Module, verdict: dict, digits: PenSet, nondigits: dict[str, torch.Tensor]) -> dict:
    """How ``verdict`` (from ``fit_verdict``) does on ``digits`` (pen digits of other writers) and
    ``nondigits`` (name -> images, the DIGIT_LIKE_SET reported apart): digits flagged, non-digits
    flagged per set, AUROC of the top probability (and of the energy score, for comparison), the
    curve of non-digits flagged against digits flagged, calibration error before and after, and
    the histogram of top probabilities the classroom shows."""
    temperature, threshold = verdict["temperature"], verdict["threshold"]
    logits = predict_logits(model, digits.images)
    raw, probabilities = logits.softmax(1), calibrated(logits, temperature)
    top = probabilities.max(1).values
    result = {
        "digits_flagged": (top < threshold).float().mean().item(),
        "ece_before": expected_calibration_error(raw, digits.labels),
        "ece_after": expected_calibration_error(probabilities, digits.labels),
        "reliability_before": reliability(raw, digits.labels),
        "reliability_after": reliability(probabilities, digits.labels),
    }
    others, other_logits, flagged = [], [], {}
    for name, images in nondigits.items():
        if not len(images):
            continue
        set_logits = predict_logits(model, images)
        set_top = calibrated(set_logits, temperature).max(1).values
        flagged[name] = (set_top < threshold).float().mean().item()
        if name != DIGIT_LIKE_SET:
            others.append(set_top)
            other_logits.append(set_logits)
    result["non_digits_flagged"] = flagged
    if others:
        other_top, other_logits = torch.cat(others), torch.cat(other_logits)
        result["non_digits_flagged_all"] = (other_top < threshold).float().mean().item()
        result["auroc"] = auroc(top, other_top)
        result["energy_auroc"] = auroc(energy(logits, temperature), energy(other_logits, temperature))
        result["curve"] = [
            {
                "digits_flagged": share,
                "non_digits_flagged": (other_top < choose_threshold(top, share)).float().mean().item(),
            }
            for share in CURVE_DIGITS_FLAGGED
        ]
        result["histogram"] = histogram(top, other_top)
    return result


def template_correlation(model: SoftmaxRegression, train: MNISTSplit) -> list[float]:
    """Per digit, how much the softmax's template looks like the digit: the Pearson correlation
    of its weight row (centred across the ten digits, which changes no prediction) with the
    digit's mean training image minus the mean of all training images, the images as the model
    sees them (deskewed, if it deskews)."""
    weights = model.linear.weight.detach().float().cpu().numpy()
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
