"""Train the softmax regression and the MLP on MNIST, held in memory as tensors.

    python -m mnist_models.training --model all --out-dir mnist_models/weights

Each model is written as NAME.safetensors with NAME.json (test accuracy, per-class accuracy,
confusion matrix, per-epoch curves, recipe, timings, versions, checksums, and the verdict: the
temperature and the "not a digit" threshold) and NAME.curves.png, NAME.reliability.png.

By default a model deskews what it reads and trains on MNIST, the pen-drawn digits of writers
1-20 and drawings that are not digits (outlier exposure: Omniglot's training alphabets, Quick,
Draw!'s doodles of the training things, letters and shapes, each pushed towards equal
probabilities for all ten digits, or towards a "not a digit" output for a model that has one).
Writers 21-24 are kept out of training: the temperature and the threshold are fit on them
(``mnist_models.evaluation.metrics.fit_verdict``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from torch import nn

from mnist_models.datasets.mnist import MNISTSplit, load_split
from mnist_models.datasets.omniglot import (
    TRAINING_ALPHABETS,
    TUNING_DRAWERS,
    VALIDATION_ALPHABETS,
    OmniglotData,
    OmniglotDataError,
    load_omniglot,
)
from mnist_models.datasets.pendigits import (
    TUNING_WRITERS,
    VALIDATION_WRITERS,
    PenData,
    PenDataError,
    PenSet,
    load_pendigits,
    validation_set,
)
from mnist_models.datasets.quickdraw import QuickDrawData, QuickDrawDataError, load_quickdraw
from mnist_models.device import describe_device, pick_device
from mnist_models.evaluation.metrics import doodle_sets, nondigit_sets
from mnist_models.models.checkpoints import MODEL_NAMES, save_checkpoint
from mnist_models.pictures import curves_picture, reliability_picture
from mnist_models.training.command_flags import RECIPE_FLAGS, flag_parser, with_variables
from mnist_models.training.recipes import FIT_WRITERS, MLP_ARCHITECTURES, RECIPES, Recipe
from mnist_models.training.shipped import TrainingJob, train_model, tuning_figures
from mnist_models.training.training_data import (
    NondigitPool,
    nondigit_training_data,
    pen_training_data,
    trained_on,
    training_set,
)


# The flags that override a field of the model's recipe, named as the field.
@dataclass(frozen=True)
class Data:
    """Everything a run trains and measures on; what was not found is None."""

    mnist: MNISTSplit
    test: MNISTSplit
    pen: PenData | None
    omniglot: OmniglotData | None
    quickdraw: QuickDrawData | None
    pen_train: PenSet | None  # the pen digits trained on, drawn on the pad
    validation: PenSet | None  # the pen digits measured on
    calibration: PenSet | None  # the pen digits the verdict is fit on
    nondigit_validation: dict[str, torch.Tensor] | None
    nondigit_tuning: dict[str, torch.Tensor] | None


def nondigit_source(args: argparse.Namespace, parser: argparse.ArgumentParser, load, folder, missing: str):
    """``load(folder)``; when it is not there, an exit if the non-digits are trained on, else
    None, saying what goes without it."""
    try:
        return load(folder)
    except (OmniglotDataError, QuickDrawDataError) as error:
        if args.data == "mnist+pen+nondigits":
            parser.exit(2, f"{error}\n")
        print(f"{missing}: {error}")
        return None


def load_data(args: argparse.Namespace, parser: argparse.ArgumentParser) -> Data:
    """The data ``args`` ask for; exits when the pen digits or Omniglot are asked for and missing."""
    mnist, test = load_split("train", args.data_dir), load_split("test", args.data_dir)
    try:
        pen = load_pendigits(args.pen_dir)
    except PenDataError as error:
        if args.data != "mnist":
            parser.exit(2, f"{error}\n")
        pen = None
        print(f"no pen-drawn digits, so no real-drawings figure and no verdict: {error}")
    omniglot, quickdraw = (
        nondigit_source(args, parser, load, folder, missing)
        for load, folder, missing in (
            (load_omniglot, args.omniglot_dir, "no Omniglot drawings, so no non-digit figures"),
            (load_quickdraw, args.quickdraw_dir, "no doodles, so no doodle figures"),
        )
    )
    measured = TUNING_WRITERS if args.tuning else VALIDATION_WRITERS
    use_pen = pen is not None and args.data != "mnist"
    pen_train = pen_training_data(pen, args.pen_renderings) if use_pen else None
    validation = validation_set(pen, measured) if pen is not None else None
    calibration = validation_set(pen, TUNING_WRITERS) if pen is not None and pen.by_writers(TUNING_WRITERS) else None
    nondigit_validation = nondigit_tuning = None
    if omniglot is not None:
        nondigit_tuning = nondigit_sets(omniglot, TRAINING_ALPHABETS, TUNING_DRAWERS)
        nondigit_validation = nondigit_tuning if args.tuning else nondigit_sets(omniglot, VALIDATION_ALPHABETS)
        if quickdraw is not None:
            nondigit_tuning = nondigit_tuning | doodle_sets(quickdraw, "tuning")
            nondigit_validation = (
                nondigit_tuning if args.tuning else nondigit_validation | doodle_sets(quickdraw, "validation")
            )
    if pen is not None:
        print(
            f"pen digits measured on writers {measured[0]}-{measured[-1]}, verdict fit on writers "
            f"{TUNING_WRITERS[0]}-{TUNING_WRITERS[-1]}"
        )
    return Data(
        mnist=mnist,
        test=test,
        pen=pen,
        omniglot=omniglot,
        quickdraw=quickdraw,
        pen_train=pen_train,
        validation=validation,
        calibration=calibration,
        nondigit_validation=nondigit_validation,
        nondigit_tuning=nondigit_tuning,
    )


def recipes_from(args: argparse.Namespace) -> dict[str, Recipe]:
    """Each model asked for, with its recipe as the flags change it."""
    names = MODEL_NAMES if args.model == "all" else (args.model,)
    overrides = {field: getattr(args, field) for field in RECIPE_FLAGS if getattr(args, field) is not None}
    return {name: dataclasses.replace(RECIPES[name], **overrides) for name in names}


def model_config(name: str, recipe: Recipe, args: argparse.Namespace) -> dict:
    """The keyword arguments ``build_model`` gets for ``name``."""
    config = {"deskew": args.deskew, "not_a_digit": recipe.not_a_digit_output}
    if name == "mlp":
        config.update(MLP_ARCHITECTURES[args.arch])
        chosen = (("batch_norm", args.batch_norm), ("dropout", args.dropout), ("hidden_sizes", args.hidden_sizes))
        config.update({key: value for key, value in chosen if value is not None})
    return config


def train_one(
    name: str,
    recipe: Recipe,
    args: argparse.Namespace,
    data: Data,
    nondigit_pool: NondigitPool | None,
    device: torch.device,
) -> tuple[nn.Module, dict]:
    """Train and measure ``name``; of ``nondigit_pool``'s generated non-digits the model trains on
    as many as its recipe says."""
    nondigits = None if nondigit_pool is None else nondigit_pool.images(recipe.generated_nondigits)
    train = training_set(data.mnist, data.pen_train, nondigits)
    print(f"{name}: {len(train)} training images")
    model, metrics = train_model(
        TrainingJob(
            name=name,
            recipe=recipe,
            train=train,
            test=data.test,
            device=device,
            seed=args.seed,
            progress=not args.no_progress,
            config=model_config(name, recipe, args),
            pen_validation=data.validation,
            mnist_train=data.mnist,
            calibration=data.calibration,
            nondigit_validation=data.nondigit_validation,
        )
    )
    if data.calibration is not None and not args.tuning:
        metrics["tuning"] = tuning_figures(model, metrics["verdict"], data.calibration, data.nondigit_tuning)
    metrics["trained_on"] = trained_on(
        data.mnist,
        data.pen,
        data.pen_train,
        FIT_WRITERS,
        omniglot=data.omniglot,
        nondigits=nondigits,
        generated=recipe.generated_nondigits,
        quickdraw=data.quickdraw,
    )
    metrics["preprocessing"] = {"deskew": args.deskew}
    return model, metrics


def save(model: nn.Module, name: str, metrics: dict, out_dir: Path) -> None:
    """The weights, the metrics and their pictures: the curves and, with a verdict, the reliability."""
    save_checkpoint(model, name, metrics, out_dir)
    curves = curves_picture(
        metrics["curves"],
        title=f"{name}: loss and accuracy per epoch, MNIST test accuracy {metrics['test_accuracy']:.2%}",
        legend=("train", "test"),
    )
    Image.fromarray(curves).save(out_dir / f"{name}.curves.png")
    if "calibration" in metrics:
        picture = reliability_picture(
            metrics["calibration"]["reliability_before"], metrics["calibration"]["reliability_after"]
        )
        Image.fromarray(picture).save(out_dir / f"{name}.reliability.png")


def summary(name: str, metrics: dict, out_dir: Path) -> str:
    """One line of the figures a run is judged by."""
    pen_figure = f", real pen digits {metrics['pen_accuracy']:.2%}" if "pen_accuracy" in metrics else ""
    if "non_digits_flagged_all" in metrics.get("verdict", {}):
        verdict = metrics["verdict"]
        groups = [
            f"{group} {verdict[f'non_digits_flagged_{group}']:.1%}"
            for group in ("doodles", "alphabets")
            if f"non_digits_flagged_{group}" in verdict
        ]
        pen_figure += (
            f", non-digits flagged {verdict['non_digits_flagged_all']:.1%} ({', '.join(groups)}) with "
            f"{verdict['digits_flagged']:.2%} of digits (AUROC {verdict['auroc']:.3f}), "
            f"ECE {metrics['calibration']['ece_before']:.2%} -> {metrics['calibration']['ece_after']:.2%}"
        )
    return (
        f"{name}: MNIST test accuracy {metrics['test_accuracy']:.2%}{pen_figure}, "
        f"trained in {metrics['train_seconds']:.1f} s -> {out_dir}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = flag_parser(__doc__)
    args = with_variables(parser.parse_args(argv), os.environ)
    device = pick_device(args.device)
    start = time.perf_counter()
    data = load_data(args, parser)
    out_dir = Path(args.out_dir)
    recipes = recipes_from(args)
    nondigit_pool = None
    if args.data == "mnist+pen+nondigits":
        nondigit_pool = nondigit_training_data(
            data.omniglot, data.quickdraw, max(recipe.generated_nondigits for recipe in recipes.values())
        )
    print(f"data ready in {time.perf_counter() - start:.1f} s")
    print(f"training {', '.join(recipes)} on {describe_device(device)} (torch {torch.__version__})")
    for name, recipe in recipes.items():
        model, metrics = train_one(name, recipe, args, data, nondigit_pool, device)
        save(model, name, metrics, out_dir)
        print(summary(name, metrics, out_dir))
    print(f"all done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
