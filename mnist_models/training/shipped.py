"""Train a new model with a recipe and measure it as the shipped models are measured: the MNIST
test set after every epoch, then the validation writers' pen digits, the verdict (temperature and
"not a digit" threshold) fit on writers it was not trained on, and the record of the run."""

from __future__ import annotations

import dataclasses
import platform
import time
from dataclasses import dataclass

import torch
from torch import nn
from tqdm import tqdm

from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.datasets.pendigits import PenSet
from mnist_models.device import describe_device, generator_on
from mnist_models.evaluation.metrics import (
    evaluate_model,
    fit_verdict,
    pen_metrics,
    template_correlation,
    verdict_metrics,
)
from mnist_models.models.checkpoints import build_model
from mnist_models.training.loop import NOT_A_DIGIT, train_steps
from mnist_models.training.recipes import Recipe
from mnist_models.training.training_data import TrainingSet

# Metrics of the verdict that describe calibration rather than "not a digit".
CALIBRATION_KEYS = ("ece_before", "ece_after", "reliability_before", "reliability_after")


@dataclass(frozen=True)
class TrainingJob:
    """A new model to train and measure, as the training command asks for it (``train_model``)."""

    name: str
    recipe: Recipe
    train: MNISTSplit | TrainingSet
    test: MNISTSplit
    device: torch.device
    seed: int = 0
    progress: bool = True
    config: dict | None = None  # build_model's keyword arguments
    pen_validation: PenSet | None = None
    mnist_train: MNISTSplit | None = None
    calibration: PenSet | None = None
    nondigit_validation: dict[str, torch.Tensor] | None = None


def train_model(job: TrainingJob) -> tuple[nn.Module, dict]:
    """Train a new model ``job.name`` with ``job.recipe``; return it with its per-epoch history and
    final metrics.

    With ``pen_validation`` the metrics include its accuracy overall, per digit and per writer;
    with ``mnist_train`` (or when ``train`` is MNIST's split) a softmax's template correlation;
    with ``calibration`` (pen digits not trained on) its verdict
    (``mnist_models.evaluation.metrics.fit_verdict``), measured on ``pen_validation`` and
    ``nondigit_validation``.
    """
    name, recipe, train, test, device, seed = job.name, job.recipe, job.train, job.test, job.device, job.seed
    torch.manual_seed(seed)
    generator = generator_on(device, seed)
    model = build_model(name, **(job.config or {})).to(device)
    history, result, wall_time = train_epochs(model, name, recipe, train, test, generator, progress=job.progress)

    model.eval()
    metrics = {
        "test_accuracy": result["accuracy"],
        "test_loss": result["loss"],
        "per_class_accuracy": result["per_class_accuracy"],
        "confusion_matrix": [[int(n) for n in row] for row in result["confusion_matrix"]],
    }
    metrics.update(held_out_metrics(model, recipe, job.pen_validation, job.calibration, job.nondigit_validation))
    mnist_train = job.mnist_train if job.mnist_train is not None else train if isinstance(train, MNISTSplit) else None
    if name == "softmax" and mnist_train is not None:
        metrics["template_correlation"] = template_correlation(model, mnist_train)
    metrics.update(
        {
            "epochs": recipe.epochs,
            "recipe": dataclasses.asdict(recipe),
            "config": job.config or {},
            "seed": seed,
            "parameters": sum(p.numel() for p in model.parameters()),
            "curves": history,
            "train_seconds": round(wall_time, 2),
            "device": describe_device(device),
            "torch_version": torch.__version__,
            "python_version": platform.python_version(),
            "data_sha256": {"train": mnist_train.sha256 if mnist_train is not None else None, "test": test.sha256},
        }
    )
    return model, metrics


def train_epochs(
    model: nn.Module,
    name: str,
    recipe: Recipe,
    train: MNISTSplit | TrainingSet,
    test: MNISTSplit,
    generator: torch.Generator,
    *,
    progress: bool = True,
) -> tuple[dict[str, list[float]], dict, float]:
    """Train ``model`` through ``recipe``'s epochs, measuring it on ``test`` at the end of each and
    printing a line: the per-epoch curves, the last epoch's test figures and the seconds taken."""
    device = generator.device
    images, labels = train.as_float().to(device), train.labels.to(device)
    test_images = test.as_float().to(device)
    history: dict[str, list[float]] = {"train_loss": [], "train_accuracy": [], "test_loss": [], "test_accuracy": []}
    # Summed on the device: a .item() per batch would synchronise a GPU every step.
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)

    start = time.perf_counter()
    weights = train.weights(recipe.mnist_weight, recipe.outlier_weight) if isinstance(train, TrainingSet) else None
    steps = train_steps(model, recipe, images, labels, generator, None if weights is None else weights.to(device))
    total = recipe.epochs * -(-len(train) // recipe.batch_size)
    digits = int((train.labels != NOT_A_DIGIT).sum())
    for step in tqdm(steps, total=total, desc=name, leave=False, disable=not progress):
        loss_sum += step.loss * step.size
        correct += step.correct
        if not step.ends_epoch:
            continue
        result = evaluate_model(model, test_images, test.labels)
        history["train_loss"].append(loss_sum.item() / len(train))
        history["train_accuracy"].append(correct.item() / digits)
        history["test_loss"].append(result["loss"])
        history["test_accuracy"].append(result["accuracy"])
        loss_sum.zero_()
        correct.zero_()
        with tqdm.external_write_mode():  # the line goes above the progress bar, not into it
            print(
                f"{name} epoch {step.epoch + 1:>2}/{recipe.epochs}  train loss {history['train_loss'][-1]:.4f}  "
                f"test loss {result['loss']:.4f}  test accuracy {result['accuracy']:.2%}  "
                f"({time.perf_counter() - start:.1f} s)",
                flush=True,
            )
    return history, result, time.perf_counter() - start


def held_out_metrics(
    model: nn.Module,
    recipe: Recipe,
    pen_validation: PenSet | None,
    calibration: PenSet | None,
    nondigit_validation: dict[str, torch.Tensor] | None,
) -> dict:
    """``model``'s figures on what it was not trained on: the pen digits of ``pen_validation``,
    and the verdict fit on ``calibration`` with how it does on the validation digits and non-digits."""
    metrics = {}
    if pen_validation is not None:
        metrics.update(pen_metrics(model, pen_validation))
    if calibration is not None:
        metrics["verdict"] = fit_verdict(model, calibration, recipe.digits_flagged)
        if pen_validation is not None:
            measured = verdict_metrics(model, metrics["verdict"], pen_validation, nondigit_validation or {})
            metrics["calibration"] = {key: measured.pop(key) for key in CALIBRATION_KEYS}
            metrics["verdict"].update(measured)
    return metrics


def tuning_figures(model: nn.Module, verdict: dict, tuning: PenSet, nondigits: dict | None) -> dict:
    """What a recipe is chosen by, recorded beside the validation figures: the accuracy on the
    tuning writers' pen digits and the share of the tuning drawers' non-digits called so."""
    figures = {
        "writers": sorted(set(tuning.writers.tolist())),
        "pen_accuracy": pen_metrics(model, tuning)["pen_accuracy"],
    }
    if nondigits:
        measured = verdict_metrics(model, verdict, tuning, nondigits)
        keys = ("non_digits_flagged_all", "non_digits_flagged_doodles", "non_digits_flagged_alphabets", "auroc")
        figures.update({key: measured[key] for key in keys if key in measured})
    return figures
