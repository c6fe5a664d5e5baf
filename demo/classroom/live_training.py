"""Train live: a fresh model trains from scratch in front of the class, its curves and weights
drawn as it learns. It is the page's own; the shipped models never change."""

from __future__ import annotations

import dataclasses
import threading

import gradio as gr

from demo import gpu
from demo.classroom.room import Classroom, Context, choice, percent, session_of
from demo.events import HIDDEN
from demo.language import say
from demo.visitor import client_address
from mnist_models import pictures
from mnist_models.datasets.mnist import MNISTFileError
from mnist_models.models.checkpoints import MODEL_NAMES
from mnist_models.training.live import Snapshot, TrainingBusyError, training_slot

NAME = "live_training"
SUBSETS = [5_000, 10_000, 30_000, 60_000]
STATES = {"running": "training", "finished": "trained", "stopped": "stopped", "time_up": "time_up"}


def run(
    room: Classroom,
    name: object,
    epochs: object,
    subset: object,
    teacher: object,
    session: str,
    *,
    language: str = "en",
    address: str = "",
):
    """Stream (status, curves, weights) while a fresh model trains, for a class's teacher (the
    page's teacher key ``teacher``): it takes the server's one training slot."""
    school_class, refused = room.teacher_check(teacher, address, language)
    if school_class is None:
        yield refused, None, None
        return
    epochs, subset = choice(epochs, range(1, 6), None), choice(subset, SUBSETS, None)
    if not isinstance(name, str) or name not in MODEL_NAMES or epochs is None or subset is None:
        yield say("choose_settings", language), None, None
        return
    try:
        yield say("loading", language), None, None
        train, test = room.data.split("train"), room.data.split("test")
    except MNISTFileError:
        yield room.no_data(language), None, None
        return
    # Every training this page started has its own switch, so Stop stops each of them, even when
    # a second start came before the first had ended.
    stop = threading.Event()
    room.stops.setdefault(session, set()).add(stop)
    try:
        with training_slot():
            yield from frames(room, train, test, name, epochs=epochs, subset=subset, stop=stop, language=language)
    except TrainingBusyError:
        yield say("busy", language), None, None
    except gr.Error as error:  # a ZeroGPU failure: no GPU, no quota left, its time run out
        # The curves and weights already shown stay: a training cut short still taught something.
        yield gpu.failure_message(error, language), gr.skip(), gr.skip()
    finally:
        switches = room.stops.get(session, set())
        switches.discard(stop)
        if not switches:
            room.stops.pop(session, None)


def frames(room: Classroom, train, test, name: str, *, epochs: int, subset: int, stop, language: str):
    """(status, curves, weights) for each snapshot of the training, wherever it runs."""
    training = gpu.live_training(
        train, test, name, epochs=epochs, subset=subset, stop=stop, max_seconds=room.training_seconds
    )
    # When the page goes away mid-training Gradio closes this generator, and the training's own
    # generator must end with it (a GPU function's worker stops too). Closed in a thread of its
    # own: closing a GPU function's generator waits for the worker's next snapshot, and Gradio may
    # close this one on its event loop, which every visitor's events wait on.
    try:
        for snapshot in training:
            if stop.is_set() and snapshot.state == "running":
                # A worker that cannot see the switch: leaving the loop closes it.
                snapshot = dataclasses.replace(snapshot, state="stopped")
            yield (
                status(snapshot, language, room.training_seconds),
                pictures.curves_picture(snapshot.curves, snapshot.epochs),
                pictures.templates_picture(snapshot.weights),
            )
            if snapshot.state != "running":
                return
    finally:
        threading.Thread(target=training.close, name="close-training", daemon=True).start()


def status(snapshot: Snapshot, language: str, limit: float = 0.0) -> str:
    return say(
        STATES[snapshot.state],
        language,
        limit=limit,
        device=snapshot.device,
        model=snapshot.model,
        done=snapshot.done,
        epochs=snapshot.epochs,
        images=snapshot.images_seen,
        seconds=snapshot.seconds,
        accuracy=percent(snapshot.test_accuracy),
    )


def stop_training(room: Classroom, session: str, language: str = "en") -> str:
    """Stop this page's live training after its current batch."""
    switches = room.stops.get(session)
    if not switches:
        return say("nothing_to_stop", language)
    for switch in switches:
        switch.set()
    return say("stopping", language)


def build(context: Context) -> gr.Tab:
    room, language, hidden = context.room, context.language, HIDDEN
    with gr.Tab(context.text("tab_train"), id=NAME) as tab:
        gr.Markdown(context.text("train_intro"))
        with gr.Row():
            name = context.model_choice("train_model", "softmax")
            epochs = gr.Slider(1, 5, value=3, step=1, label=context.text("train_epochs"))
            subset = gr.Dropdown([(f"{n:,}", n) for n in SUBSETS], value=10_000, label=context.text("train_subset"))
        with gr.Row():
            start = gr.Button(context.text("train_start"), variant="primary", elem_id="train-start")
            stop_button = gr.Button(context.text("train_stop"), variant="stop", elem_id="train-stop")
        message = gr.Markdown(elem_id="train-status", elem_classes=["classroom-message"])
        curves, weights = context.two_pictures(
            ("train_curves_label", "train-curves"), ("train_weights_label", "train-weights")
        )

    def stream(chosen, epoch_count, images, teacher, request: gr.Request):
        yield from run(
            room,
            chosen,
            epoch_count,
            images,
            teacher,
            session_of(request),
            language=language,
            address=client_address(request),
        )

    def stop(request: gr.Request):
        return stop_training(room, session_of(request), language)

    start.click(stream, inputs=[name, epochs, subset, context.teacher], outputs=[message, curves, weights], **hidden)
    # Its own event, so a Stop is never queued behind the training it should end.
    stop_button.click(stop, outputs=message, **hidden)
    return tab
