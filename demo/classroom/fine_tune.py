"""Fine-tuning a copy of a model on the class wall's drawings, from the wall tab (the teacher's
controls): progress while it trains, then the figures before and after."""

from __future__ import annotations

import dataclasses
import logging
import threading

import gradio as gr

from demo import gpu
from demo.classroom.room import Classroom, Context, model, percent
from demo.events import HIDDEN
from demo.language import say
from demo.visitor import client_address
from mnist_models.datasets.mnist import MNISTFileError
from mnist_models.device import on_zerogpu
from mnist_models.training.fine_tuning import MIN_DRAWINGS, FineTuneResult, fine_tune, lower_this_threads_priority
from mnist_models.training.live import TrainingBusyError, training_slot


def run(room: Classroom, teacher: object, name: object, address: str = "", language: str = "en", on_cpu: bool = False):
    """Stream progress while a copy of model ``name`` fine-tunes on the wall of the class whose
    teacher key is ``teacher``, then the figures. On ZeroGPU it runs in a GPU function unless
    ``on_cpu`` (the teacher's choice when no GPU can be had); anywhere else, here."""
    school_class, refused = room.teacher_check(teacher, address, language)
    if school_class is None:
        yield refused
        return
    name = model(name, "mlp")
    entries = school_class.wall.entries()
    if len(entries) < MIN_DRAWINGS:
        yield say("fine_tune_too_few", language, needed=MIN_DRAWINGS, count=len(entries))
        return
    try:
        mnist_train, mnist_test = room.data.split("train"), room.data.split("test")
    except MNISTFileError:
        mnist_train = mnist_test = None
    try:
        with training_slot():
            if on_zerogpu() and not on_cpu:
                yield say("fine_tuning_on_gpu", language, model=name, drawings=len(entries))
                result = gpu.fine_tune_on_zerogpu(room.classifier.model(name), name, entries, mnist_train, mnist_test)
            else:
                result = yield from fine_tune_here(room, name, entries, mnist_train, mnist_test, language)
    except TrainingBusyError:
        yield say("fine_tune_busy", language)
        return
    except gr.Error as error:  # a ZeroGPU failure: no GPU, no quota left
        yield gpu.failure_message(error, language)
        return
    if result is None:
        yield say("fine_tune_failed", language)
        return
    figures = {field.name: getattr(result, field.name) for field in dataclasses.fields(result) if field.name != "tuned"}
    room.store.save_tuned(school_class, figures)
    yield result_text(figures, language)


def fine_tune_here(room: Classroom, name: str, entries, mnist_train, mnist_test, language: str):
    """Fine-tune in this process, in a thread of the lowest priority, reporting progress; returns
    the result (None if it failed)."""
    progress = {"steps": 0, "seconds": 0.0}
    outcome: dict[str, FineTuneResult] = {}

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
        except Exception:  # said to the teacher as a failure; the traceback goes to the log
            logging.getLogger(__name__).exception("fine-tuning failed")

    # Its own thread, so the event can report progress while it trains; fine_tune itself keeps
    # to one CPU thread (the slot's) and rests between steps.
    worker = threading.Thread(target=train, name="fine-tune", daemon=True)
    worker.start()
    while worker.is_alive():
        yield say("fine_tuning", language, model=name, drawings=len(entries), **progress)
        worker.join(0.5)
    return outcome.get("result")


def result_text(result: dict, language: str) -> str:
    """The figures of a fine-tuning (``FineTuneResult``'s fields, less the model) in words."""
    mixed = (
        say("fine_tune_mixed", language, images=result["mnist_images"])
        if result["mnist_images"]
        else say("fine_tune_alone", language)
    )
    mnist = (
        say("fine_tune_mnist", language, before=percent(result["mnist_before"]), after=percent(result["mnist_after"]))
        if result["mnist_before"] is not None
        else ""
    )
    return say(
        "fine_tuned",
        language,
        model=result["model"],
        device=result["device"],
        seconds=result["seconds"],
        steps=result["steps"],
        drawings=result["trained_on"],
        mixed=mixed,
        held=result["held_back"],
        before=percent(result["before"]),
        after=percent(result["after"]),
        mnist=mnist,
    )


def reset(room: Classroom, teacher: object, address: str = "", language: str = "en") -> str:
    school_class, refused = room.teacher_check(teacher, address, language)
    if school_class is None:
        return refused
    had = school_class.tuned is not None
    room.store.save_tuned(school_class, None)
    return say("fine_tune_reset_done" if had else "fine_tune_none", language)


def build(context: Context) -> None:
    """The fine-tuning controls, inside the wall tab."""
    room, language, hidden = context.room, context.language, HIDDEN
    gr.Markdown(context.text("fine_tune_about"))
    with gr.Row():
        name = context.model_choice("fine_tune_model", "mlp")
        start = gr.Button(context.text("fine_tune_start"), variant="primary", elem_id="fine-tune")
        # On ZeroGPU a fine-tune runs on a GPU; when none can be had, the teacher can use the CPU.
        on_cpu = gr.Button(context.text("fine_tune_cpu"), visible=on_zerogpu(), elem_id="fine-tune-cpu")
        throw_away = gr.Button(context.text("fine_tune_reset"), elem_id="fine-tune-reset")
    status = gr.Markdown(elem_id="fine-tune-status", elem_classes=["classroom-message"])

    def stream(teacher, chosen, request: gr.Request):
        yield from run(room, teacher, chosen, client_address(request), language)

    def stream_on_cpu(teacher, chosen, request: gr.Request):
        yield from run(room, teacher, chosen, client_address(request), language, on_cpu=True)

    def throw_it_away(teacher, request: gr.Request):
        return reset(room, teacher, client_address(request), language)

    start.click(stream, inputs=[context.teacher, name], outputs=status, **hidden)
    on_cpu.click(stream_on_cpu, inputs=[context.teacher, name], outputs=status, **hidden)
    throw_away.click(throw_it_away, inputs=context.teacher, outputs=status, **hidden)
