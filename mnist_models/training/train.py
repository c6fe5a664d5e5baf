"""Train the softmax regression and the MLP on MNIST, held in memory as tensors.

    python -m mnist_models.training.train --model all --out-dir mnist_models/weights

Each model is written as NAME.safetensors with NAME.json (test accuracy, per-class accuracy,
confusion matrix, per-epoch curves, recipe, timings, versions, checksums, and the verdict: the
temperature and the "not a digit" threshold) and NAME.curves.png, NAME.reliability.png.

By default a model deskews what it reads and trains on MNIST, the pen-drawn digits of writers
1-20 and drawings that are not digits (outlier exposure: Omniglot's training alphabets, letters
and shapes, each pushed towards equal probabilities for all ten digits). Writers 21-24 are kept
out of training: the temperature and the threshold are fit on them (``fit_verdict``).
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from tqdm import tqdm

from mnist_models.datasets.mnist import MNISTSplit, load_split
from mnist_models.datasets.omniglot import (
    OMNIGLOT_DIR_ENV,
    TRAINING_ALPHABETS,
    TRAINING_DRAWERS,
    TUNING_DRAWERS,
    VALIDATION_ALPHABETS,
    OmniglotData,
    OmniglotDataError,
    is_digit_like,
    load_omniglot,
    nondigit_images,
)
from mnist_models.datasets.pendigits import (
    FILE_NAME,
    HEIGHT_RANGE,
    PENDIGITS_DIR_ENV,
    TRAINING_WRITERS,
    TUNING_WRITERS,
    VALIDATION_WRITERS,
    PenData,
    PenDataError,
    PenSet,
    load_pendigits,
    pen_set,
    validation_set,
)
from mnist_models.device import describe_device, pick_device
from mnist_models.evaluation.evaluate import (
    NONDIGIT_RENDERINGS,
    evaluate_model,
    fit_verdict,
    nondigit_sets,
    pen_metrics,
    template_correlation,
    verdict_metrics,
)
from mnist_models.evaluation.verdict import DIGITS_FLAGGED
from mnist_models.models.checkpoints import MODEL_NAMES, build_model, save_checkpoint
from mnist_models.pad import CANVAS, PEN_WIDTH
from mnist_models.pictures import curves_picture, reliability_picture
from mnist_models.training.augment import AUGMENTATIONS, augment_batch


@dataclass(frozen=True)
class Recipe:
    epochs: int
    batch_size: int
    lr: float
    optimizer: str  # "sgd" (tutorial 000) or "adamw"
    loss: str = "cross_entropy"  # or "mse": softmax outputs against one-hot targets (tutorial 002)
    augment: str = "none"  # a key of augment.AUGMENTATIONS
    weight_decay: float = 0.0
    momentum: float = 0.0  # SGD's
    schedule: str = "cosine"  # or "constant" (the tutorials)
    smoothness: float = 0.0  # softmax: weight of SoftmaxRegression.roughness() in the loss
    mnist_weight: float = 1.0  # an MNIST image's share of the loss against a pen digit's
    # A non-digit's share of the loss against a digit's (outlier exposure, Hendrycks et al. 2019).
    outlier_weight: float = 1.0
    # The share of held-out digits the "not a digit" threshold may flag (verdict.choose_threshold).
    digits_flagged: float = DIGITS_FLAGGED
    # Letters, shapes and scribbles generated as non-digits, besides Omniglot's.
    generated_nondigits: int = 3000


# The label of a training image that is not a digit: its target is equal probabilities for all ten.
NOT_A_DIGIT = -1


@dataclass(frozen=True)
class TrainingSet:
    """Training images in the input contract (N, 1, 28, 28) with their labels: MNIST's, maybe
    with pen-drawn digits after them, maybe with non-digits (label NOT_A_DIGIT) after those."""

    images: torch.Tensor
    labels: torch.Tensor
    mnist_images: int  # the first this many are MNIST's

    def weights(self, mnist_weight: float = 1.0, outlier_weight: float = 1.0) -> torch.Tensor | None:
        """Each image's weight in the loss: ``mnist_weight`` for MNIST's, ``outlier_weight`` for
        a non-digit, 1 for the pen digits; None when they are all equal."""
        weights = torch.ones(len(self))
        weights[: self.mnist_images] = mnist_weight
        weights[self.labels == NOT_A_DIGIT] = outlier_weight
        return None if bool((weights == weights[0]).all()) else weights  # equal weights weigh nothing

    def __len__(self) -> int:
        return len(self.labels)

    def as_float(self) -> torch.Tensor:
        return self.images


def training_set(mnist: MNISTSplit, pen: PenSet | None = None, nondigits: torch.Tensor | None = None) -> TrainingSet:
    """MNIST's training images, then the pen digits, then the non-digits (N, 1, 28, 28), if given."""
    images, labels = [mnist.as_float()], [mnist.labels]
    if pen is not None:
        images.append(pen.images)
        labels.append(pen.labels)
    if nondigits is not None:
        images.append(nondigits)
        labels.append(torch.full((len(nondigits),), NOT_A_DIGIT, dtype=torch.long))
    return TrainingSet(torch.cat(images), torch.cat(labels), len(mnist))


RECIPES = {
    # Tutorial 002's loss (MSE on one-hot targets) with plain SGD, as tutorial 000 trains, at a
    # learning rate that suits MSE's smaller gradients, and a light smoothness penalty. Plain SGD
    # keeps each digit's template close to the digits it learned from, so the templates still
    # look like digits (AdamW and stroke-thickness augmentation read MNIST a little better but
    # turn the templates into noise); the pen digits in the training data teach the drawings.
    # A linear model cannot wrap a boundary around the digits, so its "not a digit" threshold may
    # flag more held-out digits than the MLP's. docs/models.md has the comparisons.
    "softmax": Recipe(
        epochs=30, batch_size=100, lr=3.0, optimizer="sgd", loss="mse", smoothness=2e-5, digits_flagged=0.02
    ),
    # Thickness plus small rotations, shears, scales and shifts: the MLP has the capacity to
    # learn all of them, and gains on MNIST as well as on drawings. It tells non-digits better
    # with more of them and each weighing twice a digit (docs/models.md).
    "mlp": Recipe(
        epochs=20,
        batch_size=128,
        lr=2e-3,
        optimizer="adamw",
        augment="full",
        weight_decay=1e-4,
        outlier_weight=2.0,
        generated_nondigits=8000,
    ),
}


# The shipped MLP's layer sizes (wider first layers: a little better at telling non-digits, as
# fast to train as the tutorial's sizes for ten more epochs), and the tutorial's (for the lesson:
# --arch tutorial).
MLP_ARCHITECTURES = {
    "shipped": {"hidden_sizes": (512, 512, 256, 128, 128)},
    "tutorial": {"hidden_sizes": (256, 256, 256, 128, 128)},
}
# Each training writer's digit is drawn on the pad this many times (sizes and places differ).
PEN_RENDERINGS = 3
PEN_SEED = 0
# The pen writers trained on: the training writers but those the verdict is fit on (TUNING_WRITERS).
FIT_WRITERS = tuple(w for w in TRAINING_WRITERS if w not in TUNING_WRITERS)
# Metrics of the verdict that describe calibration rather than "not a digit".
CALIBRATION_KEYS = ("ece_before", "ece_after", "reliability_before", "reliability_after")


def loss_fn(logits: torch.Tensor, labels: torch.Tensor, kind: str, weights: torch.Tensor | None = None) -> torch.Tensor:
    """The batch's mean loss, or its ``weights``-weighted mean (one weight per image).

    A digit's target is its one-hot vector; a non-digit's (label NOT_A_DIGIT) is 1/10 for every
    digit, so cross-entropy against it is the mean of -log p over the ten (outlier exposure).
    """
    digit = labels != NOT_A_DIGIT
    target = torch.where(digit[:, None], F.one_hot(labels.clamp(min=0), 10).float(), torch.full_like(logits, 0.1))
    if kind == "cross_entropy":
        losses = -(target * logits.log_softmax(1)).sum(1)
    elif kind == "mse":
        losses = (logits.softmax(1) - target).square().mean(1)
    else:
        raise ValueError(f"unknown loss {kind!r}")
    return losses.mean() if weights is None else (losses * weights).sum() / weights.sum()


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay
        )
    if recipe.optimizer == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    raise ValueError(f"unknown optimizer {recipe.optimizer!r}")


@dataclass(frozen=True)
class Step:
    """One optimiser step of ``train_steps``: where in the training it is, and how its batch went."""

    epoch: int  # from 0
    batch: int  # from 1, within the epoch
    batches: int  # per epoch
    size: int  # images in the batch
    loss: torch.Tensor  # the batch's loss (with any smoothness penalty), detached, on the device
    correct: torch.Tensor  # how many of the batch's digits the model read right before this step, on the device

    @property
    def epochs_done(self) -> float:
        return self.epoch + self.batch / self.batches

    @property
    def ends_epoch(self) -> bool:
        return self.batch == self.batches


def train_steps(
    model: nn.Module,
    recipe: Recipe,
    images: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator,
    weights: torch.Tensor | None = None,
) -> Iterator[Step]:
    """Train ``model`` in place on ``images`` (N, 1, 28, 28, in the input contract) and their
    ``labels`` as ``recipe`` says, yielding after every optimiser step. With ``weights`` (N,) each
    image counts that much in the loss.

    ``generator`` draws each epoch's order and the augmentation; it, the model and the tensors share
    one device. The model is left in training mode. A new or a trained model, any images: the caller
    evaluates between steps as often as it likes, and ends the training early by leaving the loop -
    a budget of steps or of seconds:

        for step in train_steps(model, recipe, images, labels, generator):
            if time.perf_counter() > deadline:
                break
    """
    optimizer = make_optimizer(model, recipe)
    batches = -(-len(labels) // recipe.batch_size)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs * batches)
        if recipe.schedule == "cosine"
        else None
    )
    augmentation = AUGMENTATIONS[recipe.augment]
    for epoch in range(recipe.epochs):
        model.train()
        order = torch.randperm(len(labels), generator=generator, device=images.device)
        for batch, i in enumerate(range(0, len(labels), recipe.batch_size), start=1):
            index = order[i : i + recipe.batch_size]
            x, y = images[index], labels[index]
            if augmentation is not None:
                x = augment_batch(x, generator, augmentation)
            logits = model(x)
            loss = loss_fn(logits, y, recipe.loss, None if weights is None else weights[index])
            if recipe.smoothness:
                loss = loss + recipe.smoothness * model.roughness()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            yield Step(
                epoch, batch, batches, len(y), loss.detach(), (logits.argmax(1) == y).sum()
            )  # a non-digit is never "right"


def train_model(
    name: str,
    recipe: Recipe,
    train: MNISTSplit | TrainingSet,
    test: MNISTSplit,
    device: torch.device,
    seed: int = 0,
    progress: bool = True,
    config: dict | None = None,
    pen_validation: PenSet | None = None,
    mnist_train: MNISTSplit | None = None,
    calibration: PenSet | None = None,
    nondigit_validation: dict[str, torch.Tensor] | None = None,
) -> tuple[nn.Module, dict]:
    """Train a new model ``name`` with ``recipe``; return it with its per-epoch history and final metrics.

    With ``pen_validation`` the metrics include its accuracy overall, per digit and per writer;
    with ``mnist_train`` (or when ``train`` is MNIST's split) a softmax's template correlation;
    with ``calibration`` (pen digits not trained on) its verdict (``evaluate.fit_verdict``),
    measured on ``pen_validation`` and ``nondigit_validation``.
    """
    torch.manual_seed(seed)
    generator = torch.Generator(device=device).manual_seed(seed)
    model = build_model(name, **(config or {})).to(device)
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
    wall_time = time.perf_counter() - start

    model.eval()
    metrics = {
        "test_accuracy": result["accuracy"],
        "test_loss": result["loss"],
        "per_class_accuracy": result["per_class_accuracy"],
        "confusion_matrix": [[int(n) for n in row] for row in result["confusion_matrix"]],
    }
    if pen_validation is not None:
        metrics.update(pen_metrics(model, pen_validation))
    if calibration is not None:
        metrics["verdict"] = fit_verdict(model, calibration, recipe.digits_flagged)
        if pen_validation is not None:
            measured = verdict_metrics(model, metrics["verdict"], pen_validation, nondigit_validation or {})
            metrics["calibration"] = {key: measured.pop(key) for key in CALIBRATION_KEYS}
            metrics["verdict"].update(measured)
    mnist_train = mnist_train if mnist_train is not None else train if isinstance(train, MNISTSplit) else None
    if name == "softmax" and mnist_train is not None:
        metrics["template_correlation"] = template_correlation(model, mnist_train)
    metrics.update(
        {
            "epochs": recipe.epochs,
            "recipe": dataclasses.asdict(recipe),
            "config": config or {},
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


def tuning_figures(model: nn.Module, verdict: dict, tuning: PenSet, nondigits: dict | None) -> dict:
    """What a recipe is chosen by, recorded beside the validation figures: the accuracy on the
    tuning writers' pen digits and the share of the tuning drawers' non-digits called so."""
    figures = {
        "writers": sorted(set(tuning.writers.tolist())),
        "pen_accuracy": pen_metrics(model, tuning)["pen_accuracy"],
    }
    if nondigits:
        measured = verdict_metrics(model, verdict, tuning, nondigits)
        figures.update({key: measured[key] for key in ("non_digits_flagged_all", "auroc")})
    return figures


def pen_training_data(
    pen: PenData, renderings: int = PEN_RENDERINGS, seed: int = PEN_SEED, writers=FIT_WRITERS
) -> PenSet:
    """The training writers' digits, each drawn ``renderings`` times on the pad and preprocessed."""
    return pen_set(pen.by_writers(writers), renderings, seed)


def nondigit_training_data(
    omniglot: OmniglotData, generated: int, seed: int = PEN_SEED
) -> tuple[torch.Tensor, torch.Tensor]:
    """The non-digits trained on, (N, 1, 28, 28) each: Omniglot's training alphabets by the
    training drawers, digit-like characters left out; and ``generated`` letters, shapes and
    scribbles, of which the first k are those a model trained on k of them sees."""
    # Imported here: the app imports this module (fine-tuning, live training) and needs neither
    # the generated non-digits nor matplotlib, which nondigits imports.
    from mnist_models.datasets.nondigits import generated_images

    characters = [c for c in omniglot.select(TRAINING_ALPHABETS, TRAINING_DRAWERS) if not is_digit_like(c)]
    return nondigit_images(characters, NONDIGIT_RENDERINGS, seed), generated_images(generated, seed)


def trained_on(
    mnist: MNISTSplit,
    pen: PenData | None,
    pen_train: PenSet | None,
    writers=FIT_WRITERS,
    omniglot: OmniglotData | None = None,
    nondigits: torch.Tensor | None = None,
    generated: int = 0,
) -> dict:
    """What a model was trained on, for its metrics JSON: MNIST and, if used, the pen digits and
    the non-digits."""
    described = {"mnist_train": {"images": len(mnist), "sha256": mnist.sha256}, "pen": None, "nondigits": None}
    if omniglot is not None and nondigits is not None:
        described["nondigits"] = {
            "omniglot": {
                "file": omniglot.path.name,
                "sha256": omniglot.sha256,
                "alphabets": list(TRAINING_ALPHABETS),
                "drawers": list(TRAINING_DRAWERS),
            },
            "generated": generated,
            "images": len(nondigits),
        }
    if pen is not None and pen_train is not None:
        described["pen"] = {
            "file": pen.path.name.removesuffix(".gz"),
            "sha256": pen.sha256,
            "writers": list(writers),
            "digits": len(pen.by_writers(writers)),
            "renderings_per_digit": len(pen_train) // len(pen.by_writers(writers)),
            "images": len(pen_train),
            "pen_width": PEN_WIDTH,
            "canvas": CANVAS,
            "height_range": list(HEIGHT_RANGE),
        }
    return described


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    args = parser.parse_args(argv)

    device = pick_device(args.device)
    start = time.perf_counter()
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
    measured = TUNING_WRITERS if args.tuning else VALIDATION_WRITERS
    use_pen = pen is not None and args.data != "mnist"
    pen_train = pen_training_data(pen, args.pen_renderings) if use_pen else None
    validation = validation_set(pen, measured) if pen is not None else None
    calibration = validation_set(pen, TUNING_WRITERS) if pen is not None and pen.by_writers(TUNING_WRITERS) else None
    nondigit_validation = nondigit_tuning = None
    if omniglot is not None:
        nondigit_tuning = nondigit_sets(omniglot, TRAINING_ALPHABETS, TUNING_DRAWERS)
        nondigit_validation = nondigit_tuning if args.tuning else nondigit_sets(omniglot, VALIDATION_ALPHABETS)
    if pen is not None:
        print(
            f"pen digits measured on writers {measured[0]}-{measured[-1]}, verdict fit on writers "
            f"{TUNING_WRITERS[0]}-{TUNING_WRITERS[-1]}"
        )
    out_dir = Path(args.out_dir)
    names = MODEL_NAMES if args.model == "all" else (args.model,)
    overrides = {
        field: getattr(args, field)
        for field in (
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
        )
        if getattr(args, field) is not None
    }
    recipes = {name: dataclasses.replace(RECIPES[name], **overrides) for name in names}
    if args.data == "mnist+pen+nondigits":
        omniglot_nondigits, generated = nondigit_training_data(
            omniglot, max(recipe.generated_nondigits for recipe in recipes.values())
        )
    print(f"data ready in {time.perf_counter() - start:.1f} s")
    print(f"training {', '.join(names)} on {describe_device(device)} (torch {torch.__version__})")
    for name, recipe in recipes.items():
        nondigits = None
        if args.data == "mnist+pen+nondigits":
            nondigits = torch.cat([omniglot_nondigits, generated[: recipe.generated_nondigits]])
        train = training_set(mnist, pen_train, nondigits)
        print(f"{name}: {len(train)} training images")
        config = {"deskew": args.deskew}
        if name == "mlp":
            config.update(MLP_ARCHITECTURES[args.arch])
            config.update(
                {
                    key: value
                    for key, value in (
                        ("batch_norm", args.batch_norm),
                        ("dropout", args.dropout),
                        ("hidden_sizes", args.hidden_sizes),
                    )
                    if value is not None
                }
            )
        model, metrics = train_model(
            name,
            recipe,
            train,
            test,
            device,
            args.seed,
            progress=not args.no_progress,
            config=config,
            pen_validation=validation,
            mnist_train=mnist,
            calibration=calibration,
            nondigit_validation=nondigit_validation,
        )
        if calibration is not None and not args.tuning:
            metrics["tuning"] = tuning_figures(model, metrics["verdict"], calibration, nondigit_tuning)
        metrics["trained_on"] = trained_on(
            mnist, pen, pen_train, FIT_WRITERS, omniglot, nondigits, recipe.generated_nondigits
        )
        metrics["preprocessing"] = {"deskew": args.deskew}
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
        pen_figure = f", real pen digits {metrics['pen_accuracy']:.2%}" if "pen_accuracy" in metrics else ""
        if "non_digits_flagged_all" in metrics.get("verdict", {}):
            verdict = metrics["verdict"]
            pen_figure += (
                f", non-digits flagged {verdict['non_digits_flagged_all']:.1%} with {verdict['digits_flagged']:.2%} "
                f"of digits (AUROC {verdict['auroc']:.3f}), ECE {metrics['calibration']['ece_before']:.2%} -> "
                f"{metrics['calibration']['ece_after']:.2%}"
            )
        print(
            f"{name}: MNIST test accuracy {metrics['test_accuracy']:.2%}{pen_figure}, "
            f"trained in {metrics['train_seconds']:.1f} s -> {out_dir}"
        )
    print(f"all done in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
