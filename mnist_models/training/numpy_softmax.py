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
"""

from __future__ import annotations

import numpy as np


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
        history = []
        for _ in range(epochs):
            order = rng.permutation(len(X))
            losses = [
                self.sgd_step(X[idx], labels[idx], lr) for idx in np.array_split(order, max(1, len(X) // batch_size))
            ]
            history.append(float(np.mean(losses)))
        return history

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.logits(X).argmax(axis=1)

    def accuracy(self, X: np.ndarray, labels: np.ndarray) -> float:
        return float((self.predict(X) == labels).mean())
