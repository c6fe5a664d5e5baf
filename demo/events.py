"""The options of the pages' own events, defined once: kept out of the public API (the API is
/classify and /classify_label alone), with no progress shown (HIDDEN) or a small one (QUIET)."""

HIDDEN = {"api_visibility": "private", "show_progress": "hidden"}
QUIET = {"api_visibility": "private", "show_progress": "minimal"}
