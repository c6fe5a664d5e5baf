"""The drawing app: a drawing pad, a model selector, a live bar chart and a JSON API at /, and the
classroom tabs at /classroom. One Gradio app with two pages, started with ``launch()``.

    python -m demo [--host 0.0.0.0] [--port 7860] [--share]
    python demo/app.py          # how Hugging Face Spaces starts it
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file (Spaces): make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import gradio as gr
import torch

from demo import canvas, classroom, handlers
from demo.texts import pad_texts, translations
from mnist_models.checkpoints import MODEL_NAMES
from mnist_models.inference import Classifier

MAX_FILE_SIZE = "5mb"
CLASSROOM_CSS = Path(__file__).resolve().parent / "classroom.css"
CLASSROOM_PATH = "/classroom"
# Queue position messages once a second, not to every waiting visitor each time any job starts:
# with "auto", a queue of n events costs n messages per job, which snowballs under a class's load.
STATUS_UPDATE_RATE = 1.0

CSS = """
.result { display: flex; align-items: baseline; gap: 0.6rem; min-height: 7rem; }
.result-digit { font-size: 6rem; font-weight: 700; line-height: 1; color: #e4572e; }
.result-probability { font-size: 2rem; color: #444; }
.result-message { font-size: 1.6rem; color: #666; padding-top: 2rem; }
#seen { display: flex; justify-content: center; min-height: 180px; }
#seen img { width: 168px; height: 168px; image-rendering: pixelated; border: 1px solid var(--border-color-primary); }
"""


def build_draw_tab(classifier: Classifier, i18n: gr.I18n) -> tuple[gr.HTML, gr.Radio]:
    """The first and fastest view: draw, and see the chosen model's answer live."""
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=300):
            gr.Markdown(i18n("subtitle"))
            sketch = canvas.drawing_pad(pad_texts(), elem_id="sketch")
            model = gr.Radio(
                [(i18n("model_softmax"), "softmax"), (i18n("model_mlp"), "mlp")],
                value="mlp",
                label=i18n("model_label"),
                elem_id="model",
            )
        # On a phone the columns stack: the answer comes right under the drawing.
        with gr.Column(scale=1, min_width=300):
            result = gr.HTML(handlers.result_html(None, "Draw a digit"), elem_id="result")
            chart = handlers.probability_chart(i18n("chart_label"), "chart")
            gr.Markdown(i18n("seen_label"), elem_classes=["picture-caption"])
            seen = gr.HTML(handlers.seen_html(None), elem_id="seen")
    with gr.Row():
        gr.Markdown(i18n("about_softmax"), elem_id="about-softmax")
        gr.Markdown(i18n("about_mlp"), elem_id="about-mlp")
    gr.Markdown(i18n("device"), elem_id="device")

    def classify_drawing(drawing: str | None, model: str):
        return handlers.classify_drawing(classifier, drawing, model)

    for event in (sketch.change, model.change):
        event(
            classify_drawing,
            inputs=[sketch, model],
            outputs=[chart, result, seen],
            trigger_mode="always_last",
            show_progress="hidden",
            api_visibility="private",
            # Both values are plain strings, read and checked by the handler. (Gradio would
            # otherwise preprocess each input in a worker thread of its own.)
            preprocess=False,
        )
    return sketch, model


def build_api(classifier: Classifier) -> None:
    """The public API: an image file and a model name in, JSON out."""
    with gr.Row(visible=False):
        api_image = gr.Image(label="image", type="filepath", image_mode="RGBA", sources=["upload"])
        api_model = gr.Radio(list(MODEL_NAMES), value="mlp", label="model")
        api_result = gr.JSON(label="prediction")

    def classify(image: dict | None, model: str) -> dict:
        """Read the digit in an image (PNG, JPEG or WebP; ink on a transparent background or on
        plain paper) with the softmax regression ("softmax") or the MLP ("mlp"). Returns the
        predicted digit, the probability of each digit 0-9, the model and the device it ran on."""
        return handlers.classify_file(classifier, handlers.uploaded_file(image), model)

    api_button = gr.Button(visible=False)
    api_button.click(
        classify,
        inputs=[api_image, api_model],
        outputs=api_result,
        api_name="classify",
        # The file is read by the handler, so that a bad one gets our message rather than the
        # generic error of gr.Image's own decoding. Gradio still refuses a path that is not one of
        # this server's uploads before the handler runs, and the handler checks again.
        preprocess=False,
    )


def build_demo(classifier: Classifier, i18n: gr.I18n) -> gr.Blocks:
    """The student page at / (draw and see the answer, a link to the classroom, the API) and the
    teacher's page for the projector at /classroom (a drawing pad beside the classroom tabs)."""
    with gr.Blocks(title="MNIST: draw a digit", delete_cache=(600, 1800)) as demo:
        gr.Navbar(visible=False)  # each page links to the other in its own words
        gr.Markdown(i18n("title"))
        build_draw_tab(classifier, i18n)
        gr.Markdown(i18n("to_classroom"), elem_id="to-classroom")
        build_api(classifier)
    with demo.route("Classroom", CLASSROOM_PATH, show_in_navbar=False):
        gr.Markdown(i18n("classroom_title"))
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                sketch = canvas.drawing_pad(pad_texts(), elem_id="sketch")
                gr.Markdown(i18n("to_draw"), elem_id="to-draw")
            with gr.Column(scale=2, min_width=300), gr.Tabs():
                classroom.build_tabs(classifier, i18n, sketch)
    demo.queue(default_concurrency_limit=4, status_update_rate=STATUS_UPDATE_RATE)
    return demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="MNIST drawing demo")
    parser.add_argument("--host", help="address to listen on (default: $GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--share", action="store_true", help="also serve through a public Gradio share link")
    parser.add_argument("--device", help="cuda, mps, cpu or auto (default: $MNIST_DEVICE or auto)")
    args = parser.parse_args(argv)
    # One drawing is a tiny forward pass; intra-op threads only fight the server's own threads for
    # two cores (benchmarks/README.md).
    torch.set_num_threads(1)
    # Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event, for a
    # monitoring page this app does not enable; every 1000th event keeps it (benchmarks/README.md).
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    classifier = Classifier(args.device)
    accuracy = {name: metrics["test_accuracy"] for name, metrics in classifier.metrics.items()}
    i18n = translations(accuracy, classifier.device_label)
    demo = build_demo(classifier, i18n)
    # Start-up leaves a large heap (Gradio, torch, pandas, the pages) that lives as long as the
    # server; frozen, full garbage collections skip it instead of pausing the server to walk it.
    gc.collect()
    gc.freeze()
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share or None,
        max_file_size=MAX_FILE_SIZE,
        css=CSS + canvas.STYLE + CLASSROOM_CSS.read_text(),
        i18n=i18n,
        footer_links=["api", "gradio"],
        # Callers see why a call failed (a path that was never uploaded, a value that is not one
        # of a control's choices), not a bare "Error"; the app's own errors say what to send.
        show_error=True,
        prevent_thread_lock=True,
    )
    root = (demo.share_url or demo.local_url).rstrip("/")
    print(f"Drawing page: {root}/  Classroom: {root}{CLASSROOM_PATH}", flush=True)
    demo.block_thread()


if __name__ == "__main__":
    main()
