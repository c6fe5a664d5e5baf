"""A drawing pad for one digit: a gr.HTML component, with its JavaScript (drawing_pad.js) and CSS
(drawing_pad.css) beside it.

Strokes stay in the browser, and each finished stroke sets the pad's value to the drawing: a
``data:image/png;base64,...`` URL of a CANVAS x CANVAS picture, black ink on a transparent
background, or "" when the pad is blank. Setting the value fires the pad's change event, so a
drawing costs one small event a stroke and no uploads (Gradio's own sketchpad uploads its layers
several times a stroke: benchmarks/RESULTS.md).

The server can set the value too: "" clears the pad, and a picture's data URL puts it on the pad
to draw over (gr.Examples does this). It draws with pointer events, so a mouse, a finger and a
stylus all work, without scrolling the page; Undo (or Ctrl+Z) takes back the last stroke.
"""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from mnist_models.pad import CANVAS, PEN_WIDTH

HERE = Path(__file__).resolve().parent
SCRIPT = (HERE / "drawing_pad.js").read_text()
# Goes into the page's css (launch(css=...)): gr.HTML's css_template would nest it under an id,
# which older phone browsers do not read.
STYLE = (HERE / "drawing_pad.css").read_text()

TEMPLATE = """
<div class="pad">
  <div class="pad-label" data-text="label"></div>
  <div class="pad-surface">
    <canvas class="pad-canvas" role="img" tabindex="0"></canvas>
    <div class="pad-hint" data-text="hint" aria-hidden="true"></div>
  </div>
  <div class="pad-tools">
    <button type="button" class="pad-undo" data-text="undo" disabled></button>
    <button type="button" class="pad-clear" data-text="clear" disabled></button>
  </div>
</div>
"""


def drawing_pad(texts: dict[str, dict[str, str]], value: str = "", **kwargs) -> gr.HTML:
    """The pad; its value is the drawing's PNG data URL ("" when blank).

    ``texts`` maps a language ("en", "ko") to the pad's words (label, hint, undo, clear and the
    buttons' spoken labels); the browser's language picks one, as it picks Gradio's own
    translations. The template has no ${value} in it, so a new value never re-renders (and
    wipes) the canvas: the script draws it.

    A plain gr.HTML rather than a subclass: Gradio writes a type-stub file beside the module of
    every Component subclass when it is imported.
    """
    return gr.HTML(
        value=value,
        html_template=TEMPLATE,
        js_on_load=SCRIPT,
        apply_default_css=False,
        canvas_size=CANVAS,
        pen_width=PEN_WIDTH,
        texts=texts,
        **kwargs,
    )
