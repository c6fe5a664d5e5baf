"""The NumPy reference: its hand-derived gradient is autograd's, and it learns MNIST."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mnist_models.training.numpy_softmax import NumpySoftmaxRegression, softmax


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
