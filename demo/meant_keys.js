// The "what I meant" row is a radio group (demo/student.py), where an arrow key would check the
// next digit, and so send the drawing as it. Here arrows only move the focus along the row;
// Space (the browser's own) or Enter sends the digit in focus.
() => {
  document.addEventListener("keydown", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.closest("#meant")) return;
    const inputs = [...document.querySelectorAll("#meant input")];
    const step = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1}[event.key];
    if (step) {
      event.preventDefault();
      inputs[(inputs.indexOf(input) + step + inputs.length) % inputs.length].focus();
    } else if (event.key === "Enter") {
      event.preventDefault();
      input.click();
    }
  }, true);
}
