"""The class wall: the drawings a class's students labelled with the digit they meant, newest
first, with both models' answers; the figures (counts, accuracy, confusion matrices); the
teacher's controls (remove a drawing, clear, undo, export) and the fine-tuning of a copy."""

from __future__ import annotations

import base64
import html
import os
import re
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr

from demo.classroom import fine_tune
from demo.classroom.room import Classroom, Context, digit, percent
from demo.events import HIDDEN
from demo.language import model_name, say, wall_message
from demo.visitor import client_address
from mnist_models.classes.archive import export_archive
from mnist_models.classes.class_wall import Entry, WallError
from mnist_models.classes.store import UNDO_S, SchoolClass
from mnist_models.models.checkpoints import MODEL_NAMES

NAME = "wall"
# The wall shows this many of the newest drawings (the figures count them all): a few hundred
# small pictures in one HTML block is what a projector shows in a glance, and stays small to send.
WALL_SHOWN = 120
REFRESH_S = 2.0
CONFIRM_S = 10  # a second press of Clear within this many seconds clears the wall
MISSED_CHOICES = ("all", "softmax", "mlp")
# What a Host header may be: a hostname or IPv4 address and an optional port, nothing else.
HOST_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?$")


def view(room: Classroom, school_class: SchoolClass, chosen_digit: object, missed: object, language: str = "en"):
    """(wall HTML, figures HTML, what the page shows) with the filters applied."""
    shown = shown_now(room, school_class, language)  # read first: a drawing arriving meanwhile shows on the next tick
    missed = missed if isinstance(missed, str) and missed in MISSED_CHOICES[1:] else None
    entries = school_class.wall.entries(digit(chosen_digit), missed)
    return wall_html(entries, language), figures_html(room, school_class, language), shown


def shown_now(room: Classroom, school_class: SchoolClass, language: str) -> str:
    """What the wall would show now, in short: its version and the warning of where it is kept."""
    return f"{school_class.wall.version}|{room.storage_note(language)}"


def tick(
    room: Classroom, school_class: SchoolClass, shown: object, chosen_digit: object, missed: object, language: str
):
    """The timer: the wall again if it changed since ``shown`` (what this page shows), else nothing."""
    if isinstance(shown, str) and shown == shown_now(room, school_class, language):
        return gr.skip(), gr.skip(), gr.skip()
    return view(room, school_class, chosen_digit, missed, language)


def remove(room: Classroom, teacher: object, number: object, address: str, language: str = "en") -> str:
    school_class, refused = room.teacher_check(teacher, address, language)
    if school_class is None:
        return refused
    try:
        whole = isinstance(number, (int, float)) and not isinstance(number, bool) and float(number).is_integer()
        entry = room.store.remove(school_class, int(number) if whole else None)
    except (WallError, OverflowError, ValueError) as error:
        return wall_message(error, language)
    return say("class_removed", language, number=entry.number, seconds=UNDO_S)


def undo(room: Classroom, teacher: object, address: str, language: str = "en") -> str:
    school_class, refused = room.teacher_check(teacher, address, language)
    if school_class is None:
        return refused
    try:
        _, count = room.store.undo(school_class)
    except WallError as error:
        return wall_message(error, language)
    return say("class_undone", language, count=count)


def clear(room: Classroom, teacher: object, pending: object, address: str, language: str = "en") -> tuple[str, float]:
    """(message, when a first press was made): the first press asks, a second within CONFIRM_S
    clears, and undo can put the drawings back."""
    school_class, refused = room.teacher_check(teacher, address, language)
    if school_class is None:
        return refused, 0.0
    now = time.monotonic()
    if isinstance(pending, bool) or not isinstance(pending, (int, float)) or not 0 < now - pending < CONFIRM_S:
        return say("class_clear_confirm", language, count=len(school_class.wall), seconds=CONFIRM_S), now
    room.store.clear(school_class)
    return say("wall_cleared", language, seconds=UNDO_S), 0.0


def export(room: Classroom, teacher: object, address: str, language: str = "en"):
    """(the download button with the class's ZIP, message); no file without the teacher key."""
    school_class, refused = room.teacher_check(teacher, address, language)
    if school_class is None:
        return gr.update(visible=False), refused
    entries = school_class.wall.entries()
    if room.export_dir is None:
        room.export_dir = Path(tempfile.mkdtemp(prefix="class-wall-"))
    # Written whole under a temporary name, then renamed: two exports at once never mix.
    path = room.export_dir / f"class-{school_class.code}.zip"
    partial = room.export_dir / f"class-{school_class.code}.{threading.get_ident()}.part"
    partial.write_bytes(export_archive(entries))
    os.replace(partial, path)
    return gr.update(value=str(path), visible=True), say("wall_exported", language, count=len(entries))


def figures_html(room: Classroom, school_class: SchoolClass, language: str) -> str:
    stats = school_class.wall.stats()
    note = room.storage_note(language)
    lines = [f'<p class="wall-storage">{html.escape(note)}</p>'] if note else []
    lines += [f'<p class="wall-total">{markdown_bold(say("wall_counts", language, total=stats.total))}</p>']
    lines.append(
        '<table class="wall-counts"><tr>'
        + "".join(f"<th>{d}</th>" for d in range(10))
        + "</tr><tr>"
        + "".join(f"<td>{n}</td>" for n in stats.counts)
        + "</tr></table>"
    )
    for name in MODEL_NAMES:
        mnist = percent(room.classifier.metrics[name].get("test_accuracy"))
        text = say("wall_accuracy", language, model=name, wall=percent(stats.accuracy[name]), mnist=mnist)
        lines.append(f'<p class="wall-accuracy">{markdown_bold(text[0].upper() + text[1:])}</p>')
    matrices = "".join(
        f'<figure class="wall-confusion"><figcaption>{html.escape(model_name(name, language))}</figcaption>'
        f"{confusion_html(stats.confusion[name])}</figure>"
        for name in MODEL_NAMES
    )
    lines.append(f'<div class="wall-confusions">{matrices}</div>')
    return '<div class="wall-figures">' + "".join(lines) + "</div>"


def entry_html(entry: Entry, language: str) -> str:
    """One card: the drawing, the digit meant, each model's answer (✗ when it missed; "not a
    digit" when the model did not take the drawing for one)."""
    picture = base64.b64encode(entry.thumbnail).decode("ascii")
    missed = [name for name in MODEL_NAMES if entry.missed_by(name)]
    answers = "".join(
        f'<span class="{"wall-miss" if name in missed else "wall-hit"}'
        f'{"" if entry.is_digit_for(name) else " wall-not-digit"}">'
        f"{html.escape(model_name(name, language, short=True))} {entry.answers[name]}"
        f"{' ✗' if name in missed else ' ✓'}"
        f"{'' if entry.is_digit_for(name) else '<small class=wall-not-digit-note> · ' + html.escape(say('wall_not_digit', language)) + '</small>'}</span>"
        for name in MODEL_NAMES
    )
    classes = "wall-card" + (" missed" if missed else "")
    not_digit = " ".join(name for name in MODEL_NAMES if not entry.is_digit_for(name))
    return (
        f'<figure class="{classes}" data-label="{entry.label}" data-not-digit="{not_digit}">'
        f'<img src="data:image/png;base64,{picture}" alt="{entry.label}">'
        f'<figcaption><b class="wall-label">{entry.label}</b>{answers}'
        f'<small class="wall-number">#{entry.number}</small></figcaption></figure>'
    )


def wall_html(entries: list[Entry], language: str) -> str:
    """The newest WALL_SHOWN drawings, newest first, as one HTML grid of inline PNGs."""
    if not entries:
        return f'<div class="wall-grid empty" data-count="0">{html.escape(say("wall_empty", language))}</div>'
    shown = entries[::-1][:WALL_SHOWN]
    note = (
        f'<p class="wall-shown">{html.escape(say("wall_shown", language, shown=len(shown), count=len(entries)))}</p>'
        if len(shown) < len(entries)
        else ""
    )
    cards = "".join(entry_html(entry, language) for entry in shown)
    return f'{note}<div class="wall-grid" data-count="{len(entries)}">{cards}</div>'


def confusion_html(confusion: list[list[int]]) -> str:
    """A confusion matrix as a table (digit meant down, answer across), shaded by count: drawn
    anew on every change of the wall, so text in a table rather than a rendered figure."""
    top = max(1, max(max(row) for row in confusion))
    rows = ["<tr><th>↓ →</th>" + "".join(f"<th>{d}</th>" for d in range(10)) + "</tr>"]
    for meant, row in enumerate(confusion):
        cells = []
        for answer, count in enumerate(row):
            colour = "34,139,34" if meant == answer else "228,87,46"
            shade = f' style="background: rgba({colour},{0.15 + 0.85 * count / top:.2f})"' if count else ""
            cells.append(f"<td{shade}>{count or ''}</td>")
        rows.append(f"<tr><th>{meant}</th>{''.join(cells)}</tr>")
    return f'<table class="confusion-table">{"".join(rows)}</table>'


def markdown_bold(text: str) -> str:
    """A message's **bold** as HTML (the messages are ours; anything else in them is escaped)."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(text))


def student_url(request: gr.Request | None) -> str | None:
    """The drawing page's address as the viewer reached this server (a proxy's forwarded host
    and scheme first), or None when the header is not a plain hostname[:port]."""
    headers = getattr(request, "headers", None) or {}
    host = str(headers.get("x-forwarded-host") or headers.get("host") or "").split(",")[0].strip()
    if not HOST_PATTERN.match(host):
        return None
    scheme = str(headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    if scheme not in ("http", "https"):
        url = getattr(request, "url", None)
        scheme = getattr(url, "scheme", None) if getattr(url, "scheme", None) in ("http", "https") else "http"
    return f"{scheme}://{host}/"


def join_html(request: gr.Request | None, code: str) -> str:
    """The drawing page's address for class ``code``, large, and as a QR code, for the address
    this page was opened at; without a believable one, a link alone."""
    url = student_url(request)
    if url is None:
        return f'<div class="join"><a class="join-url" href="../?class={code}">../?class={code}</a></div>'
    import segno  # only the classroom page needs it

    url += f"?class={code}"
    qr = segno.make(url, error="m").png_data_uri(scale=6, border=2)
    shown = html.escape(url)
    return (
        f'<div class="join"><img class="join-qr" src="{qr}" alt="QR: {shown}">'
        f'<a class="join-url" href="{shown}" target="_blank">{shown}</a></div>'
    )


def build(context: Context) -> gr.Tab:
    """The tab, filled in for this page's class as it opens: the wall, its figures, the teacher's
    controls; without a class, how to start one."""
    with gr.Tab(context.text("tab_wall"), id=NAME) as tab:
        if context.school_class is None:
            gr.Markdown(say("class_none_teacher", context.language), elem_id="wall")
            return tab
        wall_grid, wall_figures, chosen_digit, missed, shown_version = build_wall(context)
        gr.Markdown(context.text("teacher_title"))
        build_controls(context)
        fine_tune.build(context)
        timer = gr.Timer(REFRESH_S)
    room, school_class, language = context.room, context.school_class, context.language
    outputs = [wall_grid, wall_figures, shown_version]
    timer.tick(
        lambda shown, d, m: tick(room, school_class, shown, d, m, language),
        inputs=[shown_version, chosen_digit, missed],
        outputs=outputs,
        **HIDDEN,
    )
    for control in (chosen_digit, missed):
        control.input(
            lambda d, m: view(room, school_class, d, m, language),
            inputs=[chosen_digit, missed],
            outputs=outputs,
            **HIDDEN,
        )
    return tab


def build_wall(context: Context) -> tuple:
    """The wall with its filters, and its figures beside it."""
    grid, figures, version = view(context.room, context.school_class, -1, "all", context.language)
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=300):
            gr.Markdown(context.text("wall_intro"))
            with gr.Row():
                chosen_digit = gr.Dropdown(
                    context.digit_choices(any_digit=True),
                    value=-1,
                    label=context.text("wall_digit_filter"),
                    elem_id="wall-digit",
                )
                missed = gr.Radio(
                    [
                        (context.text(f"wall_{key}"), name)
                        for key, name in zip(("all", "missed_softmax", "missed_mlp"), MISSED_CHOICES, strict=True)
                    ],
                    value="all",
                    label=context.text("wall_missed_filter"),
                    elem_id="wall-missed",
                )
            wall_grid = gr.HTML(grid, elem_id="wall")
        with gr.Column(scale=2, min_width=260):
            wall_figures = gr.HTML(figures, elem_id="wall-figures")
    # The page keeps the version it shows; the timer sends it back and gets nothing unless the
    # wall moved, so an idle wall costs one comparison per tick.
    return wall_grid, wall_figures, chosen_digit, missed, gr.State(version)


def build_controls(context: Context) -> None:
    """Remove a drawing (and undo), clear with a confirmation (and undo), export the class."""
    room, language, teacher = context.room, context.language, context.teacher
    with gr.Row():
        number = gr.Number(
            None, label=context.text("class_remove_label"), precision=0, minimum=1, elem_id="wall-number"
        )
        remove_button = gr.Button(context.text("class_remove"), elem_id="wall-remove")
        undo_button = gr.Button(context.text("class_undo"), elem_id="wall-undo")
        clear_button = gr.Button(context.text("wall_clear"), variant="stop", elem_id="wall-clear")
    with gr.Row():
        export_button = gr.Button(context.text("wall_export"), elem_id="wall-export")
        download = gr.DownloadButton(context.text("wall_download"), visible=False, elem_id="wall-zip")
    status = gr.Markdown(elem_id="teacher-status", elem_classes=["classroom-message"])
    pending_clear = gr.State(0.0)

    def remove_drawing(key, chosen, request: gr.Request):
        return remove(room, key, chosen, client_address(request), language)

    def undo_last(key, request: gr.Request):
        return undo(room, key, client_address(request), language)

    def clear_wall(key, pending, request: gr.Request):
        return clear(room, key, pending, client_address(request), language)

    def export_class(key, request: gr.Request):
        return export(room, key, client_address(request), language)

    remove_button.click(remove_drawing, inputs=[teacher, number], outputs=status, **HIDDEN)
    undo_button.click(undo_last, inputs=teacher, outputs=status, **HIDDEN)
    clear_button.click(clear_wall, inputs=[teacher, pending_clear], outputs=[status, pending_clear], **HIDDEN)
    export_button.click(export_class, inputs=teacher, outputs=[download, status], **HIDDEN)
