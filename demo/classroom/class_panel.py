"""The teacher's class, beside the pad: start one (or one from an exported ZIP), and once it runs,
its join code large with the address and QR code students open, pause and resume, leave.

Starting a class puts its teacher key ({"code", "secret"}) in this browser's storage
(``gr.BrowserState``): the page is built again for that class, and every teacher control sends the
key back. The key is never shown: the projector shows the join code alone.
"""

from __future__ import annotations

import html

import gradio as gr

from demo.classroom.room import Classroom, Context
from demo.classroom.wall import join_html
from demo.events import HIDDEN
from demo.language import say, wall_message
from demo.visitor import client_address
from mnist_models.classes.archive import import_archive
from mnist_models.classes.class_wall import WallError
from mnist_models.reading.preprocess import DrawingError, read_file


def start(room: Classroom, password: object, address: str, language: str, entries=()) -> tuple[object, str]:
    """(the new teacher key, or no change; the message)."""
    try:
        school_class, secret = room.start_class(password, address, entries)
    except WallError as error:
        return gr.skip(), wall_message(error, language)
    key = "class_imported" if entries else "class_started"
    return {"code": school_class.code, "secret": secret}, say(key, language, code=school_class.code, count=len(entries))


def start_from_archive(room: Classroom, password: object, upload: object, address: str, language: str):
    """Start a class holding the drawings of an exported ZIP (the upload's path, which Gradio
    checked is one of its uploads), read as hostile input."""
    if not isinstance(upload, str):
        return gr.skip(), say("class_bad_import", language, why="no file")
    try:
        entries = import_archive(read_file(upload))
    except (WallError, DrawingError) as error:
        why = getattr(error, "details", {}).get("why") or str(error)
        return gr.skip(), say("class_bad_import", language, why=why)
    return start(room, password, address, language, entries)


def set_paused(room: Classroom, teacher: object, paused: bool, address: str, language: str) -> str:
    school_class, refused = room.teacher_check(teacher, address, language)
    if school_class is None:
        return refused
    room.store.set_paused(school_class, paused)
    return say("class_paused_now" if paused else "class_resumed", language)


def class_html(context: Context) -> str:
    """The join code, large, over the address and QR code students open."""
    code = context.school_class.code
    return (
        f'<div class="class-code" data-code="{code}"><span class="class-code-label">'
        f"{html.escape(context.text('class_code_label'))}</span><b>{code}</b></div>" + join_html(context.request, code)
    )


def build(context: Context) -> None:
    """The panel, inside the pad's column."""
    if note := context.room.storage_note(context.language):
        gr.Markdown(note, elem_id="class-storage")
    status = gr.Markdown(context.notice, elem_id="class-status", elem_classes=["classroom-message"])
    if context.school_class is None:
        build_start(context, status)
    else:
        build_running(context, status)


def build_start(context: Context, status: gr.Markdown) -> None:
    """No class in this browser: start one, or one from an exported ZIP."""
    room, language = context.room, context.language
    gr.Markdown(say("classroom_framed", language), elem_id="framed-note", elem_classes=["classroom-message"])
    gr.Markdown(context.text("class_start_intro"))
    password = gr.Textbox(
        label=context.text("server_password"),
        type="password",
        max_length=200,
        visible=room.start_password is not None,
        elem_id="server-password",
    )
    with gr.Row():
        start_button = gr.Button(context.text("class_start"), variant="primary", elem_id="class-start")
        upload = gr.UploadButton(context.text("class_import"), file_types=[".zip"], elem_id="class-import")

    def start_new(password: object, request: gr.Request):
        return start(room, password, client_address(request), language)

    def start_imported(password: object, upload: object, request: gr.Request):
        return start_from_archive(room, password, upload, client_address(request), language)

    start_button.click(start_new, inputs=password, outputs=[context.teacher, status], **HIDDEN)
    upload.upload(start_imported, inputs=[password, upload], outputs=[context.teacher, status], **HIDDEN)


def build_running(context: Context, status: gr.Markdown) -> None:
    """This browser's class: its code and how to join, pause and resume, leave."""
    room, language = context.room, context.language
    gr.HTML(class_html(context), elem_id="class")
    with gr.Row():
        pause = gr.Button(context.text("class_pause"), elem_id="class-pause")
        resume = gr.Button(context.text("class_resume"), elem_id="class-resume")
        leave = gr.Button(context.text("class_leave"), size="sm", elem_id="class-leave")

    def pause_wall(teacher: object, request: gr.Request) -> str:
        return set_paused(room, teacher, True, client_address(request), language)

    def resume_wall(teacher: object, request: gr.Request) -> str:
        return set_paused(room, teacher, False, client_address(request), language)

    pause.click(pause_wall, inputs=context.teacher, outputs=status, **HIDDEN)
    resume.click(resume_wall, inputs=context.teacher, outputs=status, **HIDDEN)
    # The class goes on without this browser (it expires when idle): only the key is forgotten.
    leave.click(lambda: (None, say("class_left", language)), outputs=[context.teacher, status], **HIDDEN)
