"""A drawing pad for one digit, built on gr.HTML: strokes stay in the browser, and each finished
stroke sends the drawing as one small PNG inside the event itself.

Gradio's own sketchpad (an image editor) uploads its background, layer and composite as files,
several times for every stroke, before the event that carries them: about 23 requests a stroke.
This pad sends one event a stroke and no uploads (benchmarks/requests_per_drawing.py measures
both). Its value is a ``data:image/png;base64,...`` URL of a CANVAS x CANVAS picture, black ink
on a transparent background, or "" while nothing is drawn.

It draws with pointer events, so a mouse, a finger and a stylus all work, and the page does not
scroll while a finger draws. Strokes are kept as points, so the pad redraws sharply at any size
and pixel density, and Undo drops the last stroke.
"""

from __future__ import annotations

import gradio as gr

from mnist_models.pad import CANVAS, PEN_WIDTH

TEMPLATE = """
<div class="pad">
  <div class="pad-label" data-text="label"></div>
  <div class="pad-surface">
    <canvas class="pad-canvas" role="img"></canvas>
    <div class="pad-hint" data-text="hint" aria-hidden="true"></div>
  </div>
  <div class="pad-tools">
    <button type="button" class="pad-undo" data-text="undo" aria-label="Undo" disabled></button>
    <button type="button" class="pad-clear" data-text="clear" aria-label="Clear canvas" disabled></button>
  </div>
</div>
"""

STYLE = """
.pad { display: flex; flex-direction: column; gap: 0.5rem; }
.pad-label { font-size: var(--block-label-text-size); color: var(--block-label-text-color); }
.pad-surface { position: relative; width: 100%; max-width: 420px; margin: 0 auto; }
.pad-canvas {
  display: block; width: 100%; aspect-ratio: 1 / 1; background: #fff;
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  touch-action: none; cursor: crosshair; user-select: none; -webkit-user-select: none;
}
.pad-hint {
  position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  color: #9a9a9a; font-size: 1.1rem; pointer-events: none;
}
.pad-hint.hidden { display: none; }
.pad-tools { display: flex; gap: 0.5rem; justify-content: center; }
.pad-tools button {
  min-width: 6.5rem; min-height: 2.75rem; padding: 0 1rem; font-size: 1rem;
  border: 1px solid var(--border-color-primary); border-radius: var(--radius-lg);
  background: var(--button-secondary-background-fill); color: var(--button-secondary-text-color);
  cursor: pointer;
}
.pad-tools button:disabled { opacity: 0.45; cursor: default; }
"""

# Runs once per pad when the page loads; `element`, `props` and `watch` come from gr.HTML.
SCRIPT = """
const canvas = element.querySelector(".pad-canvas");
const hint = element.querySelector(".pad-hint");
const undoButton = element.querySelector(".pad-undo");
const clearButton = element.querySelector(".pad-clear");
const SIZE = props.canvas_size;
const PEN = props.pen_width / props.canvas_size;  // as a fraction of the side
const language = (navigator.language || "en").toLowerCase().startsWith("ko") && props.texts.ko ? "ko" : "en";
for (const node of element.querySelectorAll("[data-text]")) {
  node.textContent = props.texts[language][node.dataset.text];
}
canvas.setAttribute("aria-label", props.texts[language].hint);

let strokes = [];    // each stroke: [[x, y], ...] as fractions of the side
let drawing = null;  // {id, points} while a pointer is down

function paint(context, side, list) {
  context.clearRect(0, 0, side, side);
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";
  context.fillStyle = "#000";
  context.lineWidth = PEN * side;
  for (const points of list) {
    if (points.length === 1) {  // a tap is a dot
      context.beginPath();
      context.arc(points[0][0] * side, points[0][1] * side, PEN * side / 2, 0, 2 * Math.PI);
      context.fill();
      continue;
    }
    context.beginPath();
    context.moveTo(points[0][0] * side, points[0][1] * side);
    for (const [x, y] of points.slice(1)) context.lineTo(x * side, y * side);
    context.stroke();
  }
}

function redraw() {
  paint(canvas.getContext("2d"), canvas.width, strokes);
  hint.classList.toggle("hidden", strokes.length > 0);
  undoButton.disabled = clearButton.disabled = strokes.length === 0;
}

function fit() {  // the bitmap follows the on-screen size and pixel density, so lines stay sharp
  const side = Math.round(canvas.getBoundingClientRect().width * (window.devicePixelRatio || 1));
  if (side > 0 && canvas.width !== side) {
    canvas.width = canvas.height = side;
    redraw();
  }
}

function send() {  // setting the value fires the pad's change event, with the picture in it
  if (strokes.length === 0) {
    props.value = "";
    return;
  }
  const picture = document.createElement("canvas");
  picture.width = picture.height = SIZE;
  paint(picture.getContext("2d"), SIZE, strokes);
  props.value = picture.toDataURL("image/png");
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
}

canvas.addEventListener("pointerdown", (event) => {
  if (drawing || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  drawing = {id: event.pointerId, points: [point(event)]};
  strokes.push(drawing.points);
  redraw();
});

canvas.addEventListener("pointermove", (event) => {
  if (!drawing || event.pointerId !== drawing.id) return;
  event.preventDefault();
  const context = canvas.getContext("2d");
  const side = canvas.width;
  const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const move of moves.length ? moves : [event]) {
    const [x0, y0] = drawing.points[drawing.points.length - 1];
    const [x1, y1] = point(move);
    drawing.points.push([x1, y1]);
    context.beginPath();
    context.moveTo(x0 * side, y0 * side);
    context.lineTo(x1 * side, y1 * side);
    context.stroke();
  }
});

function finish(event) {
  if (!drawing || event.pointerId !== drawing.id) return;
  drawing = null;
  send();
}
canvas.addEventListener("pointerup", finish);
canvas.addEventListener("pointercancel", finish);

function undo() {
  if (drawing || strokes.length === 0) return;
  strokes.pop();
  redraw();
  send();
}
undoButton.addEventListener("click", undo);
clearButton.addEventListener("click", () => {
  if (drawing) return;
  strokes = [];
  redraw();
  send();
});
element.addEventListener("keydown", (event) => {
  if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
    event.preventDefault();
    undo();
  }
});

new ResizeObserver(fit).observe(canvas);
fit();
redraw();
"""


def drawing_pad(texts: dict[str, dict[str, str]], elem_id: str = "sketch") -> gr.HTML:
    """The pad as a gr.HTML whose value is the drawing's PNG data URL ("" when blank).

    ``texts`` maps a language ("en", "ko") to the pad's label, hint, undo and clear words; the
    browser's language picks one, as it picks Gradio's own translations.

    Its template has no ${value} in it, so a new value never re-renders (and wipes) the canvas.
    STYLE goes into the app's css (launch(css=...)): gr.HTML's css_template would nest it under
    an id, which older phone browsers do not read.
    """
    return gr.HTML(
        value="",
        html_template=TEMPLATE,
        js_on_load=SCRIPT,
        apply_default_css=False,
        elem_id=elem_id,
        canvas_size=CANVAS,
        pen_width=PEN_WIDTH,
        texts=texts,
    )
