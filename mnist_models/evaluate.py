"""Accuracy and confusion matrix of trained models on the MNIST test set.

python -m mnist_models.evaluate [--model softmax|mlp|all] [--data-dir DIR]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .checkpoints import MODEL_NAMES, load_model
from .data import MNISTSplit, load_split
from .device import pick_device
from .drawings import drawn_digit_set, redraw_mnist
from .preprocess import preprocess


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


def drawn_digits(per_digit: int = 50, seed: int = 0, canvas: int = 400) -> tuple[torch.Tensor, torch.Tensor]:
    """Synthetic hand-drawn digits (see ``drawings``) after MNIST-style preprocessing:
    float images (N, 1, 28, 28) and labels (N,)."""
    pairs = drawn_digit_set(per_digit, seed, canvas)
    images = np.stack([preprocess(image) for image, _ in pairs])
    return torch.from_numpy(images).unsqueeze(1), torch.tensor([label for _, label in pairs])


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", choices=[*MODEL_NAMES, "all"], default="all")
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $MNIST_DATA_DIR or ./data)")
    parser.add_argument(
        "--weights-dir", help="folder with NAME.safetensors and NAME.json (default: the shipped weights)"
    )
    parser.add_argument("--device", help="cuda, mps, cpu or auto (default: $MNIST_DEVICE or auto)")
    parser.add_argument("--drawn-per-digit", type=int, default=50, help="synthetic drawings per digit (default 50)")
    parser.add_argument(
        "--redrawn", type=int, default=1000, help="MNIST test digits redrawn as canvas pictures (default 1000)"
    )
    args = parser.parse_args(argv)

    device = pick_device(args.device)
    test = load_split("test", args.data_dir)
    drawn, drawn_labels = drawn_digits(args.drawn_per_digit)
    redrawn, redrawn_labels = redrawn_mnist(test, args.redrawn)
    names = MODEL_NAMES if args.model == "all" else (args.model,)
    for name in names:
        model = load_model(name, device, args.weights_dir)
        result = evaluate_model(model, test.as_float(), test.labels)
        print(f"{name}: MNIST test accuracy {result['accuracy']:.2%} ({len(test)} images, {device})")
        print(format_confusion(result["confusion_matrix"]))
        on_drawn = evaluate_model(model, drawn, drawn_labels)
        print(f"{name}: drawn-digit accuracy {on_drawn['accuracy']:.2%} ({len(drawn_labels)} synthetic drawings)")
        print("  per digit: " + " ".join(f"{d}:{a:.0%}" for d, a in enumerate(on_drawn["per_class_accuracy"])))
        on_redrawn = evaluate_model(model, redrawn, redrawn_labels)
        print(
            f"{name}: redrawn-MNIST accuracy {on_redrawn['accuracy']:.2%} ({len(redrawn_labels)} test digits as canvas pictures)"
        )


if __name__ == "__main__":
    main()
