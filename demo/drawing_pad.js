// The drawing pad (demo/drawing_pad.py). Runs once per pad when the page loads; `element`,
// `props` and `watch` come from gr.HTML.
const canvas = element.querySelector(".pad-canvas");
const hint = element.querySelector(".pad-hint");
const undoButton = element.querySelector(".pad-undo");
const clearButton = element.querySelector(".pad-clear");
const SIZE = props.canvas_size;
const PEN = props.pen_width / props.canvas_size;  // as a fraction of the side
// The browser's first language when the pad has words in it, else English: the rule Gradio's own
// translations and the server's (demo/language.py viewer_language) follow.
const firstLanguage = (navigator.language || "en").toLowerCase().split("-")[0];
const language = props.texts[firstLanguage] ? firstLanguage : "en";
const texts = props.texts[language];
for (const node of element.querySelectorAll("[data-text]")) node.textContent = texts[node.dataset.text];
canvas.setAttribute("aria-label", texts.hint);
undoButton.setAttribute("aria-label", texts.undo_label);
clearButton.setAttribute("aria-label", texts.clear_label);

let strokes = [];       // each stroke: [[x, y], ...] as fractions of the side
let picture = null;     // a drawing the server put on the pad (an example), under the strokes
let drawing = null;     // {id, points} while a pointer is down
let sent = props.value; // the last value this pad sent, to tell it from one the server sets

function paint(context, side) {
  context.clearRect(0, 0, side, side);
  if (picture) context.drawImage(picture, 0, 0, side, side);
  context.lineCap = "round";
  context.lineJoin = "round";
  context.strokeStyle = "#000";
  context.fillStyle = "#000";
  context.lineWidth = PEN * side;
  for (const points of strokes) {
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

function empty() {
  return strokes.length === 0 && !picture;
}

function redraw() {
  paint(canvas.getContext("2d"), canvas.width);
  hint.classList.toggle("hidden", !empty());
  undoButton.disabled = clearButton.disabled = empty();
}

function fit() {  // the bitmap follows the on-screen size and pixel density, so lines stay sharp
  const side = Math.round(canvas.getBoundingClientRect().width * (window.devicePixelRatio || 1));
  if (side > 0 && canvas.width !== side) {
    canvas.width = canvas.height = side;
    redraw();
  }
}

function send() {  // setting the value fires the pad's change event, with the picture in it
  let value = "";
  if (!empty()) {
    const out = document.createElement("canvas");
    out.width = out.height = SIZE;
    paint(out.getContext("2d"), SIZE);
    value = out.toDataURL("image/png");
  }
  sent = value;
  props.value = value;
}

function point(event) {
  const box = canvas.getBoundingClientRect();
  const clamp = (v) => Math.min(1, Math.max(0, v));
  return [clamp((event.clientX - box.left) / box.width), clamp((event.clientY - box.top) / box.height)];
}

canvas.addEventListener("pointerdown", (event) => {
  if (drawing || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault();
  canvas.focus({preventScroll: true});  // so Ctrl+Z reaches the pad
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

function undo() {  // the last stroke; then the picture the strokes were drawn on
  if (drawing || empty()) return;
  if (strokes.length) strokes.pop();
  else picture = null;
  redraw();
  send();
}

function clear() {
  if (drawing) return;
  strokes = [];
  picture = null;
  redraw();
  send();
}

undoButton.addEventListener("click", undo);
clearButton.addEventListener("click", clear);
// Ctrl+Z (Cmd+Z) anywhere on the page undoes a stroke, unless a text field has the keyboard.
document.addEventListener("keydown", (event) => {
  if (!(event.ctrlKey || event.metaKey) || event.shiftKey || event.key.toLowerCase() !== "z") return;
  const target = event.target;
  if (target.closest && target.closest("input, textarea, select, [contenteditable='true']")) return;
  event.preventDefault();
  undo();
});

// A value set by the server - "" to clear the pad, or a picture to draw on (an example) - is
// shown as it is; the server already has it, so nothing is sent back.
watch("value", () => {
  const value = props.value || "";
  if (value === sent) return;
  sent = value;
  strokes = [];
  picture = null;
  if (!value.startsWith("data:image/")) {
    redraw();
    return;
  }
  const image = new Image();
  image.onload = () => {
    if (sent !== value) return;  // another value arrived meanwhile
    picture = image;
    redraw();
  };
  image.src = value;
});

new ResizeObserver(fit).observe(canvas);
fit();
redraw();
