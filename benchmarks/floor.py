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

import _common  # noqa: F401  (puts the repository on sys.path)
import gradio as gr
import numpy as np

from demo import app, student
from demo.language import translations
from mnist_models.checkpoints import MODEL_NAMES, load_metrics
from mnist_models.classwall import ClassWall
from mnist_models.inference import Prediction, UnknownModelError


class NoopClassifier:
    """``Classifier``'s interface, answering 7 for anything without reading it."""

    device_label = "no-op"

    def __init__(self) -> None:
        self.metrics = {name: load_metrics(name) for name in MODEL_NAMES}

    def model(self, name: object) -> None:
        if not isinstance(name, str) or name not in MODEL_NAMES:
            raise UnknownModelError(name)

    def classify(self, image: object, name: str) -> Prediction:
        self.model(name)
        probabilities = [0.01] * 10
        probabilities[7] = 0.91
        return Prediction(7, probabilities, name, self.device_label, np.zeros((28, 28), np.float32))

    def classify_each(self, image: object, names) -> dict[str, Prediction]:
        return {name: self.classify(image, name) for name in names}

    classify_photo = classify


def main() -> None:
    classifier = NoopClassifier()
    i18n = translations(classifier.metrics, classifier.device_label)
    with gr.Blocks(delete_cache=(600, 1800)) as demo:
        student.build(classifier, i18n, ClassWall())
    app.queue(demo)
    print("floor:", app.serve(demo, i18n), flush=True)
    demo.block_thread()


if __name__ == "__main__":
    main()
