"""The drawing pad's value read by the models: the one path from what the page sends to a
``Prediction``, used by the drawing page, the class wall and the classroom.

The pad's value is a ``data:image/png;base64,...`` URL ("" or None while the pad is blank): it
comes from a browser, so it is decoded within bounds and a path in it is never opened.
"""

from __future__ import annotations

from collections.abc import Sequence

from .checkpoints import MODEL_NAMES
from .inference import Classifier, Prediction
from .pad import CANVAS
from .preprocess import decode_data_url, open_image

# The pad sends CANVAS x CANVAS; a picture up to this side is still read (a test or an older page
# may draw larger), one beyond it is refused before it is decoded: a 4096x4096 PNG of a few blank
# kilobytes costs 64 MB and tens of milliseconds to decode.
MAX_PAD_SIDE = 4 * CANVAS


def read_pad(classifier: Classifier, pad_value: object, models: Sequence[str] = MODEL_NAMES) -> dict[str, Prediction]:
    """Each of ``models``' prediction for the pad's value, preprocessed once. Raises
    EmptyDrawingError for a blank pad, DrawingError for a value that is not a readable picture
    (or larger than the pad makes), UnknownModelError for a model name not shipped."""
    image = open_image(decode_data_url(pad_value), max_side=MAX_PAD_SIDE) if pad_value else None
    return classifier.classify_each(image, models)
