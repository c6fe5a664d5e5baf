"""The NumPy reference: its hand-derived gradient is autograd's, it learns MNIST, and its command
says both."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mnist_models.datasets import mnist as data
from mnist_models.training.numpy_softmax import NumpySoftmaxRegression, main, softmax
from tests.conftest import write_split


def test_hand_derived_gradient_equals_autograd():
    rng = np.random.default_rng(1)
    X = rng.random((32, 784))
    labels = rng.integers(0, 10, size=32)
    model = NumpySoftmaxRegression(seed=2)
    model.W += rng.normal(0, 0.1, size=model.W.shape)  # away from the near-uniform start
    loss, dW, db = model.loss_and_gradients(X, labels)

    W = torch.tensor(model.W, requires_grad=True)
    b = torch.tensor(model.b, requires_grad=True)
    torch_loss = F.cross_entropy(torch.tensor(X) @ W.T + b, torch.tensor(labels))
    torch_loss.backward()
    assert loss == pytest.approx(torch_loss.item(), rel=1e-9)
    np.testing.assert_allclose(dW, W.grad.numpy(), rtol=1e-7, atol=1e-12)
    np.testing.assert_allclose(db, b.grad.numpy(), rtol=1e-7, atol=1e-12)


def test_softmax_is_stable_for_huge_logits():
    p = softmax(np.array([[1000.0, 1000.0, -1000.0]]))
    assert np.all(np.isfinite(p)) and p[0, 0] == pytest.approx(0.5)


@pytest.mark.mnist
def test_numpy_reference_trains_past_90_percent_on_mnist(mnist_train, mnist_test):
    X = mnist_train.images.numpy().reshape(-1, 784) / 255.0
    Xt = mnist_test.images.numpy().reshape(-1, 784) / 255.0
    model = NumpySoftmaxRegression()
    losses = model.fit(X, mnist_train.labels.numpy(), epochs=3, batch_size=100, lr=0.5)
    assert losses[-1] < losses[0]
    assert model.accuracy(Xt, mnist_test.labels.numpy()) >= 0.90


def test_the_command_checks_the_gradient_then_reports_test_accuracy_each_epoch(tmp_path, monkeypatch, capsys):
    for split, prefix, count in (("train", "train", 200), ("test", "t10k", 50)):
        image_file, label_file, _ = data.SPLIT_FILES[split]
        monkeypatch.setitem(data.SPLIT_FILES, split, (image_file, label_file, count))
        write_split(tmp_path, count, compress=False, prefix=prefix)
    main(["--data-dir", str(tmp_path), "--epochs", "2", "--batch-size", "50"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    difference = float(
        re.fullmatch(r"hand-derived gradient vs autograd on 32 images: largest difference (\S+)", lines[0])[1]
    )
    assert difference < 1e-9
    for epoch, line in enumerate(lines[1:], start=1):
        accuracy = float(re.fullmatch(rf"epoch {epoch}: training loss \S+, test accuracy (\S+)%", line)[1])
        assert 0 <= accuracy <= 100
