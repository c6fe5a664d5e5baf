"""A Gradio server whose /classify does nothing: the floor that classroom.py compares the app to.

It takes the same inputs as the app's public endpoint (an image file as gr.File(type="filepath")
and a model name) and the same queue, upload and analytics settings, so the difference between
the two is the app's own work (reading the file, preprocessing, the forward pass), not Gradio's.
--gradio-defaults drops the two settings that are not Gradio's defaults, to show what they save.

    python benchmarks/noop_server.py --port 7999 [--concurrency-limit 4] [--gradio-defaults]
"""

from __future__ import annotations

import argparse
import os

import gradio as gr

MAX_FILE_SIZE = "5mb"  # demo/app.py MAX_FILE_SIZE
# demo/app.py sets these too (see there): Gradio's per-event analytics summary, kept every 1000th
# event, and queue position messages once a second.
ANALYTICS_CACHE_FREQUENCY = "1000"
STATUS_UPDATE_RATE = 1.0


def noop(image: str | None, model: str) -> dict:
    # A constant answer of the app's shape; the file is not even opened.
    return {"prediction": 0, "probabilities": [0.1] * 10, "model": model, "device": "none"}


def build() -> gr.Blocks:
    with gr.Blocks(title="no-op floor") as app:
        with gr.Row(visible=False):
            image = gr.File(type="filepath", file_types=["image"])
            model = gr.Textbox()
            result = gr.JSON()
        button = gr.Button(visible=False)
        button.click(noop, inputs=[image, model], outputs=result, api_name="classify")
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--concurrency-limit", type=int, default=4, help="queue default_concurrency_limit (match the app)"
    )
    parser.add_argument(
        "--gradio-defaults",
        action="store_true",
        help="Gradio's default analytics summary and queue messages, unlike the app",
    )
    args = parser.parse_args()
    if not args.gradio_defaults:
        os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", ANALYTICS_CACHE_FREQUENCY)
    status_update_rate = "auto" if args.gradio_defaults else STATUS_UPDATE_RATE
    build().queue(default_concurrency_limit=args.concurrency_limit, status_update_rate=status_update_rate).launch(
        server_name="127.0.0.1", server_port=args.port, max_file_size=MAX_FILE_SIZE
    )


if __name__ == "__main__":
    main()
