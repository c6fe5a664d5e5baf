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
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image
from torch import nn

from mnist_models.datasets.mnist import MNISTSplit, load_split
from mnist_models.datasets.omniglot import (
    OMNIGLOT_DIR_ENV,
    TRAINING_ALPHABETS,
    TUNING_DRAWERS,
    VALIDATION_ALPHABETS,
    OmniglotData,
    OmniglotDataError,
    load_omniglot,
)
from mnist_models.datasets.pendigits import (
    FILE_NAME,
    PENDIGITS_DIR_ENV,
    TUNING_WRITERS,
    VALIDATION_WRITERS,
    PenData,
    PenDataError,
    PenSet,
    load_pendigits,
    validation_set,
)
from mnist_models.datasets.quickdraw import QUICKDRAW_DIR_ENV, QuickDrawData, QuickDrawDataError, load_quickdraw
from mnist_models.device import describe_device, pick_device
from mnist_models.evaluation.metrics import doodle_sets, nondigit_sets
from mnist_models.evaluation.verdict import DIGITS_FLAGGED
from mnist_models.models.checkpoints import MODEL_NAMES, save_checkpoint
from mnist_models.pictures import curves_picture, reliability_picture
from mnist_models.training.augment import AUGMENTATIONS
from mnist_models.training.recipes import FIT_WRITERS, MLP_ARCHITECTURES, PEN_RENDERINGS, RECIPES, Recipe
from mnist_models.training.shipped import train_model, tuning_figures
from mnist_models.training.training_data import (
    NondigitPool,
    nondigit_training_data,
    pen_training_data,
    trained_on,
    training_set,
)

# The flags that override a field of the model's recipe, named as the field.
RECIPE_FLAGS = (
    "epochs",
    "batch_size",
    "lr",
    "optimizer",
    "loss",
    "schedule",
    "augment",
    "weight_decay",
    "smoothness",
    "mnist_weight",
    "outlier_weight",
    "digits_flagged",
    "generated_nondigits",
    "not_a_digit_output",
)


def flag_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_models.training",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_data_flags(parser)
    add_recipe_flags(parser)
    add_run_flags(parser)
    return parser


def add_data_flags(parser: argparse.ArgumentParser) -> None:
    """Which models, what they train on and how they read it."""
    parser.add_argument("--model", choices=[*MODEL_NAMES, "all"], default="all")
    parser.add_argument(
        "--data",
        choices=["mnist+pen+nondigits", "mnist+pen", "mnist"],
        default="mnist+pen+nondigits",
        help="MNIST, the pen-drawn digits of the training writers and drawings that are not digits (default); "
        "without the non-digits; or MNIST alone (the tutorials)",
    )
    parser.add_argument("--pen-dir", help=f"folder with {FILE_NAME}[.gz] (default: ${PENDIGITS_DIR_ENV})")
    parser.add_argument("--omniglot-dir", help=f"folder with the Omniglot strokes zip (default: ${OMNIGLOT_DIR_ENV})")
    parser.add_argument(
        "--quickdraw-dir", help=f"folder with the Quick, Draw! doodles file (default: ${QUICKDRAW_DIR_ENV})"
    )
    parser.add_argument(
        "--generated-nondigits",
        type=int,
        help="letters, shapes and scribbles generated as non-digits, besides Omniglot's (default: the model's recipe)",
    )
    parser.add_argument(
        "--deskew",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="straighten each digit's slant before the model reads it (default: on)",
    )
    parser.add_argument(
        "--pen-renderings", type=int, default=PEN_RENDERINGS, help="pad drawings per pen digit (default %(default)s)"
    )
    parser.add_argument(
        "--arch",
        choices=["shipped", "tutorial"],
        default="shipped",
        help="MLP layer sizes: the shipped model's, or the tutorial's 784-256-256-256-128-128-10",
    )


def add_recipe_flags(parser: argparse.ArgumentParser) -> None:
    """Overrides of the model's recipe (RECIPE_FLAGS), and of the MLP's layers."""
    parser.add_argument("--epochs", type=int, help="default: the model's recipe")
    parser.add_argument("--batch-size", type=int, help="default: the model's recipe")
    parser.add_argument("--lr", type=float, help="default: the model's recipe")
    parser.add_argument("--optimizer", choices=["sgd", "adamw"], help="default: the model's recipe")
    parser.add_argument("--loss", choices=["cross_entropy", "mse"], help="default: the model's recipe")
    parser.add_argument("--schedule", choices=["cosine", "constant"], help="default: cosine")
    parser.add_argument("--augment", choices=list(AUGMENTATIONS), help="default: the model's recipe")
    parser.add_argument("--weight-decay", type=float, help="default: the model's recipe")
    parser.add_argument("--smoothness", type=float, help="softmax: template smoothness penalty (default: the recipe's)")
    parser.add_argument(
        "--mnist-weight", type=float, help="an MNIST image's weight in the loss, a pen digit's being 1 (default 1)"
    )
    parser.add_argument(
        "--outlier-weight", type=float, help="a non-digit's weight in the loss, a digit's being 1 (default 1)"
    )
    parser.add_argument(
        "--digits-flagged",
        type=float,
        help=f"the share of held-out digits the 'not a digit' threshold may flag (default {DIGITS_FLAGGED})",
    )
    parser.add_argument(
        "--not-a-digit-output",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="an eleventh output, 'not a digit', that non-digits are trained towards (default: the model's recipe)",
    )
    parser.add_argument(
        "--batch-norm",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="MLP: batch normalisation (default: on)",
    )
    parser.add_argument("--dropout", type=float, help="MLP: dropout probability (default: the architecture's)")
    parser.add_argument(
        "--hidden-sizes",
        type=lambda text: tuple(int(size) for size in text.split(",")),
        help="MLP: hidden layer sizes, e.g. 512,512,256 (default: the architecture's)",
    )


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    """What the run is measured on, where it runs and where it writes."""
    parser.add_argument(
        "--tuning",
        action="store_true",
        help=f"measure on writers {TUNING_WRITERS[0]}-{TUNING_WRITERS[-1]} and Omniglot's tuning drawers "
        "instead of the validation writers and alphabets, to choose a recipe without them",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", help="cuda, mps, cpu or auto (default: $MNIST_DEVICE or auto)")
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $MNIST_DATA_DIR or ./data)")
    parser.add_argument("--out-dir", default="runs", help="where to write weights and metrics (default: runs)")
    parser.add_argument("--no-progress", action="store_true", help="no per-epoch progress bar")


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
    try:
        omniglot = load_omniglot(args.omniglot_dir)
    except OmniglotDataError as error:
        if args.data == "mnist+pen+nondigits":
            parser.exit(2, f"{error}\n")
        omniglot = None
        print(f"no Omniglot drawings, so no non-digit figures: {error}")
    try:
        quickdraw = load_quickdraw(args.quickdraw_dir)
    except QuickDrawDataError as error:
        if args.data == "mnist+pen+nondigits":
            parser.exit(2, f"{error}\n")
        quickdraw = None
        print(f"no doodles, so no doodle figures: {error}")
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
        name,
        recipe,
        train,
        data.test,
        device,
        args.seed,
        progress=not args.no_progress,
        config=model_config(name, recipe, args),
        pen_validation=data.validation,
        mnist_train=data.mnist,
        calibration=data.calibration,
        nondigit_validation=data.nondigit_validation,
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
    parser = flag_parser()
    args = parser.parse_args(argv)
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
