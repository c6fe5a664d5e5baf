"""Digit or not: why a softmax always picks a digit, and how a model learns to say "not a digit".
Per model, how it decides, the score of the validation writers' digits against drawings that
are not digits (the top probability, or the chance of a digit for a model with a "not a digit"
output), with the threshold the model uses, and its reliability diagram; read from the metrics
(``verdict``, ``calibration``) and the picture shipped with the weights. Weights trained before
the verdict carry neither: the tab says so."""

from __future__ import annotations

import html
from pathlib import Path

import gradio as gr
import numpy as np
from PIL import Image

from demo.classroom.room import Classroom, Context, percent
from demo.language import model_name, say
from mnist_models.models.checkpoints import MODEL_NAMES

NAME = "digit_or_not"
WEIGHTS = Path(__file__).resolve().parents[2] / "mnist_models" / "weights"
WIDTH, HEIGHT, MARGIN = 420, 180, 24
COLOURS = {"digits": "#8fa3b8", "not_digits": "#e4572e"}


def histogram_svg(histogram: dict, threshold: float, language: str, axis: str = "verdict_axis") -> str:
    """The two histograms as bars side by side in each bin, the threshold a dashed line: drawn as
    SVG in the page (a handful of rectangles), the words in the viewer's language (``axis``: the
    message naming the score)."""
    edges, bins = histogram["edges"], len(histogram["edges"]) - 1
    top = max(max(histogram["digits"]), max(histogram["not_digits"]), 1e-9)
    width, height = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    x = lambda value: MARGIN + width * (value - edges[0]) / (edges[-1] - edges[0])
    bars = []
    for kind, offset in (("digits", 0.0), ("not_digits", 0.5)):
        for i, share in enumerate(histogram[kind]):
            left = x(edges[i]) + offset * width / bins
            tall = height * share / top
            bars.append(
                f'<rect class="{kind}" x="{left:.1f}" y="{MARGIN + height - tall:.1f}" width="{width / bins / 2:.1f}" '
                f'height="{tall:.1f}" fill="{COLOURS[kind]}"><title>{share:.1%}</title></rect>'
            )
    line = x(threshold)
    legend = " · ".join(
        f'<span style="color:{COLOURS[kind]}">■</span> {html.escape(say(f"verdict_{kind}", language))}'
        for kind in COLOURS
    )
    return (
        f'<figure class="verdict-histogram" data-threshold="{threshold:.3f}">'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{html.escape(say(axis, language))}">'
        f"{''.join(bars)}"
        f'<line x1="{MARGIN}" y1="{MARGIN + height}" x2="{MARGIN + width}" y2="{MARGIN + height}" stroke="#555"/>'
        f'<line class="threshold" x1="{line:.1f}" y1="{MARGIN / 2}" x2="{line:.1f}" y2="{MARGIN + height}" '
        'stroke="#222" stroke-dasharray="4 3"/>'
        f'<text x="{MARGIN}" y="{HEIGHT - 4}" font-size="11">0</text>'
        f'<text x="{MARGIN + width - 6}" y="{HEIGHT - 4}" font-size="11">1</text>'
        f'<text x="{line + (-4 if line > WIDTH / 2 else 4):.1f}" y="{MARGIN / 2 + 8}" font-size="11" '
        f'text-anchor="{"end" if line > WIDTH / 2 else "start"}">{threshold:.2f}</text>'
        f'<text x="{WIDTH / 2}" y="{HEIGHT - 4}" font-size="11" text-anchor="middle">'
        f"{html.escape(say(axis, language))}</text></svg>"
        f"<figcaption>{legend}</figcaption></figure>"
    )


def lesson(room: Classroom, name: str, language: str = "en") -> tuple[str, np.ndarray | None]:
    """(the model's histogram and figures as HTML, its reliability diagram or None)."""
    metrics = room.classifier.metrics[name]
    verdict, calibration = metrics.get("verdict") or {}, metrics.get("calibration") or {}
    if "histogram" not in verdict:
        return f'<p class="verdict-none">{html.escape(say("verdict_none", language))}</p>', None
    figures = say(
        "verdict_figures",
        language,
        threshold=verdict.get("threshold", 0.0),
        temperature=verdict.get("temperature", 1.0),
        before=percent(calibration.get("ece_before")),
        after=percent(calibration.get("ece_after")),
    )
    picture = WEIGHTS / f"{name}.reliability.png"
    score = verdict.get("score", "top_probability")
    how = say(f"verdict_how_{score}", language)
    axis = "verdict_axis" if score == "top_probability" else f"verdict_axis_{score}"
    return (
        f'<p class="verdict-how">{html.escape(how)}</p>'
        + histogram_svg(verdict["histogram"], float(verdict.get("threshold", 0.0)), language, axis)
        + f'<p class="verdict-figures">{html.escape(figures)}</p>',
        np.asarray(Image.open(picture).convert("RGB")) if picture.is_file() else None,
    )


def build(context: Context) -> gr.Tab:
    room, language = context.room, context.language
    with gr.Tab(context.text("tab_verdict"), id=NAME) as tab:
        gr.Markdown(context.text("verdict_intro"))
        with gr.Row(equal_height=False):
            for name in MODEL_NAMES:
                shown, picture = lesson(room, name, language)
                with gr.Column(min_width=320):
                    gr.Markdown(f"### {model_name(name, language)}")
                    gr.HTML(shown, elem_id=f"{name}-verdict")
                    if picture is not None:
                        context.caption("reliability_label")
                        gr.Image(picture, elem_id=f"{name}-reliability", interactive=False, show_label=False)
    return tab
