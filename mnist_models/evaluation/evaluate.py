"""How well trained models read: the MNIST test set, and real pen-drawn digits drawn on the pad.

    python -m mnist_models.evaluation.evaluate [--model softmax|mlp|all] [--data-dir DIR] [--pen-dir DIR]

Per model it prints MNIST test accuracy with the confusion matrix; accuracy on the validation
writers' pen digits (mnist_models/pendigits.py) overall, per digit and per writer, and writes a
contact sheet of those misses; for the softmax, how much its templates look like digits; and the
verdict (mnist_models/verdict.py): the validation writers' digits it calls "not a digit", the
non-digits of the validation alphabets (mnist_models/omniglot.py) it calls "not a digit", per
alphabet, the AUROC, the calibration error before and after temperature scaling, and a contact
sheet of the non-digits it took for digits.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image, ImageDraw
from torch import nn

from mnist_models.datasets.drawings import redraw_mnist
from mnist_models.datasets.mnist import MNISTSplit, load_split
from mnist_models.datasets.omniglot import (
    VALIDATION_ALPHABETS,
    OmniglotData,
    OmniglotDataError,
    is_digit_like,
    load_omniglot,
    nondigit_images,
)
from mnist_models.datasets.pendigits import (
    PENDIGITS_DIR_ENV,
    VALIDATION_RENDERINGS,
    VALIDATION_SEED,
    VALIDATION_WRITERS,
    PenData,
    PenDataError,
    PenSet,
    draw_on_pad,
    load_pendigits,
    validation_set,
)
from mnist_models.device import pick_device
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
from mnist_models.models.checkpoints import MODEL_NAMES, load_metrics, load_model
from mnist_models.models.deskew import deskew
from mnist_models.models.explain import softmax_templates
from mnist_models.models.networks import SoftmaxRegression
from mnist_models.pictures import templates_picture
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


def format_confusion(confusion: list[list[int]]) -> str:
    header = "true\\pred " + " ".join(f"{d:>5}" for d in range(10))
    rows = [f"{label:>9} " + " ".join(f"{n:>5}" for n in row) for label, row in enumerate(confusion)]
    return "\n".join([header, *rows])


def miss_sheet(pen: PenData, predictions: torch.Tensor, columns: int = 12) -> Image.Image | None:
    """A contact sheet of the validation set's misses: each the pad's picture, the 28x28 picture
    the model saw, and "writer: true -> read"; None when there are none."""
    digits = pen.by_writers(VALIDATION_WRITERS)
    misses = [(i, int(p)) for i, p in enumerate(predictions.tolist()) if p != digits[i // VALIDATION_RENDERINGS].label]
    if not misses:
        return None
    cell, thumb, seen, caption = 150, 100, 44, 16
    rows = -(-len(misses) // columns)
    sheet = Image.new("RGB", (columns * cell, rows * (thumb + caption + 6)), "white")
    draw = ImageDraw.Draw(sheet)
    for n, (index, predicted) in enumerate(misses):
        digit = digits[index // VALIDATION_RENDERINGS]
        picture = draw_on_pad(digit, VALIDATION_SEED, index % VALIDATION_RENDERINGS, VALIDATION_RENDERINGS)
        paper = Image.new("RGB", picture.size, "white")
        paper.paste(picture, mask=picture)
        x, y = (n % columns) * cell, (n // columns) * (thumb + caption + 6)
        sheet.paste(paper.resize((thumb, thumb), Image.Resampling.LANCZOS), (x + 2, y + 2))
        draw.rectangle([x + 2, y + 2, x + thumb + 2, y + thumb + 2], outline="#bbbbbb")
        model_view = (255 - preprocess(picture) * 255).astype(np.uint8)
        sheet.paste(Image.fromarray(model_view).resize((seen, seen), Image.Resampling.NEAREST), (x + thumb + 4, y + 2))
        draw.text((x + 4, y + thumb + 4), f"w{digit.writer}: {digit.label} -> {predicted}", fill="#c0392b")
    return sheet


def nondigit_miss_sheet(
    model: nn.Module, verdict: dict, sets: dict[str, torch.Tensor], columns: int = 16
) -> Image.Image | None:
    """A contact sheet of the non-digits (DIGIT_LIKE_SET left out) that ``model`` took for digits:
    each the 28x28 picture it saw, with its alphabet's initial, the digit it read and how sure."""
    misses = []
    for name, images in sets.items():
        if name == DIGIT_LIKE_SET or not len(images):
            continue
        probabilities = calibrated(predict_logits(model, images), verdict["temperature"])
        top, digit = probabilities.max(1)
        for i in torch.nonzero(top >= verdict["threshold"]).flatten().tolist():
            with torch.inference_mode():
                seen = model.sees(images[i : i + 1]).view(28, 28).cpu().numpy()
            misses.append((seen, f"{name[:3]} {int(digit[i])} {top[i].item():.0%}"))
    if not misses:
        return None
    cell, side = 84, 64
    rows = -(-len(misses) // columns)
    sheet = Image.new("RGB", (columns * cell, rows * (side + 18)), "white")
    draw = ImageDraw.Draw(sheet)
    for n, (seen, caption) in enumerate(misses):
        x, y = (n % columns) * cell, (n // columns) * (side + 18)
        picture = Image.fromarray((255 - np.clip(seen, 0, 1) * 255).astype(np.uint8))
        sheet.paste(picture.resize((side, side), Image.Resampling.NEAREST), (x + 2, y + 2))
        draw.text((x + 2, y + side + 3), caption, fill="#c0392b")
    return sheet


def deskew_sheet(pen: PenSet, count: int = 10) -> Image.Image:
    """The ``count`` most slanted digits of ``pen`` as the model would see them without deskewing
    (top row) and with it (bottom row)."""
    images = pen.images[:, 0]
    ys, xs = torch.meshgrid(torch.arange(28.0), torch.arange(28.0), indexing="ij")
    mass = images.sum((1, 2))
    cy, cx = (images * ys).sum((1, 2)) / mass, (images * xs).sum((1, 2)) / mass
    dy, dx = ys - cy.view(-1, 1, 1), xs - cx.view(-1, 1, 1)
    slant = (images * dx * dy).sum((1, 2)) / (images * dy * dy).sum((1, 2))
    chosen = slant.abs().argsort(descending=True)[:count]
    side, gap = 84, 6
    sheet = Image.new("L", (count * (side + gap), 2 * (side + gap)), 255)
    for n, index in enumerate(chosen.tolist()):
        for row, picture in enumerate((images[index], deskew(images[index]))):
            ink = Image.fromarray((255 - picture.clamp(0, 1).numpy() * 255).astype(np.uint8))
            sheet.paste(ink.resize((side, side), Image.Resampling.NEAREST), (n * (side + gap), row * (side + gap)))
    return sheet


def print_verdict_figures(name: str, verdict: dict, measured: dict) -> None:
    print(
        f"{name}: not a digit below a top probability of {verdict['threshold']:.3f} (temperature "
        f"{verdict['temperature']:.3f}, fit on writers {verdict['fit_on']['writers']})"
    )
    print(f"  validation writers' digits called not a digit: {measured['digits_flagged']:.2%}")
    flagged = measured["non_digits_flagged"]
    print("  non-digits called not a digit: " + ", ".join(f"{k} {v:.1%}" for k, v in flagged.items()))
    if "auroc" in measured:
        print(
            f"  all validation non-digits {measured['non_digits_flagged_all']:.1%}; AUROC top probability "
            f"{measured['auroc']:.3f}, energy {measured['energy_auroc']:.3f}"
        )
        print(
            "  non-digits flagged when this share of digits is: "
            + ", ".join(f"{p['digits_flagged']:.1%} -> {p['non_digits_flagged']:.1%}" for p in measured["curve"])
        )
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=[*MODEL_NAMES, "all"], default="all")
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $MNIST_DATA_DIR or ./data)")
    parser.add_argument("--pen-dir", help=f"folder with the pen-drawn digits file (default: ${PENDIGITS_DIR_ENV})")
    parser.add_argument("--omniglot-dir", help="folder with the Omniglot strokes zip (default: $OMNIGLOT_DIR)")
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
    args = parser.parse_args(argv)

    device = pick_device(args.device)
    train, test = load_split("train", args.data_dir), load_split("test", args.data_dir)
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
    if args.pictures:
        folder = Path(args.pictures)
        folder.mkdir(parents=True, exist_ok=True)
        if validation is not None:
            deskew_sheet(validation).save(folder / "deskew-examples.png")
        templates = softmax_templates(load_model("softmax", device, args.weights_dir))
        Image.fromarray(templates_picture(templates)).save(folder / "softmax-templates.png")
        print(f"pictures: {folder}")
    redrawn, redrawn_labels = redrawn_mnist(test, args.redrawn)
    names = MODEL_NAMES if args.model == "all" else (args.model,)
    for name in names:
        model = load_model(name, device, args.weights_dir)
        verdict = load_metrics(name, args.weights_dir).get("verdict")
        result = evaluate_model(model, test.as_float(), test.labels)
        print(f"\n{name}: MNIST test accuracy {result['accuracy']:.2%} ({len(test)} images, {device})")
        print(format_confusion(result["confusion_matrix"]))
        if validation is not None:
            on_pen = pen_metrics(model, validation)
            print_pen_figures(name, on_pen, len(validation))
            sheet = miss_sheet(pen, predict_logits(model, validation.images).argmax(1))
            if sheet is not None:
                path = Path(args.misses) / f"{name}-pen-misses.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                sheet.save(path)
                print(f"  misses: {path}")
            if verdict is None:
                print(f"{name}: no verdict in its metrics (trained without pen digits to fit one on)")
            else:
                print_verdict_figures(name, verdict, verdict_metrics(model, verdict, validation, nondigits or {}))
                sheet = nondigit_miss_sheet(model, verdict, nondigits or {})
                if sheet is not None:
                    path = Path(args.misses) / f"{name}-nondigits-taken-for-digits.png"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    sheet.save(path)
                    print(f"  non-digits taken for digits: {path}")
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
