"""The class wall: the drawings students labelled with the digit they meant, newest first, with
both models' answers; the figures (counts, accuracy, confusion matrices); the address to join as
a QR code; the teacher's controls (clear, download) and the fine-tuning of a copy."""

from __future__ import annotations

import base64
import html
import os
import re
import tempfile
import threading
from pathlib import Path

import gradio as gr

from demo.classroom import fine_tune
from demo.classroom.room import Classroom, Context, digit, percent
from demo.language import model_name, say
from mnist_models.classes.store import Entry
from mnist_models.models.checkpoints import MODEL_NAMES

NAME = "wall"
# The wall shows this many of the newest drawings (the figures count them all): a few hundred
# small pictures in one HTML block is what a projector shows in a glance, and stays small to send.
WALL_SHOWN = 120
REFRESH_S = 2.0
MISSED_CHOICES = ("all", "softmax", "mlp")
# What a Host header may be: a hostname or IPv4 address and an optional port, nothing else.
HOST_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?$")


def view(room: Classroom, chosen_digit: object, missed: object, language: str = "en") -> tuple[str, str, int]:
    """(wall HTML, figures HTML, the wall's version) with the filters applied."""
    version = room.wall.version  # read first: a drawing arriving meanwhile shows on the next tick
    missed = missed if isinstance(missed, str) and missed in MISSED_CHOICES[1:] else None
    entries = room.wall.entries(digit(chosen_digit), missed)
    return wall_html(entries, language), figures_html(room, language), version


def tick(room: Classroom, shown: object, chosen_digit: object, missed: object, language: str = "en") -> tuple:
    """The timer: the wall again if it changed since ``shown`` (this page's version), else nothing."""
    if isinstance(shown, int) and not isinstance(shown, bool) and shown == room.wall.version:
        return gr.skip(), gr.skip(), gr.skip()
    return view(room, chosen_digit, missed, language)


def clear(room: Classroom, password: object, language: str = "en") -> str:
    if not room.teacher_ok(password):
        return say("wrong_password", language)
    room.wall.clear()
    return say("wall_cleared", language)


def export(room: Classroom, password: object, language: str = "en") -> tuple[str | None, str]:
    """(path of a ZIP of the wall, message); no file without the teacher password."""
    if not room.teacher_ok(password):
        return None, say("wrong_password", language)
    data, count = room.wall.export_zip(), len(room.wall)
    if room.export_dir is None:
        room.export_dir = Path(tempfile.mkdtemp(prefix="class-wall-"))
    # Written whole under a temporary name, then renamed: two exports at once never mix.
    path = room.export_dir / "class-wall.zip"
    partial = room.export_dir / f"class-wall.{threading.get_ident()}.part"
    partial.write_bytes(data)
    os.replace(partial, path)
    return str(path), say("wall_exported", language, count=count)


def figures_html(room: Classroom, language: str) -> str:
    stats = room.wall.stats()
    lines = [f'<p class="wall-total">{markdown_bold(say("wall_counts", language, total=stats.total))}</p>']
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
        f'{"" if entry.taken_for_digit(name) else " wall-not-digit"}">'
        f"{html.escape(model_name(name, language, short=True))} {entry.answers[name]}"
        f"{' ✗' if name in missed else ' ✓'}"
        f"{'' if entry.taken_for_digit(name) else '<small class=wall-not-digit-note> · ' + html.escape(say('wall_not_digit', language)) + '</small>'}</span>"
        for name in MODEL_NAMES
    )
    classes = "wall-card" + (" missed" if missed else "")
    not_digit = " ".join(name for name in MODEL_NAMES if not entry.taken_for_digit(name))
    return (
        f'<figure class="{classes}" data-label="{entry.label}" data-not-digit="{not_digit}">'
        f'<img src="data:image/png;base64,{picture}" alt="{entry.label}">'
        f'<figcaption><b class="wall-label">{entry.label}</b>{answers}</figcaption></figure>'
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


def join_html(request: gr.Request | None) -> str:
    """The drawing page's address, large, and as a QR code, for the address this page was
    opened at; without a believable one, a link alone."""
    url = student_url(request)
    if url is None:
        return '<div class="join"><a class="join-url" href="../">../</a></div>'
    import segno  # only the classroom page needs it

    qr = segno.make(url, error="m").png_data_uri(scale=6, border=2)
    shown = html.escape(url)
    return (
        f'<div class="join"><img class="join-qr" src="{qr}" alt="QR: {shown}">'
        f'<a class="join-url" href="{shown}" target="_blank">{shown}</a></div>'
    )


def build(context: Context) -> gr.Tab:
    """The tab, filled in for this page as it opens: the wall, its figures, the address to join."""
    room, language, hidden = context.room, context.language, {"api_visibility": "private", "show_progress": "hidden"}
    grid, figures, version = view(room, -1, "all", language)
    with gr.Tab(context.text("tab_wall"), id=NAME) as tab:
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
                context.caption("join_title")
                gr.HTML(join_html(context.request), elem_id="join")
                wall_figures = gr.HTML(figures, elem_id="wall-figures")
        gr.Markdown(context.text("teacher_title"))
        gr.Markdown(
            context.text("teacher_guarded" if room.teacher_password else "teacher_open"), elem_id="teacher-note"
        )
        with gr.Row():
            clear_button = gr.Button(context.text("wall_clear"), variant="stop", elem_id="wall-clear")
            export_button = gr.Button(context.text("wall_export"), elem_id="wall-export")
        teacher_status = gr.Markdown(elem_id="teacher-status", elem_classes=["classroom-message"])
        export_file = gr.File(label=context.text("wall_export_file"), elem_id="wall-zip", interactive=False, height=90)
        fine_tune.build(context)
        # The page keeps the version it shows; the timer sends it back and gets nothing unless the
        # wall moved, so an idle wall costs one comparison per tick.
        shown_version = gr.State(version)
        timer = gr.Timer(REFRESH_S)
    outputs = [wall_grid, wall_figures, shown_version]
    timer.tick(
        lambda shown, d, m: tick(room, shown, d, m, language),
        inputs=[shown_version, chosen_digit, missed],
        outputs=outputs,
        **hidden,
    )
    for control in (chosen_digit, missed):
        control.input(lambda d, m: view(room, d, m, language), inputs=[chosen_digit, missed], outputs=outputs, **hidden)
    clear_button.click(lambda p: clear(room, p, language), inputs=context.password, outputs=teacher_status, **hidden)
    export_button.click(
        lambda p: export(room, p, language), inputs=context.password, outputs=[export_file, teacher_status], **hidden
    )
    return tab
