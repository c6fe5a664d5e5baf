"""Read a picture with the shipped models: ``Classifier.read``, the one way in for the drawing
page, the API, the class wall and the classroom. Preprocessing, then a forward pass, then the
verdict.

Models are loaded once, when a ``Classifier`` is made, and run under ``torch.inference_mode``
on the picked device. Each model's metrics JSON may carry a ``verdict``: the temperature that
makes its probabilities calibrated, and the score below which it says that a drawing does not
look like a digit (chosen on drawings it was not trained on; see
``mnist_models.evaluation.metrics.fit_verdict``): its top probability, or for a model with a
"not a digit" output the chance that the drawing is a digit at all. A model without one calls
everything a digit, at temperature 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from mnist_models.device import describe_device, pick_device
from mnist_models.evaluation.verdict import calibrated, not_a_digit_chance
from mnist_models.models.checkpoints import MODEL_NAMES, load_metrics, load_model
from mnist_models.pad import CANVAS
from mnist_models.reading.photo import preprocess_photo
from mnist_models.reading.preprocess import decode_data_url, open_image, preprocess

# What ``Classifier.read`` is given: an image (the default: a file path, bytes or a file object, a
# PIL image or an array: ink on a transparent background or on plain paper), the pad's value (a
# data URL from a browser, never opened as a path: the app always says source="pad" for what a
# browser sends), or a photo of a digit on paper.
SOURCES = ("pad", "image", "photo")
# The pad sends CANVAS x CANVAS; a picture up to this side is still read (a test or an older page
# may draw larger), one beyond it is refused before it is decoded: a 4096x4096 PNG of a few blank
# kilobytes costs 64 MB and tens of milliseconds to decode.
MAX_PAD_SIDE = 4 * CANVAS


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
    digit: int  # the most probable digit: the answer, or for a non-digit the closest digit
    probabilities: list[float]  # calibrated, digit order 0-9, sums to 1
    model: str
    device: str
    image: np.ndarray  # the 28x28 input the model saw (deskewed, for a model that deskews)
    is_digit: bool = True  # whether the model takes the drawing for a digit at all
    threshold: float = 0.0  # the score (``verdict.digit_score``) from which the model calls a drawing a digit
    not_a_digit: float | None = None  # a model with a "not a digit" output: the chance that this is no digit at all

    @property
    def verdict(self) -> str:
        return "digit" if self.is_digit else "not-a-digit"

    def as_json(self) -> dict:
        return {
            "prediction": self.digit,
            "probabilities": self.probabilities,
            "is_digit": self.is_digit,
            "digit_threshold": self.threshold,
            "not_a_digit_probability": self.not_a_digit,
            "model": self.model,
            "device": self.device,
        }


class Classifier:
    """Both shipped models, loaded once, ready to read pictures."""

    def __init__(self, device: str | torch.device | None = None, weights_dir=None) -> None:
        self.device = device if isinstance(device, torch.device) else pick_device(device)
        self.device_label = describe_device(self.device)
        self.models = {name: load_model(name, self.device, weights_dir) for name in MODEL_NAMES}
        self.metrics = {name: load_metrics(name, weights_dir) for name in MODEL_NAMES}
        verdicts = {name: self.metrics[name].get("verdict", {}) for name in MODEL_NAMES}
        self.temperatures = {name: float(verdicts[name].get("temperature", 1.0)) for name in MODEL_NAMES}
        self.thresholds = {name: float(verdicts[name].get("threshold", 0.0)) for name in MODEL_NAMES}

    def model(self, name: object) -> torch.nn.Module:
        """Model ``name``; the one place a name from outside is checked (UnknownModelError)."""
        if not isinstance(name, str) or name not in self.models:
            raise UnknownModelError(name)
        return self.models[name]

    def read(
        self, picture: Any, models: str | Iterable[str] = MODEL_NAMES, source: str = "image"
    ) -> dict[str, Prediction]:
        """Each of ``models``' prediction (one name, or several) for ``picture``, preprocessed once
        (see SOURCES).

        Raises UnknownModelError for a model name not shipped (before any work), EmptyDrawingError
        for a blank picture, and DrawingError for anything that is not a readable digit.
        """
        names = [models] if isinstance(models, str) else list(models)  # "mlp" is one name, not three
        for name in names:
            self.model(name)
        image = self.preprocessed(picture, source)
        return {name: self.prediction(image, name) for name in names}

    @staticmethod
    def preprocessed(picture: Any, source: str) -> np.ndarray:
        """``picture`` as the 28x28 MNIST-style image every model reads."""
        if source == "pad":
            # A browser's value: only ever decoded as a bounded data URL, never opened as a path.
            if not picture:
                return preprocess(None)
            return preprocess(open_image(decode_data_url(picture), max_side=MAX_PAD_SIDE))
        if source == "image":
            return preprocess(picture)
        if source == "photo":
            return preprocess_photo(picture)
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")

    @torch.inference_mode()
    def probabilities(self, images: np.ndarray, name: str) -> np.ndarray:
        """The ten digits' calibrated probabilities (N, 10) for preprocessed images (N, 28, 28): a
        batch, for measuring."""
        model = self.model(name)
        x = torch.from_numpy(np.ascontiguousarray(images, dtype=np.float32)).to(self.device)
        return calibrated(model(x.unsqueeze(1)), self.temperatures[name]).cpu().numpy()

    @torch.inference_mode()
    def prediction(self, image: np.ndarray, name: str) -> Prediction:
        """Model ``name``'s prediction for one preprocessed 28x28 ``image``."""
        model = self.model(name)
        # Deskewed once: the picture shown is the one the model reads.
        seen = model.sees(torch.from_numpy(np.ascontiguousarray(image, dtype=np.float32))[None].to(self.device))
        logits, temperature = model.reads(seen).float().cpu(), self.temperatures[name]
        probabilities = calibrated(logits, temperature)[0].numpy().astype(np.float64)
        probabilities /= probabilities.sum()
        chance = not_a_digit_chance(logits, temperature)
        # The score of verdict.digit_score, from what is worked out above.
        score = probabilities.max() if chance is None else 1.0 - float(chance[0])
        threshold = self.thresholds[name]
        return Prediction(
            digit=int(probabilities.argmax()),
            probabilities=probabilities.tolist(),
            model=name,
            device=self.device_label,
            image=seen.view(28, 28).cpu().numpy(),
            is_digit=bool(score >= threshold),
            threshold=threshold,
            not_a_digit=None if chance is None else float(chance[0]),
        )
