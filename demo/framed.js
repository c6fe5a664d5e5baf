// A page shown inside another site's page (the huggingface.co page of a Space frames the app):
// the browser keeps a framed page's storage apart, and a class's teacher key kept there is lost
// (tests/test_browser_framed.py). The classroom page then asks the teacher to open it at its own
// address before starting a class (the note #framed-note, shown by this class).
() => {
  if (window.top !== window.self) document.documentElement.classList.add("framed");
}
