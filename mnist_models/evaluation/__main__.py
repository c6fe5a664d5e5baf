"""How well trained models read: the MNIST test set, and real pen-drawn digits drawn on the pad.

    python -m mnist_models.evaluation [--model softmax|mlp|all] [--data-dir DIR] [--pen-dir DIR]

Per model it prints MNIST test accuracy with the confusion matrix; accuracy on the validation
writers' pen digits (mnist_models/datasets/pendigits.py) overall, per digit and per writer, and
writes a contact sheet of those misses; for the softmax, how much its templates look like digits;
and the verdict (mnist_models/evaluation/verdict.py): the validation writers' digits it calls "not
a digit", overall and by writer, the non-digits it calls "not a digit" (the validation alphabets,
mnist_models/datasets/omniglot.py, per alphabet, and the doodles of the validation things,
mnist_models/datasets/quickdraw.py), the AUROC, the curve, the calibration error before and after
temperature scaling, and a contact sheet of the non-digits it took for digits.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from mnist_models.datasets.mnist import load_split
from mnist_models.datasets.omniglot import VALIDATION_ALPHABETS, OmniglotDataError, load_omniglot
from mnist_models.datasets.pendigits import (
    PENDIGITS_DIR_ENV,
    PenData,
    PenDataError,
    PenSet,
    load_pendigits,
    validation_set,
)
from mnist_models.datasets.quickdraw import QuickDrawDataError, load_quickdraw
from mnist_models.device import pick_device
from mnist_models.evaluation.contact_sheets import deskew_sheet, miss_sheet, nondigit_miss_sheet
from mnist_models.evaluation.metrics import (
    doodle_sets,
    evaluate_model,
    nondigit_sets,
    pen_metrics,
    predict_logits,
    redrawn_mnist,
    template_correlation,
    verdict_metrics,
)
from mnist_models.models.checkpoints import MODEL_NAMES, load_metrics, load_model
from mnist_models.models.explain import softmax_templates
from mnist_models.models.networks import digit_logits
from mnist_models.pictures import templates_picture
from mnist_models.training.command_flags import with_variables


def format_confusion(confusion: list[list[int]]) -> str:
    header = "true\\pred " + " ".join(f"{d:>5}" for d in range(10))
    rows = [f"{label:>9} " + " ".join(f"{n:>5}" for n in row) for label, row in enumerate(confusion)]
    return "\n".join([header, *rows])


def print_verdict_figures(name: str, verdict: dict, measured: dict) -> None:
    print(
        f"{name}: not a digit below a score ({verdict.get('score', 'top_probability')}) of "
        f"{verdict['threshold']:.3f} (temperature "
        f"{verdict['temperature']:.3f}, fit on writers {verdict['fit_on']['writers']})"
    )
    print(f"  validation writers' digits called not a digit: {measured['digits_flagged']:.2%}")
    by_writer = measured["digits_flagged_by_writer"]
    print("  by writer: " + " ".join(f"{writer}:{share:.1%}" for writer, share in by_writer.items()))
    flagged = measured["non_digits_flagged"]
    print("  non-digits called not a digit: " + ", ".join(f"{k} {v:.1%}" for k, v in flagged.items()))
    if "auroc" in measured:
        print(
            f"  all validation non-digits {measured['non_digits_flagged_all']:.1%}; AUROC of the score "
            f"{measured['auroc']:.3f}, energy {measured['energy_auroc']:.3f}"
        )
        print("  non-digits flagged (all, doodles, alphabets) when this share of digits is:")
        for point in measured["curve"]:
            groups = [point.get(f"non_digits_flagged_{group}") for group in ("all", "doodles", "alphabets")]
            print(f"    {point['digits_flagged']:.1%}: " + " / ".join(f"{g:.1%}" for g in groups if g is not None))
    print(f"  expected calibration error: {measured['ece_before']:.2%} at T = 1, {measured['ece_after']:.2%} fitted")


def print_pen_figures(name: str, metrics: dict, count: int) -> None:
    print(f"{name}: real pen digits (validation writers) {metrics['pen_accuracy']:.2%} ({count} pad drawings)")
    print("  per digit:  " + " ".join(f"{d}:{a:.1%}" for d, a in enumerate(metrics["pen_per_class_accuracy"])))
    writers = metrics["pen_per_writer_accuracy"]
    print("  per writer: " + " ".join(f"{w}:{a:.1%}" for w, a in writers.items()))
    print("  most confused (true -> read: count): " + ", ".join(most_confused(metrics["pen_confusion_matrix"])))


def most_confused(confusion: list[list[int]], top: int = 6) -> list[str]:
    pairs = [(n, t, p) for t, row in enumerate(confusion) for p, n in enumerate(row) if t != p and n]
    return [f"{t}->{p}: {n}" for n, t, p in sorted(pairs, reverse=True)[:top]]


def flag_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m mnist_models.evaluation",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", choices=[*MODEL_NAMES, "all"], default="all")
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $MNIST_DATA_DIR or ./data)")
    parser.add_argument("--pen-dir", help=f"folder with the pen-drawn digits file (default: ${PENDIGITS_DIR_ENV})")
    parser.add_argument("--omniglot-dir", help="folder with the Omniglot strokes zip (default: $OMNIGLOT_DIR)")
    parser.add_argument("--quickdraw-dir", help="folder with the Quick, Draw! doodles file (default: $QUICKDRAW_DIR)")
    parser.add_argument(
        "--weights-dir", help="folder with NAME.safetensors and NAME.json (default: the shipped weights)"
    )
    parser.add_argument("--device", help="cuda, mps, cpu or auto (default: $MNIST_DEVICE or auto)")
    parser.add_argument(
        "--misses", default="runs", help="folder for the contact sheets of misses, NAME-pen-misses.png (default: runs)"
    )
    parser.add_argument(
        "--pictures", help="also write the pictures of docs/ here: deskew-examples.png, softmax-templates.png"
    )
    parser.add_argument(
        "--redrawn", type=int, default=1000, help="MNIST test digits redrawn as canvas pictures (default 1000)"
    )
    return parser


def load_held_out(args: argparse.Namespace) -> tuple[PenData | None, PenSet | None, dict[str, torch.Tensor] | None]:
    """The pen digits, the validation writers' drawn on the pad, and the validation alphabets'
    non-digits; None for what is not found."""
    try:
        pen = load_pendigits(args.pen_dir)
        validation = validation_set(pen)
    except PenDataError as error:
        pen = validation = None
        print(f"no real-drawings figure: {error}")
    try:
        nondigits = nondigit_sets(load_omniglot(args.omniglot_dir), VALIDATION_ALPHABETS)
    except OmniglotDataError as error:
        nondigits = None
        print(f"no non-digit figures: {error}")
    try:
        doodles = doodle_sets(load_quickdraw(args.quickdraw_dir), "validation")
        nondigits = doodles if nondigits is None else nondigits | doodles
    except QuickDrawDataError as error:
        print(f"no doodle figures: {error}")
    return pen, validation, nondigits


def write_pictures(folder: Path, validation: PenSet | None, softmax: nn.Module) -> None:
    """The pictures of docs/: deskewing's examples and the softmax's templates."""
    folder.mkdir(parents=True, exist_ok=True)
    if validation is not None:
        deskew_sheet(validation).save(folder / "deskew-examples.png")
    templates = softmax_templates(softmax)
    Image.fromarray(templates_picture(templates)).save(folder / "softmax-templates.png")
    print(f"pictures: {folder}")


def save_sheet(sheet: Image.Image | None, path: Path, what: str) -> None:
    if sheet is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        sheet.save(path)
        print(f"  {what}: {path}")


def report_held_out(
    name: str,
    model: nn.Module,
    verdict: dict | None,
    pen: PenData,
    validation: PenSet,
    *,
    nondigits: dict[str, torch.Tensor],
    misses: Path,
) -> None:
    """``model``'s figures and contact sheets on the validation writers' digits and the non-digits."""
    print_pen_figures(name, pen_metrics(model, validation), len(validation))
    sheet = miss_sheet(pen, digit_logits(predict_logits(model, validation.images)).argmax(1))
    save_sheet(sheet, misses / f"{name}-pen-misses.png", "misses")
    if verdict is None:
        print(f"{name}: no verdict in its metrics (trained without pen digits to fit one on)")
        return
    print_verdict_figures(name, verdict, verdict_metrics(model, verdict, validation, nondigits))
    sheet = nondigit_miss_sheet(model, verdict, nondigits)
    save_sheet(sheet, misses / f"{name}-nondigits-taken-for-digits.png", "non-digits taken for digits")


def main(argv: list[str] | None = None) -> None:
    args = with_variables(flag_parser().parse_args(argv), os.environ)
    device = pick_device(args.device)
    train, test = load_split("train", args.data_dir), load_split("test", args.data_dir)
    pen, validation, nondigits = load_held_out(args)
    if args.pictures:
        write_pictures(Path(args.pictures), validation, load_model("softmax", device, args.weights_dir))
    redrawn, redrawn_labels = redrawn_mnist(test, args.redrawn)
    names = MODEL_NAMES if args.model == "all" else (args.model,)
    for name in names:
        model = load_model(name, device, args.weights_dir)
        verdict = load_metrics(name, args.weights_dir).get("verdict")
        result = evaluate_model(model, test.as_float(), test.labels)
        print(f"\n{name}: MNIST test accuracy {result['accuracy']:.2%} ({len(test)} images, {device})")
        print(format_confusion(result["confusion_matrix"]))
        if validation is not None:
            report_held_out(name, model, verdict, pen, validation, nondigits=nondigits or {}, misses=Path(args.misses))
        if name == "softmax":
            correlation = template_correlation(model, train)
            print(
                f"{name}: templates look like digits: correlation with each digit's mean image, mean "
                f"{np.mean(correlation):.2f}, worst {min(correlation):.2f} (digit {int(np.argmin(correlation))})"
            )
        on_redrawn = evaluate_model(model, redrawn, redrawn_labels)
        print(
            f"{name}: redrawn-MNIST accuracy {on_redrawn['accuracy']:.2%} "
            f"({len(redrawn_labels)} test digits as canvas pictures)"
        )


if __name__ == "__main__":
    main()
