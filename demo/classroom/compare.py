"""Compare: the drawing shown to both models at once, each one's chart and verdict."""

from __future__ import annotations

import gradio as gr

from demo import results
from demo.classroom.room import Classroom, Context
from demo.language import model_name, say

NAME = "compare"


def show(room: Classroom, pad_value: object, language: str = "en"):
    """(softmax chart, MLP chart, verdict) for the pad's value."""
    predictions = room.read(pad_value)
    if predictions is None:
        return results.chart_frame(None), results.chart_frame(None), say("draw_first", language)
    softmax, mlp = predictions["softmax"], predictions["mlp"]
    if softmax.is_digit and mlp.is_digit:
        verdict = (
            say("agree", language, digit=mlp.digit)
            if softmax.digit == mlp.digit
            else say("disagree", language, softmax=softmax.digit, mlp=mlp.digit)
        )
    else:  # at least one model does not take it for a digit: say each one's verdict
        verdict = " · ".join(
            say(
                "compare_digit" if p.is_digit else "compare_not_digit",
                language,
                shown_name=model_name(name, language),
                digit=p.digit,
                probability=p.probabilities[p.digit],
            )
            for name, p in predictions.items()
        )
    return results.chart_frame(softmax), results.chart_frame(mlp), verdict


def build(context: Context) -> gr.Tab:
    with gr.Tab(context.text("tab_compare"), id=NAME) as tab:
        gr.Markdown(context.text("compare_intro"))
        verdict = gr.Markdown(elem_id="compare-verdict", elem_classes=["classroom-message"])
        with gr.Row(equal_height=False):
            softmax = results.probability_chart(context.text("compare_softmax_chart"), "compare-softmax", height=260)
            mlp = results.probability_chart(context.text("compare_mlp_chart"), "compare-mlp", height=260)
        context.follow(
            NAME, lambda pad_value, language: show(context.room, pad_value, language), [], [softmax, mlp, verdict]
        )
    return tab
