"""A Gradio server with the app's two hot events and settings, doing as much of the app's work as
``--work`` says: the floor that classroom.py compares the app to, the same-run comparison of
where the model runs, and what a handler as long as the app's costs a loaded server.

    python benchmarks/noop_server.py [--work none|thread|loop|busy|sleep] [--port P]   (port: $GRADIO_SERVER_PORT)

Its two events have the app's shapes: the API endpoint /classify (an image file, gr.Image with
type="filepath" and preprocess=False, and a model name; JSON out) and the drawing page's pad
change event (the pad's PNG data URL and the model; the chart, answer and 28x28 picture out), on
the same components, with the app's queue concurrency limit, upload limit, upload cache
clean-up, analytics setting and frozen start-up heap. The work:

  none    nothing: a constant answer of the app's shape; the file is not even opened (the floor)
  thread  the app's own handlers (demo/student.py: read_upload, read_drawing, which call
          Classifier.classify) in plain functions, which Gradio runs in a worker thread (as the app)
  loop    the same handlers in ``async def`` functions: run on the server's event loop
  busy    the floor's constant answer after WORK_MS of pure-Python work in the worker thread,
          holding the interpreter's lock as most of a handler does
  sleep   the floor's constant answer after sleeping WORK_MS in the worker thread: work that
          took no CPU and no lock at all, the best any handler of that length could do
"""

from __future__ import annotations

import argparse
import gc
import os
import time

import _common  # noqa: F401  (puts the repository on sys.path)
import gradio as gr
import torch
from _common import ROOT

from demo import results, student
from demo.app import MAX_FILE_SIZE
from demo.drawing_pad import drawing_pad
from demo.texts import pad_texts, viewer_language
from mnist_models.checkpoints import MODEL_NAMES
from mnist_models.inference import Classifier


def app_concurrency_limit() -> int:
    """The queue's default_concurrency_limit as demo/app.py sets it, read from its source so the
    floor follows the app when it is tuned."""
    import re

    match = re.search(r"default_concurrency_limit\s*=\s*(\d+)", (ROOT / "demo" / "app.py").read_text())
    if match is None:
        raise SystemExit("demo/app.py no longer sets default_concurrency_limit: update noop_server.py")
    return int(match.group(1))


# How long the "busy" and "sleep" kinds of work take per event: about the app's whole pad handler
# (benchmarks/inference.py, "live-handler", MLP).
WORK_MS = 2.3


def spend(work: str) -> None:
    """WORK_MS of work of the kind ``work`` names, or none."""
    if work == "sleep":
        time.sleep(WORK_MS / 1000)
    elif work == "busy":
        end = time.perf_counter() + WORK_MS / 1000
        while time.perf_counter() < end:
            pass


def handlers(work: str):
    """(the API's function, the pad's function) for ``work``."""
    if work in ("none", "busy", "sleep"):
        answer = {"prediction": 0, "probabilities": [0.1] * 10, "model": "mlp", "device": "none"}
        blank = results.shown(None, "en")

        def classify(image, model, request: gr.Request):
            spend(work)
            return answer

        def show_drawing(drawing, model, request: gr.Request):
            spend(work)
            return blank

        return classify, show_drawing

    classifier = Classifier()

    def classify_sync(image, model, request: gr.Request):
        return student.read_upload(classifier, image, model, viewer_language(request)).as_json()

    def show_drawing_sync(drawing, model, request: gr.Request):
        return student.read_drawing(classifier, drawing, model, viewer_language(request))

    if work == "thread":
        return classify_sync, show_drawing_sync

    async def classify_on_loop(image, model, request: gr.Request):
        return classify_sync(image, model, request)

    async def show_drawing_on_loop(drawing, model, request: gr.Request):
        return show_drawing_sync(drawing, model, request)

    return classify_on_loop, show_drawing_on_loop


def build(work: str = "none", concurrency_limit: int = 4) -> gr.Blocks:
    classify, show_drawing = handlers(work)
    with gr.Blocks(title=f"floor: {work}", delete_cache=(600, 1800)) as app:
        # The drawing page's event, on the app's components (demo/student.py build).
        pad = drawing_pad(pad_texts(), elem_id="sketch")
        model = gr.Radio([("softmax", "softmax"), ("mlp", "mlp")], value="mlp", elem_id="model")
        answer = results.answer({"en": "", "ko": ""}, "result")
        chart = results.probability_chart("chart", "chart")
        seen = gr.HTML(results.seen_html(None), elem_id="seen")
        pad.change(
            show_drawing,
            inputs=[pad, model],
            outputs=[chart, answer, seen],
            trigger_mode="always_last",
            show_progress="hidden",
            api_visibility="private",
        )
        # The API (demo/student.py build_api).
        with gr.Row(visible=False):
            image = gr.Image(label="image", type="filepath", image_mode="RGBA", sources=["upload"])
            api_model = gr.Radio(list(MODEL_NAMES), value="mlp", label="model")
            as_json = gr.JSON(label="prediction")
            button = gr.Button()
        button.click(classify, inputs=[image, api_model], outputs=as_json, api_name="classify", preprocess=False)
    app.queue(default_concurrency_limit=concurrency_limit)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", choices=["none", "thread", "loop", "busy", "sleep"], default="none")
    parser.add_argument("--port", type=int, help="default: $GRADIO_SERVER_PORT or 7860")
    args = parser.parse_args()
    # demo/app.py main() does the same three things (see there).
    torch.set_num_threads(1)
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    app = build(args.work, app_concurrency_limit())
    gc.collect()
    gc.freeze()
    app.launch(server_name="127.0.0.1", server_port=args.port, max_file_size=MAX_FILE_SIZE, show_error=True)


if __name__ == "__main__":
    main()
