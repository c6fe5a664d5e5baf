"""The drawing tab as it first shipped, on Gradio's own sketchpad: the "before" that
requests_per_drawing.py measures the app against.

Same models, handler logic and live event (`.change`, trigger_mode="always_last") as demo/app.py;
what differs is the input (gr.Sketchpad, an image editor that uploads its background, layer and
composite as files) and the 28x28 preview (a gr.Image, fetched back as a file).

    python benchmarks/sketchpad_app.py [--port 7998]
"""

from __future__ import annotations

import argparse
from functools import partial

import _common  # noqa: F401  (puts the repository on sys.path)
import gradio as gr
import torch

from demo import results
from mnist_models import pictures
from mnist_models.inference import Classifier
from mnist_models.preprocess import DrawingError, EmptyDrawingError

CANVAS = 280
BRUSH_RADIUS = 11

# The sketchpad opens with no tool selected; the first version picked the brush on load.
SELECT_BRUSH_JS = """
() => {
  const pick = (tries) => {
    const brush = document.querySelector('#sketch button[aria-label="Brush"]');
    if (brush) { brush.click(); } else if (tries > 0) { setTimeout(() => pick(tries - 1), 100); }
  };
  pick(50);
}
"""


def classify_sketch(classifier: Classifier, sketch: dict | None, model: str):
    try:
        prediction = classifier.classify(sketch, model)
    except EmptyDrawingError:
        return results.chart_frame(None), results.answer_html(None, "en"), None
    except DrawingError as error:
        return results.chart_frame(None), results.answer_html(None, "en", str(error)), None
    seen = pictures.enlarge(prediction.image, 6)
    return results.chart_frame(prediction.probabilities, prediction.digit), results.answer_html(prediction, "en"), seen


def build(classifier: Classifier) -> gr.Blocks:
    with gr.Blocks(title="MNIST: draw a digit (Gradio sketchpad)") as app:
        with gr.Row(equal_height=False):
            with gr.Column():
                sketch = gr.Sketchpad(
                    label="Your drawing",
                    elem_id="sketch",
                    canvas_size=(CANVAS, CANVAS),
                    fixed_canvas=True,
                    brush=gr.Brush(default_size=BRUSH_RADIUS, colors=["#000000"], color_mode="fixed"),
                    eraser=gr.Eraser(default_size=BRUSH_RADIUS * 2),
                    layers=False,
                    transforms=(),
                    type="numpy",
                    image_mode="RGBA",
                )
                model = gr.Radio([("Softmax regression", "softmax"), ("MLP", "mlp")], value="mlp", label="Model")
            with gr.Column():
                result = gr.HTML(results.answer_html(None, "en"), elem_id="result")
                chart = results.probability_chart("Probability of each digit", "chart")
                seen = gr.Image(label="What the model sees (28×28)", elem_id="seen", interactive=False, height=190)
        for event in (sketch.change, model.change):
            event(
                partial(classify_sketch, classifier),
                inputs=[sketch, model],
                outputs=[chart, result, seen],
                trigger_mode="always_last",
                show_progress="hidden",
            )
        app.load(None, js=SELECT_BRUSH_JS)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, help="default: $GRADIO_SERVER_PORT or 7860")
    args = parser.parse_args()
    torch.set_num_threads(1)
    build(Classifier()).queue(default_concurrency_limit=4).launch(server_name=args.host, server_port=args.port)


if __name__ == "__main__":
    main()
