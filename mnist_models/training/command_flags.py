"""The training command's flags: which models, what they train on, overrides of their recipes,
and where the run happens (``python -m mnist_models.training --help``)."""

from __future__ import annotations

import argparse

from mnist_models.datasets.mnist import DATA_DIR_ENV
from mnist_models.datasets.omniglot import OMNIGLOT_DIR_ENV
from mnist_models.datasets.pendigits import FILE_NAME, PENDIGITS_DIR_ENV, TUNING_WRITERS
from mnist_models.datasets.quickdraw import QUICKDRAW_DIR_ENV
from mnist_models.device import DEVICE_ENV
from mnist_models.evaluation.verdict import DIGITS_FLAGGED
from mnist_models.models.checkpoints import MODEL_NAMES
from mnist_models.training.augment import AUGMENTATIONS
from mnist_models.training.recipes import PEN_RENDERINGS

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


# The commands' flags that take an environment variable when not given (each command's main
# reads them, once).
FLAG_VARIABLES = {
    "data_dir": DATA_DIR_ENV,
    "pen_dir": PENDIGITS_DIR_ENV,
    "omniglot_dir": OMNIGLOT_DIR_ENV,
    "quickdraw_dir": QUICKDRAW_DIR_ENV,
    "device": DEVICE_ENV,
}


def with_variables(args: argparse.Namespace, environ) -> argparse.Namespace:
    """``args`` with each flag of FLAG_VARIABLES that was not given taken from ``environ``."""
    for flag, variable in FLAG_VARIABLES.items():
        if hasattr(args, flag) and getattr(args, flag) is None:
            setattr(args, flag, environ.get(variable) or None)
    return args


def flag_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_models.training",
        description=description,
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
