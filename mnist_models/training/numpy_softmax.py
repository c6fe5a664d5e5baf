"""Softmax regression from scratch in NumPy, with the gradient derived by hand (tutorial 003).

For one example x (784,) with one-hot label y (10,), weights W (10, 784) and bias b (10,):

    z = W x + b                    logits
    p = softmax(z)                 p_k = exp(z_k) / sum_j exp(z_j)
    L = -sum_k y_k log p_k         cross-entropy

    dL/dz = p - y                  (the softmax and the log cancel neatly)
    dL/dW = (p - y) x^T
    dL/db = p - y

Over a mini-batch X (N, 784) the loss is the mean, so the gradients are averaged:
dW = (P - Y)^T X / N and db = mean(P - Y).

As a command, it checks that gradient against torch's autograd, then trains on MNIST::

    python -m mnist_models.training.numpy_softmax [--data-dir DIR] [--epochs N] [--lr X] [--batch-size N]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from mnist_models.datasets.mnist import MNISTSplit, load_split
from mnist_models.training.command_flags import with_variables

GRADIENT_CHECK_BATCH = 32


def softmax(z: np.ndarray) -> np.ndarray:
    """Row-wise softmax; subtracting each row's max changes nothing mathematically and keeps exp from overflowing."""
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def one_hot(labels: np.ndarray, classes: int = 10) -> np.ndarray:
    return np.eye(classes, dtype=np.float64)[labels]


class NumpySoftmaxRegression:
    def __init__(self, features: int = 784, classes: int = 10, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.W = rng.normal(0.0, 0.01, size=(classes, features))
        self.b = np.zeros(classes)

    def logits(self, X: np.ndarray) -> np.ndarray:
        return X @ self.W.T + self.b

    def loss_and_gradients(self, X: np.ndarray, labels: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """Mean cross-entropy over the batch and its gradients with respect to W and b."""
        P = softmax(self.logits(X))
        Y = one_hot(labels, self.W.shape[0])
        n = X.shape[0]
        loss = -np.log(P[np.arange(n), labels] + 1e-12).mean()
        delta = (P - Y) / n  # dL/dz for each example, already divided by N
        return float(loss), delta.T @ X, delta.sum(axis=0)

    def sgd_step(self, X: np.ndarray, labels: np.ndarray, lr: float) -> float:
        loss, dW, db = self.loss_and_gradients(X, labels)
        self.W -= lr * dW
        self.b -= lr * db
        return loss

    def fit(
        self, X: np.ndarray, labels: np.ndarray, epochs: int = 5, batch_size: int = 100, lr: float = 0.5, seed: int = 0
    ) -> list[float]:
        """Mini-batch SGD; returns the mean training loss of each epoch."""
        rng = np.random.default_rng(seed)
        return [self.epoch(X, labels, batch_size, lr, rng) for _ in range(epochs)]

    def epoch(self, X: np.ndarray, labels: np.ndarray, batch_size: int, lr: float, rng: np.random.Generator) -> float:
        """One pass over the data in an order drawn from ``rng``; returns its mean training loss."""
        order = rng.permutation(len(X))
        losses = [self.sgd_step(X[idx], labels[idx], lr) for idx in np.array_split(order, max(1, len(X) // batch_size))]
        return float(np.mean(losses))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.logits(X).argmax(axis=1)

    def accuracy(self, X: np.ndarray, labels: np.ndarray) -> float:
        return float((self.predict(X) == labels).mean())


def gradient_difference_from_autograd(model: NumpySoftmaxRegression, X: np.ndarray, labels: np.ndarray) -> float:
    """The largest absolute difference between the hand-derived dL/dW, dL/db and what torch's
    autograd computes for the same loss on the batch ``X``: a rounding error if the derivation holds."""
    import torch  # autograd is only the referee here: the model itself is NumPy alone
    import torch.nn.functional as F

    _, dW, db = model.loss_and_gradients(X, labels)
    W = torch.tensor(model.W, requires_grad=True)
    b = torch.tensor(model.b, requires_grad=True)
    F.cross_entropy(torch.tensor(X) @ W.T + b, torch.tensor(labels, dtype=torch.long)).backward()
    return float(max(np.abs(dW - W.grad.numpy()).max(), np.abs(db - b.grad.numpy()).max()))


def as_rows(split: MNISTSplit) -> tuple[np.ndarray, np.ndarray]:
    """(X, labels): each image a row of 784 pixels, ink 1.0 and paper 0.0, as float64."""
    return split.images.numpy().reshape(-1, 784) / 255.0, split.labels.numpy()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Softmax regression in NumPy, its gradient derived by hand.")
    parser.add_argument("--data-dir", help="folder with the MNIST IDX files (default: $MNIST_DATA_DIR or ./data)")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--lr", type=float, default=0.5)
    parser.add_argument("--batch-size", type=int, default=100)
    args = with_variables(parser.parse_args(argv), os.environ)
    X, labels = as_rows(load_split("train", args.data_dir))
    X_test, labels_test = as_rows(load_split("test", args.data_dir))
    model = NumpySoftmaxRegression()

    batch = slice(0, GRADIENT_CHECK_BATCH)
    difference = gradient_difference_from_autograd(model, X[batch], labels[batch])
    print(f"hand-derived gradient vs autograd on {len(X[batch])} images: largest difference {difference:.1e}")

    rng = np.random.default_rng(0)  # as fit(seed=0) draws the epochs' orders
    for epoch in range(1, args.epochs + 1):
        loss = model.epoch(X, labels, args.batch_size, args.lr, rng)
        print(f"epoch {epoch}: training loss {loss:.4f}, test accuracy {model.accuracy(X_test, labels_test):.2%}")


if __name__ == "__main__":
    main()
