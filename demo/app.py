"""The drawing app: a drawing pad, a model selector, a live bar chart and a JSON API at /, and the
classroom tabs at /classroom. One Gradio app with two pages, started with ``launch()``.

    python -m demo [--host 0.0.0.0] [--port 7860] [--share] [--teacher-password PASSWORD]
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

from demo import classroom, drawing_pad, student
from demo.texts import pad_texts, translations
from mnist_models.classwall import ClassWall
from mnist_models.inference import Classifier
from mnist_models.preprocess import MAX_FILE_BYTES

# Uploads as large as the reader reads: a phone photo of a digit on paper is often several MB.
MAX_FILE_SIZE = MAX_FILE_BYTES
CLASSROOM_PATH = "/classroom"
TEACHER_PASSWORD_ENV = "MNIST_TEACHER_PASSWORD"
CSS = (Path(__file__).resolve().parent / "app.css").read_text() + drawing_pad.STYLE


def build_demo(classifier: Classifier, i18n: gr.I18n, teacher_password: str | None = None) -> gr.Blocks:
    """The student page at / (draw and see the answer, say what you meant for the class wall, a
    link to the classroom, the API) and the teacher's page for the projector at /classroom (a
    drawing pad beside the classroom tabs, the class wall first). With ``teacher_password``, the
    classroom's controls that change what the class shares ask for it.

    The wall lives in this process's memory: each server (each replica) has its own."""
    wall = ClassWall()
    with gr.Blocks(title="MNIST: draw a digit", delete_cache=(600, 1800)) as demo:
        gr.Navbar(visible=False)  # each page links to the other in its own words
        student.build(classifier, i18n, wall)
    with demo.route("Classroom", CLASSROOM_PATH, show_in_navbar=False) as page:
        gr.Markdown(i18n("classroom_title"))
        with gr.Row(equal_height=False):
            with gr.Column(scale=1, min_width=300):
                pad = drawing_pad.drawing_pad(pad_texts(), elem_id="sketch")
                gr.Markdown(i18n("to_draw"), elem_id="to-draw")
                password = gr.Textbox(
                    label=i18n("teacher_password"),
                    type="password",
                    max_length=200,
                    visible=bool(teacher_password),
                    elem_id="teacher-password",
                )
            with gr.Column(scale=2, min_width=300), gr.Tabs():
                classroom.build_tabs(classifier, i18n, pad, page, wall, password, teacher_password)
    demo.queue(default_concurrency_limit=4)
    return demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="MNIST drawing demo")
    parser.add_argument("--host", help="address to listen on (default: $GRADIO_SERVER_NAME or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default: $GRADIO_SERVER_PORT or 7860)")
    parser.add_argument("--share", action="store_true", help="also serve through a public Gradio share link")
    parser.add_argument("--device", help="cuda, mps, cpu or auto (default: $MNIST_DEVICE or auto)")
    parser.add_argument(
        "--teacher-password",
        help=f"guard the classroom's wall and training controls (default: ${TEACHER_PASSWORD_ENV}; "
        "the variable keeps it out of the process list)",
    )
    args = parser.parse_args(argv)
    teacher_password = args.teacher_password or os.environ.get(TEACHER_PASSWORD_ENV) or None
    # One drawing is a tiny forward pass; intra-op threads only fight the server's own threads for
    # two cores (benchmarks/README.md).
    torch.set_num_threads(1)
    # Gradio's queue rebuilds a pandas summary of its last 10,000 events after every event, for a
    # monitoring page this app does not enable; every 1000th event keeps it (benchmarks/README.md).
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    classifier = Classifier(args.device)
    i18n = translations(classifier.metrics, classifier.device_label)
    demo = build_demo(classifier, i18n, teacher_password)
    # Start-up leaves a large heap (Gradio, torch, pandas, the pages) that lives as long as the
    # server; frozen, full garbage collections skip it instead of pausing the server to walk it.
    gc.collect()
    gc.freeze()
    demo.launch(
        server_name=args.host,
        server_port=args.port,
        share=args.share or None,
        max_file_size=MAX_FILE_SIZE,
        css=CSS,
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
