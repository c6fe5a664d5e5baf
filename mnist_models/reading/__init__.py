"""A picture read by the models: ``Classifier.read`` is the one way in.

- ``classifier``: ``Classifier`` (both shipped models, loaded once) and its ``Prediction``.
- ``preprocess``: bounded decoding of files and data URLs, and MNIST-style preprocessing.
- ``photo``: finding the digit's ink in a photo of paper.
"""

from mnist_models.reading.classifier import Classifier, Prediction, UnknownModelError
from mnist_models.reading.preprocess import DrawingError, EmptyDrawingError

__all__ = ["Classifier", "DrawingError", "EmptyDrawingError", "Prediction", "UnknownModelError"]
