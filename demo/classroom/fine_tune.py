"""Fine-tuning a copy of a model on the class wall's drawings, from the wall tab (the teacher's
controls): progress while it trains, then the figures before and after."""

from __future__ import annotations

import threading

import gradio as gr

from demo.classroom.room import Classroom, Context, model, percent
from demo.language import say
from mnist_models.datasets.mnist import MNISTFileError
from mnist_models.training.fine_tuning import MIN_DRAWINGS, FineTuneResult, fine_tune, lower_this_threads_priority
from mnist_models.training.live import TrainingBusyError


def run(room: Classroom, password: object, name: object, language: str = "en"):
    """Stream progress while a copy of model ``name`` fine-tunes on the wall, then the figures."""
    if not room.teacher_ok(password):
        yield say("wrong_password", language)
        return
    name = model(name, "mlp")
    entries = room.wall.entries()
    if len(entries) < MIN_DRAWINGS:
        yield say("fine_tune_too_few", language, needed=MIN_DRAWINGS, count=len(entries))
        return
    try:
        mnist_train, mnist_test = room.data.split("train"), room.data.split("test")
    except MNISTFileError:
        mnist_train = mnist_test = None
    progress = {"steps": 0, "seconds": 0.0}
    outcome: dict[str, object] = {}

    def train() -> None:
        lower_this_threads_priority()
        try:
            outcome["result"] = fine_tune(
                room.classifier.model(name),
                name,
                entries,
                mnist_train,
                mnist_test,
                progress=lambda steps, seconds: progress.update(steps=steps, seconds=seconds),
            )
        except TrainingBusyError as error:
            outcome["error"] = error

    # Its own thread, so the event can report progress while it trains; fine_tune itself keeps
    # to one CPU thread and rests between steps.
    worker = threading.Thread(target=train, name="fine-tune", daemon=True)
    worker.start()
    while worker.is_alive():
        yield say("fine_tuning", language, model=name, drawings=len(entries), **progress)
        worker.join(0.5)
    if "result" not in outcome:
        yield say("fine_tune_busy", language)
        return
    room.tuned = result = outcome["result"]
    yield result_text(result, language)


def result_text(result: FineTuneResult, language: str) -> str:
    mixed = (
        say("fine_tune_mixed", language, images=result.mnist_images)
        if result.mnist_images
        else say("fine_tune_alone", language)
    )
    mnist = (
        say("fine_tune_mnist", language, before=percent(result.mnist_before), after=percent(result.mnist_after))
        if result.mnist_before is not None
        else ""
    )
    return say(
        "fine_tuned",
        language,
        model=result.model,
        seconds=result.seconds,
        steps=result.steps,
        drawings=result.trained_on,
        mixed=mixed,
        held=result.held_back,
        before=percent(result.before),
        after=percent(result.after),
        mnist=mnist,
    )


def reset(room: Classroom, password: object, language: str = "en") -> str:
    if not room.teacher_ok(password):
        return say("wrong_password", language)
    had, room.tuned = room.tuned is not None, None
    return say("fine_tune_reset_done" if had else "fine_tune_none", language)


def build(context: Context) -> None:
    """The fine-tuning controls, inside the wall tab."""
    room, language, hidden = context.room, context.language, {"api_visibility": "private", "show_progress": "hidden"}
    gr.Markdown(context.text("fine_tune_about"))
    with gr.Row():
        name = context.model_choice("fine_tune_model", "mlp")
        start = gr.Button(context.text("fine_tune_start"), variant="primary", elem_id="fine-tune")
        throw_away = gr.Button(context.text("fine_tune_reset"), elem_id="fine-tune-reset")
    status = gr.Markdown(elem_id="fine-tune-status", elem_classes=["classroom-message"])

    def stream(password, chosen):
        yield from run(room, password, chosen, language)

    start.click(stream, inputs=[context.password, name], outputs=status, **hidden)
    throw_away.click(
        lambda password: reset(room, password, language), inputs=context.password, outputs=status, **hidden
    )
