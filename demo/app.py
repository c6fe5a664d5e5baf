"""The drawing app: a drawing pad, a model selector, a live bar chart, and a JSON API at /, and
the classroom tabs at /classroom. One server, two Gradio apps.

The student page is kept small on purpose: a hundred phones load it at once, and Gradio builds a
per-visitor copy of a page's component configs (about 0.1 ms per component) at each visitor's
first event. The teacher's tabs, with over a hundred components, live on their own page.

    python -m demo [--host 0.0.0.0] [--port 7860]
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
import uvicorn
from fastapi import FastAPI
from fastapi.responses import RedirectResponse

from demo import canvas, classroom, handlers, worker
from demo.texts import pad_texts, translations
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


def build_draw_tab(classify: handlers.Classify, i18n: gr.I18n) -> tuple[gr.HTML, gr.Radio]:
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

    async def classify_drawing(drawing: str | None, model: str):
        return await handlers.classify_drawing(classify, drawing, model)

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


def build_api(classify: handlers.Classify) -> None:
    """The public API: an image file and a model name in, JSON out.

    The image comes in as a file, not through gr.Image, whose own decoding would turn a bad
    file into Gradio's generic error instead of our message.
    """
    with gr.Row(visible=False):
        api_image = gr.File(label="image", type="filepath", file_types=["image"])
        api_model = gr.Textbox(label="model", value="mlp")
        api_result = gr.JSON(label="prediction")

    async def classify_file(image: dict | None, model: str) -> dict:
        return await handlers.classify_file(classify, handlers.uploaded_path(image), model)

    api_button = gr.Button(visible=False)
    api_button.click(
        classify_file,
        inputs=[api_image, api_model],
        outputs=api_result,
        api_name="classify",
        # Gradio still checks that the file is one of this server's uploads; its File
        # preprocessing would only add a worker-thread hop and an empty temporary file per call.
        preprocess=False,
    )


def build_app(classify: handlers.Classify, i18n: gr.I18n) -> gr.Blocks:
    """The student page: draw and see the answer, a link to the classroom, and the API."""
    with gr.Blocks(title="MNIST: draw a digit", delete_cache=(600, 1800)) as app:
        gr.Markdown(i18n("title"))
        build_draw_tab(classify, i18n)
        gr.Markdown(i18n("to_classroom"), elem_id="to-classroom")
        build_api(classify)
    return app


def build_classroom(classifier: Classifier, i18n: gr.I18n) -> gr.Blocks:
    """The teacher's page for the projector: a drawing pad beside the classroom tabs."""
    with gr.Blocks(title="MNIST: classroom", delete_cache=(600, 1800)) as app:
        gr.Markdown(i18n("classroom_title"))
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                sketch = canvas.drawing_pad(pad_texts(), elem_id="sketch")
                gr.Markdown(i18n("to_draw"), elem_id="to-draw")
            with gr.Column(scale=2, min_width=300):
                with gr.Tabs():
                    classroom.build_tabs(classifier, i18n, sketch)
    return app


class Pages(FastAPI):
    """The server that holds the two pages: a router and nothing else. Each mounted Gradio app
    brings its own middleware (errors, CORS, body limits, compression); FastAPI's default layers
    around them again cost about 20% more server time per request under a class's load."""

    def build_middleware_stack(self):
        return self.router


def build_server(classifier: Classifier, classify: handlers.Classify) -> FastAPI:
    """Both pages on one server, each with its own queue. The drawing page and the API answer
    through ``classify``; the classroom's explanations use ``classifier`` directly."""
    accuracy = {name: metrics["test_accuracy"] for name, metrics in classifier.metrics.items()}
    i18n = translations(accuracy, classifier.device_label)
    server = Pages(docs_url=None, redoc_url=None, openapi_url=None)  # Gradio's pages have their own API docs
    # Gradio's mount answers at /classroom/; the address people type has no trailing slash.
    # (A plain Starlette route: FastAPI's own routes need the middleware that Pages leaves out.)
    server.add_route(CLASSROOM_PATH, lambda request: RedirectResponse(CLASSROOM_PATH.lstrip("/") + "/"), include_in_schema=False)
    css = CSS + canvas.STYLE + CLASSROOM_CSS.read_text()
    # The root page is mounted last: a mount at "/" would otherwise answer for /classroom too.
    for path, page in ((CLASSROOM_PATH, build_classroom(classifier, i18n)), ("/", build_app(classify, i18n))):
        page.queue(default_concurrency_limit=4, status_update_rate=STATUS_UPDATE_RATE)
        gr.mount_gradio_app(server, page, path=path, max_file_size=MAX_FILE_SIZE, css=css, i18n=i18n, footer_links=["api", "gradio"])
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="MNIST drawing demo")
    parser.add_argument("--host", help="address to listen on (default: $GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--device", help="cuda, mps, cpu or auto (default: $MNIST_DEVICE or auto)")
    args = parser.parse_args(argv)
    # One drawing is a tiny forward pass; intra-op threads only fight the server's own threads for
    # two cores (measured: batched forwards 30-100x slower under load with 2 threads, equal when idle).
    torch.set_num_threads(1)
    # Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event, for a
    # monitoring page this app does not enable: 1-11 ms of the server's one Python thread per event,
    # growing as a class draws. Every 1000th event keeps the summary and drops the cost.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    host = args.host or os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1")
    port = args.port or int(os.environ.get("GRADIO_SERVER_PORT", "7860"))
    classifier = Classifier(args.device)
    models = worker.ModelProcess(classifier)  # starts loading while the pages are built
    server = build_server(classifier, models.classify)
    # Start-up leaves some 400,000 objects (Gradio, torch, pandas, the pages) that live as long as
    # the server. Every full garbage collection walked them all - the one event loop stopped for
    # about 250 ms, now and then under a class's load. Frozen, collections skip them.
    gc.collect()
    gc.freeze()
    print(f"Drawing page: http://{host}:{port}/  Classroom: http://{host}:{port}{CLASSROOM_PATH}", flush=True)
    try:
        uvicorn.run(server, host=host, port=port, log_level="warning")
    finally:
        models.close()


if __name__ == "__main__":
    main()
