"""How well each model tells a drawing that is not a digit, by each way of scoring it.

    python benchmarks/not_a_digit.py [--weights-dir DIR] [--pen-dir DIR] [--omniglot-dir DIR] [--quickdraw-dir DIR]

Digits: the validation writers' pen digits (25-30) drawn on the pad. Non-digits: Omniglot's
validation alphabets (never trained on; their digit-like characters apart), Quick, Draw!'s doodles
of the validation things (never trained on; the digit-like things apart), and the hand-made
drawings of tests/fun_drawings.json (smileys, stars, X, scribbles, letters, hearts). Scores:

  score            the model's own score (``verdict.digit_score``: the calibrated top probability,
                   or the chance of a digit for a model with a "not a digit" output), against
                   its shipped threshold (the app's rule)
  energy           T logsumexp(logits / T) (Liu et al. 2020), its threshold flagging as many
                   calibration digits (writers 21-24) as the shipped rule does
  hidden-detector  MLP only: a logistic regression on the last hidden layer, trained on the training
                   digits and non-digits, same threshold rule

For each: digits flagged, non-digits flagged, AUROC, and, to compare with weights that have no
threshold (older ones), non-digits flagged when the threshold flags 1 % of the validation digits.
Figures only, no assertions; the results log keeps them.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
import torch

from mnist_models.datasets.nondigits import load_stroke_drawings
from mnist_models.datasets.omniglot import TRAINING_ALPHABETS, TRAINING_DRAWERS, VALIDATION_ALPHABETS, load_omniglot
from mnist_models.datasets.pendigits import TUNING_WRITERS, load_pendigits, pen_set, validation_set
from mnist_models.datasets.quickdraw import load_quickdraw
from mnist_models.evaluation.metrics import APART, doodle_sets, fit_verdict, nondigit_sets, predict_logits
from mnist_models.evaluation.verdict import DIGITS_FLAGGED, auroc, choose_threshold, digit_score, energy
from mnist_models.models.checkpoints import MODEL_NAMES, load_metrics, load_model
from mnist_models.reading.preprocess import preprocess
from mnist_models.training.command_flags import with_variables
from mnist_models.training.recipes import FIT_WRITERS

FUN_DRAWINGS = ROOT / "tests" / "fun_drawings.json"


def hidden_features(model, images: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():  # not inference mode: the detector is trained on these
        return torch.cat([model.hidden_activations(images[i : i + 4000])[-1] for i in range(0, len(images), 4000)])


def fit_detector(features: torch.Tensor, is_digit: torch.Tensor, steps: int = 300) -> torch.nn.Linear:
    """Logistic regression, digit (1) against not (0), balanced by class."""
    detector = torch.nn.Linear(features.shape[1], 1)
    optimizer = torch.optim.LBFGS(detector.parameters(), max_iter=steps)
    weight = torch.where(is_digit, 0.5 / is_digit.float().mean(), 0.5 / (1 - is_digit.float().mean()))

    def closure():
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(
            detector(features).squeeze(1), is_digit.float(), weight=weight
        )
        loss.backward()
        return loss

    optimizer.step(closure)
    return detector


def report(name: str, method: str, calibration, digits, others: dict[str, torch.Tensor], rule=None) -> None:
    """One row: ``rule`` is the threshold (a score below it is "not a digit"), or None to set it
    so that it flags DIGITS_FLAGGED of the calibration digits."""
    threshold = choose_threshold(calibration, DIGITS_FLAGGED) if rule is None else rule
    every = torch.cat([v for k, v in others.items() if k not in APART and k != "fun"])
    flagged = {k: (v < threshold).float().mean().item() for k, v in others.items()}
    at_one = choose_threshold(digits, 0.01)
    print(
        f"{name:<8}{method:<17}digits {(digits < threshold).float().mean().item():6.2%}  "
        f"non-digits {(every < threshold).float().mean().item():6.1%}  AUROC {auroc(digits, every):.3f}  "
        f"at 1 % of digits {(every < at_one).float().mean().item():6.1%}  "
        + "  ".join(f"{k} {v:.0%}" for k, v in flagged.items())
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights-dir", help="default: the shipped weights")
    parser.add_argument("--pen-dir", help="default: $PENDIGITS_DIR")
    parser.add_argument("--omniglot-dir", help="default: $OMNIGLOT_DIR")
    parser.add_argument("--quickdraw-dir", help="default: $QUICKDRAW_DIR")
    args = with_variables(parser.parse_args(argv), os.environ)

    pen, omniglot = load_pendigits(args.pen_dir), load_omniglot(args.omniglot_dir)
    validation, calibration = validation_set(pen), validation_set(pen, TUNING_WRITERS)
    others = nondigit_sets(omniglot, VALIDATION_ALPHABETS) | doodle_sets(
        load_quickdraw(args.quickdraw_dir), "validation"
    )
    fun = load_stroke_drawings(FUN_DRAWINGS)
    others["fun"] = torch.from_numpy(np.stack([preprocess(picture) for _, picture in fun])).unsqueeze(1)
    print(f"digits: {len(validation)} (validation writers), {len(calibration)} (calibration writers 21-24)")
    print("non-digits: " + ", ".join(f"{k} {len(v)}" for k, v in others.items()))

    for name in MODEL_NAMES:
        compare_scores(
            name, args.weights_dir, pen, omniglot, calibration=calibration, validation=validation, others=others
        )


def compare_scores(name, weights_dir, pen, omniglot, *, calibration, validation, others) -> None:
    """The rows of model ``name``: each score on the calibration, validation and non-digit sets."""
    model = load_model(name, "cpu", weights_dir)
    verdict = load_metrics(name, weights_dir).get("verdict") or fit_verdict(model, calibration)
    temperature = verdict["temperature"]

    def scores(images, score):
        logits = predict_logits(model, images)
        return digit_score(logits, temperature) if score == "top" else energy(logits, temperature)

    for method, score, rule in (("score", "top", verdict["threshold"]), ("energy", "energy", None)):
        sets = {k: scores(v, score) for k, v in others.items()}
        report(name, method, scores(calibration.images, score), scores(validation.images, score), sets, rule)
    # How the rule carries to a writer it was not fit on, within the calibration writers alone:
    # fit on three of them (the model's share), count the fourth's digits flagged.
    top, writers = scores(calibration.images, "top"), calibration.writers
    share = verdict.get("fit_on", {}).get("digits_flagged", DIGITS_FLAGGED)
    shares = [(top[writers == w] < choose_threshold(top[writers != w], share)).float().mean() for w in TUNING_WRITERS]
    print(
        f"{name:<8}each calibration writer, the rule fit on the other three: " + ", ".join(f"{s:.2%}" for s in shares)
    )
    if name != "mlp":
        return
    train_digits = pen_set(pen.by_writers(FIT_WRITERS), 1, 0).images
    train_sets = nondigit_sets(omniglot, TRAINING_ALPHABETS, TRAINING_DRAWERS)
    train_others = torch.cat([v for k, v in train_sets.items() if k not in APART])
    features = hidden_features(model, torch.cat([train_digits, train_others]))
    is_digit = torch.cat([torch.ones(len(train_digits)), torch.zeros(len(train_others))]).bool()
    detector = fit_detector(features, is_digit)

    def detected(images):
        with torch.no_grad():
            return detector(hidden_features(model, images)).squeeze(1)

    sets = {k: detected(v) for k, v in others.items()}
    report(name, "hidden-detector", detected(calibration.images), detected(validation.images), sets)


if __name__ == "__main__":
    main()
