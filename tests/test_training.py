"""Training really learns: short runs on a subset, the loss choices, and the augmentation."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from mnist_models.augment import AUGMENTATIONS, augment_batch
from mnist_models.data import MNISTSplit
from mnist_models.train import RECIPES, Recipe, loss_fn, main, train_model


def subset(split: MNISTSplit, count: int) -> MNISTSplit:
    return MNISTSplit(split.images[:count], split.labels[:count], split.sha256)


@pytest.mark.mnist
@pytest.mark.parametrize(
    "name, recipe",
    [
        ("softmax", Recipe(epochs=2, batch_size=100, lr=0.1, optimizer="sgd")),
        ("softmax", Recipe(epochs=2, batch_size=100, lr=1e-2, optimizer="adamw", loss="mse")),
        ("mlp", Recipe(epochs=2, batch_size=100, lr=2e-3, optimizer="adamw", augment="full")),
    ],
    ids=["softmax-cross-entropy", "softmax-mse", "mlp-augmented"],
)
def test_a_short_run_beats_chance_by_far(name, recipe, mnist_train, mnist_test):
    model, metrics = train_model(
        name, recipe, subset(mnist_train, 5000), subset(mnist_test, 1000), torch.device("cpu"), progress=False
    )
    assert metrics["test_accuracy"] > 0.75  # chance is 0.10
    assert metrics["curves"]["train_loss"][-1] < metrics["curves"]["train_loss"][0]
    assert len(metrics["confusion_matrix"]) == 10 and sum(map(sum, metrics["confusion_matrix"])) == 1000


@pytest.mark.mnist
def test_the_same_seed_gives_the_same_model(mnist_train, mnist_test):
    recipe = dataclasses.replace(RECIPES["softmax"], epochs=1)
    runs = [
        train_model(
            "softmax",
            recipe,
            subset(mnist_train, 2000),
            subset(mnist_test, 500),
            torch.device("cpu"),
            seed=3,
            progress=False,
        )[0]
        for _ in range(2)
    ]
    assert torch.equal(runs[0].linear.weight, runs[1].linear.weight)


@pytest.mark.mnist
def test_the_cli_writes_weights_metrics_and_curves(tmp_path, monkeypatch, mnist_train, mnist_test):
    import mnist_models.train as train

    monkeypatch.setattr(
        train, "load_split", lambda split, root: subset(mnist_train if split == "train" else mnist_test, 2000)
    )
    main(["--model", "softmax", "--epochs", "1", "--out-dir", str(tmp_path), "--no-progress"])
    metrics = json.loads((tmp_path / "softmax.json").read_text())
    for key in (
        "test_accuracy",
        "per_class_accuracy",
        "confusion_matrix",
        "curves",
        "train_seconds",
        "device",
        "torch_version",
        "weights_sha256",
        "data_sha256",
        "drawn_accuracy",
    ):
        assert key in metrics
    assert (tmp_path / "softmax.safetensors").stat().st_size > 30_000
    assert (tmp_path / "softmax.curves.png").read_bytes()[:4] == b"\x89PNG"


def test_mse_loss_is_zero_for_a_perfect_confident_answer():
    logits = torch.tensor([[100.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
    assert loss_fn(logits, torch.tensor([0]), "mse").item() == pytest.approx(0.0, abs=1e-6)
    assert loss_fn(logits, torch.tensor([1]), "mse").item() == pytest.approx(0.2, abs=1e-6)


@pytest.mark.parametrize("kind", ["thickness", "full"])
def test_augmentation_keeps_images_in_range_and_changes_them(kind):
    x = torch.zeros(64, 1, 28, 28)
    x[:, :, 8:20, 12:16] = 1.0
    out = augment_batch(x.clone(), torch.Generator().manual_seed(0), AUGMENTATIONS[kind])
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    changed = (out - x).abs().flatten(1).amax(1) > 0.05
    assert 0.3 < changed.float().mean() <= 1.0  # most images change, each in its own way
    assert len({round(v, 3) for v in out.sum((1, 2, 3)).tolist()}) > 10
