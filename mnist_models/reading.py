"""The drawing pad's value read by the models: the one path from what the page sends to a
``Prediction``, used by the drawing page, the class wall and the classroom.

The pad's value is a ``data:image/png;base64,...`` URL ("" or None while the pad is blank): it
comes from a browser, so it is decoded within bounds and a path in it is never opened.
"""

from __future__ import annotations

from collections.abc import Sequence

from .checkpoints import MODEL_NAMES
from .inference import Classifier, Prediction
from .preprocess import decode_data_url


def read_pad(classifier: Classifier, pad_value: object, models: Sequence[str] = MODEL_NAMES) -> dict[str, Prediction]:
    """Each of ``models``' prediction for the pad's value, preprocessed once. Raises
    EmptyDrawingError for a blank pad, DrawingError for a value that is not a readable picture,
    UnknownModelError for a model name not shipped."""
    return classifier.classify_each(decode_data_url(pad_value) if pad_value else None, models)
