"""Classify drawings with the shipped models: preprocessing, then a forward pass.

Models are loaded once, when a ``Classifier`` is made, and run under ``torch.inference_mode``
on the picked device.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from .checkpoints import MODEL_NAMES, load_metrics, load_model
from .device import describe_device, pick_device
from .photo import read_photo
from .preprocess import preprocess


class UnknownModelError(KeyError):
    def __init__(self, name: object) -> None:
        shown = repr(name)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."  # a name sent from outside may be anything
        self.message = f"Unknown model {shown}. Choose one of: {', '.join(MODEL_NAMES)}."
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Prediction:
    digit: int
    probabilities: list[float]  # digit order 0-9, sums to 1
    model: str
    device: str
    image: np.ndarray  # the 28x28 input the model saw

    def as_json(self) -> dict:
        return {
            "prediction": self.digit,
            "probabilities": self.probabilities,
            "model": self.model,
            "device": self.device,
        }


class Classifier:
    """Both shipped models, loaded once, ready to classify drawings."""

    def __init__(self, device: str | torch.device | None = None, weights_dir=None) -> None:
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.device_label = describe_device(self.device)
        self.models = {name: load_model(name, self.device, weights_dir) for name in MODEL_NAMES}
        self.metrics = {name: load_metrics(name, weights_dir) for name in MODEL_NAMES}

    def model(self, name: str) -> torch.nn.Module:
        if not isinstance(name, str) or name not in self.models:
            raise UnknownModelError(name)
        return self.models[name]

    @torch.inference_mode()
    def probabilities(self, images: np.ndarray, name: str) -> np.ndarray:
        """Softmax probabilities (N, 10) for preprocessed images (N, 28, 28)."""
        model = self.model(name)
        x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).to(self.device)
        return model(x.unsqueeze(1)).float().softmax(1).cpu().numpy()

    def classify(self, image: Any, name: str) -> Prediction:
        """Preprocess ``image`` (see ``preprocess``) and classify it with model ``name``."""
        self.model(name)  # an unknown name fails before any work is done
        x = preprocess(image)
        return self.prediction(x, self.probabilities(x[None], name)[0], name)

    def classify_photo(self, photo: Any, name: str) -> Prediction:
        """Find the digit in a photo of paper (see ``photo.read_photo``) and classify it with model ``name``."""
        self.model(name)
        x = read_photo(photo)
        return self.prediction(x, self.probabilities(x[None], name)[0], name)

    def prediction(self, image: np.ndarray, probabilities: np.ndarray, name: str) -> Prediction:
        probabilities = probabilities.astype(np.float64)
        probabilities /= probabilities.sum()
        return Prediction(int(probabilities.argmax()), probabilities.tolist(), name, self.device_label, image)
