"""What the shipped models are trained on: MNIST, the pen-drawn digits of the training writers
drawn on the pad, and drawings that are not digits (outlier exposure: Omniglot's characters,
generated letters and shapes, and Quick, Draw!'s doodles of the training things), in one
``TrainingSet``; and the record of it kept in a model's metrics (``trained_on``)."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.datasets.nondigits import generated_images
from mnist_models.datasets.omniglot import (
    TRAINING_ALPHABETS,
    TRAINING_DRAWERS,
    OmniglotData,
    is_digit_like,
    nondigit_images,
)
from mnist_models.datasets.pendigits import HEIGHT_RANGE, PenData, PenSet, pen_set
from mnist_models.datasets.quickdraw import SIZE_RANGE, QuickDrawData, doodle_images
from mnist_models.evaluation.metrics import NONDIGIT_RENDERINGS
from mnist_models.pad import CANVAS, PEN_WIDTH
from mnist_models.training.loop import NOT_A_DIGIT
from mnist_models.training.recipes import FIT_WRITERS, PEN_RENDERINGS, PEN_SEED


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


def pen_training_data(
    pen: PenData, renderings: int = PEN_RENDERINGS, seed: int = PEN_SEED, writers=FIT_WRITERS
) -> PenSet:
    """The training writers' digits, each drawn ``renderings`` times on the pad and preprocessed."""
    return pen_set(pen.by_writers(writers), renderings, seed)


@dataclass(frozen=True)
class NondigitPool:
    """The non-digits a model may train on, (N, 1, 28, 28) each: Omniglot's training alphabets by
    the training drawers and the doodles of the training things (digit-like ones left out of
    both), and generated letters, shapes and scribbles, of which a model trained on k sees the
    first k."""

    omniglot: torch.Tensor
    doodles: torch.Tensor
    generated: torch.Tensor

    def images(self, generated: int) -> torch.Tensor:
        return torch.cat([self.omniglot, self.doodles, self.generated[:generated]])


def nondigit_training_data(
    omniglot: OmniglotData, quickdraw: QuickDrawData | None, generated: int, seed: int = PEN_SEED
) -> NondigitPool:
    """The ``NondigitPool`` of ``omniglot``, the training things of ``quickdraw`` (none without
    it), each drawn NONDIGIT_RENDERINGS times, and ``generated`` made ones."""
    characters = [c for c in omniglot.select(TRAINING_ALPHABETS, TRAINING_DRAWERS) if not is_digit_like(c)]
    doodles = torch.zeros(0, 1, 28, 28)
    if quickdraw is not None:
        doodles = doodle_images(quickdraw.of(quickdraw.split("train")), NONDIGIT_RENDERINGS, seed)
    return NondigitPool(
        nondigit_images(characters, NONDIGIT_RENDERINGS, seed), doodles, generated_images(generated, seed)
    )


def trained_on(
    mnist: MNISTSplit,
    pen: PenData | None,
    pen_train: PenSet | None,
    writers=FIT_WRITERS,
    *,
    omniglot: OmniglotData | None = None,
    nondigits: torch.Tensor | None = None,
    generated: int = 0,
    quickdraw: QuickDrawData | None = None,
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
        if quickdraw is not None:
            described["nondigits"]["quickdraw"] = {
                "file": quickdraw.path.name,
                "sha256": quickdraw.sha256,
                "things": quickdraw.split("train"),
                "size_range": list(SIZE_RANGE),
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
