"""The shipped models' recipes: how long, how fast and on what each is trained.

A ``Recipe`` is plain values; the command (``python -m mnist_models.training``) overrides any of
them with a flag of the same name.
"""

from __future__ import annotations

from dataclasses import dataclass

from mnist_models.datasets.pendigits import TRAINING_WRITERS, TUNING_WRITERS
from mnist_models.evaluation.verdict import DIGITS_FLAGGED


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
    # An eleventh output, "not a digit", that non-digits are trained towards (instead of equal
    # probabilities for the ten digits); the verdict is then the chance that a drawing is a digit.
    not_a_digit_output: bool = False


RECIPES = {
    # Tutorial 002's loss (MSE on one-hot targets) with plain SGD, as tutorial 000 trains, at a
    # learning rate that suits MSE's smaller gradients, and a light smoothness penalty. Plain SGD
    # keeps each digit's template close to the digits it learned from, so the templates still
    # look like digits (AdamW and stroke-thickness augmentation read MNIST a little better but
    # turn the templates into noise); the pen digits in the training data teach the drawings.
    # A linear model's top probability tells drawings that are not digits poorly; an eleventh
    # output, "not a digit", with a template of its own, tells them far better, and non-digits
    # weighing half a digit keep MNIST where it was. docs/models.md has the comparisons.
    "softmax": Recipe(
        epochs=30,
        batch_size=100,
        lr=3.0,
        optimizer="sgd",
        loss="mse",
        smoothness=2e-5,
        outlier_weight=0.5,
        not_a_digit_output=True,
    ),
    # Thickness plus small rotations, shears, scales and shifts: the MLP has the capacity to
    # learn all of them, and gains on MNIST as well as on drawings. It tells non-digits better
    # with more of them and each weighing twice a digit, and as well with an eleventh output as
    # without one: it has one, so that both models decide alike (docs/models.md).
    "mlp": Recipe(
        epochs=20,
        batch_size=128,
        lr=2e-3,
        optimizer="adamw",
        augment="full",
        weight_decay=1e-4,
        outlier_weight=2.0,
        generated_nondigits=8000,
        not_a_digit_output=True,
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
