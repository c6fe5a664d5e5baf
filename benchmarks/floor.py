"""The floor: the drawing page built by its own builder (demo/student.py ``build``), served with
the app's own settings (demo/app.py ``serve``), and a classifier that does nothing. What the app
costs beyond it is the app's own work; what the floor costs is Gradio's and the page's wiring.

    python benchmarks/floor.py          (port: $GRADIO_SERVER_PORT)

Its events are the app's drawing page's, component for component (the pad's change event, the
photo, the "what I meant" row, /classify and /classify_label), so it cannot drift from the
page. Each reading returns a constant prediction: the pad's data URL is still decoded (bounded)
and an API upload's path still checked, but no picture is preprocessed and no model runs.
"""

from __future__ import annotations

import tempfile

import _common  # noqa: F401  (puts the repository on sys.path)
import gradio as gr
import numpy as np

from demo import app, student
from demo.language import translations
from mnist_models.classes.store import ClassStore
from mnist_models.models.checkpoints import MODEL_NAMES, load_metrics
from mnist_models.reading.classifier import Prediction, UnknownModelError
from mnist_models.reading.preprocess import decode_data_url


class NoopClassifier:
    """``Classifier``'s interface, answering 7 for anything without reading it."""

    device_label = "no-op"

    def __init__(self) -> None:
        self.metrics = {name: load_metrics(name) for name in MODEL_NAMES}

    def model(self, name: object) -> None:
        if not isinstance(name, str) or name not in MODEL_NAMES:
            raise UnknownModelError(name)

    def read(self, picture: object, models=MODEL_NAMES, source: str = "pad") -> dict[str, Prediction]:
        names = list(models)
        for name in names:
            self.model(name)
        if source == "pad" and picture:
            decode_data_url(picture)
        probabilities = [0.01] * 10
        probabilities[7] = 0.91
        seen = np.zeros((28, 28), np.float32)
        return {name: Prediction(7, probabilities, name, self.device_label, seen) for name in names}


def main() -> None:
    classifier = NoopClassifier()
    i18n = translations(classifier.metrics, classifier.device_label)
    with gr.Blocks(delete_cache=(600, 1800)) as demo:
        student.build(classifier, i18n, ClassStore(tempfile.mkdtemp(prefix="floor-classes-")), demo)
    app.queue(demo)
    print("floor:", app.serve(demo, i18n), flush=True)
    demo.block_thread()


if __name__ == "__main__":
    main()
