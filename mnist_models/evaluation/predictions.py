"""The MNIST test set with every model's answer to every digit, for browsing the models' mistakes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.models.networks import digit_logits


@dataclass(frozen=True)
class TestSetPredictions:
    """The test set with every model's prediction for every digit, for browsing mistakes."""

    __test__ = False  # a data set's name, not a test for pytest to collect

    images: np.ndarray  # uint8 (N, 28, 28), ink 255
    labels: np.ndarray  # (N,)
    predictions: dict[str, np.ndarray]  # model name -> (N,) predicted digits

    @classmethod
    @torch.inference_mode()
    def compute(cls, split: MNISTSplit, models: dict[str, nn.Module], batch_size: int = 2000) -> TestSetPredictions:
        images = split.as_float()
        predictions = {}
        for name, model in models.items():
            device = next(model.parameters()).device
            predictions[name] = torch.cat(
                [
                    digit_logits(model(images[i : i + batch_size].to(device))).argmax(1).cpu()
                    for i in range(0, len(images), batch_size)
                ]
            ).numpy()
        return cls(split.images.numpy(), split.labels.numpy(), predictions)

    def __len__(self) -> int:
        return len(self.labels)

    def mistakes(self, model: str, true: int | None = None, predicted: int | None = None) -> np.ndarray:
        """Indices of the digits ``model`` gets wrong, optionally only those of one true and/or predicted class."""
        wrong = self.predictions[model] != self.labels
        if true is not None:
            wrong &= self.labels == true
        if predicted is not None:
            wrong &= self.predictions[model] == predicted
        return np.flatnonzero(wrong)

    def confusion(self, model: str) -> np.ndarray:
        """Counts with true digits in rows and predicted digits in columns."""
        return np.bincount(self.labels * 10 + self.predictions[model], minlength=100).reshape(10, 10)
