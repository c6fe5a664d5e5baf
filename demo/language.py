"""The app's words: one locale file per language in demo/locales/ (adding a language is adding a
file), and the one place the server picks a viewer's language.

Each file holds ``page`` (the fixed strings of the pages, handed to ``gr.I18n``, which the browser
translates), ``messages`` (made while the app runs, in the viewer's language), ``model_names``
and ``model_short_names`` (a model's name inside a message, and on a wall card) and ``errors``
(why a picture could not be read, one per ``DrawingError.reason``, filled in from its ``details``).
"""

from __future__ import annotations

import json
from pathlib import Path

import gradio as gr

from mnist_models.reading.preprocess import DrawingError

LOCALES = {
    path.stem: json.loads(path.read_text()) for path in sorted((Path(__file__).parent / "locales").glob("*.json"))
}
DEFAULT = "en"
PAD_WORDS = ("label", "hint", "undo", "clear", "undo_label", "clear_label")


def viewer_language(request: gr.Request | None) -> str:
    """The browser's first language when there is a locale file for it, else English: the
    language Gradio's own translations follow."""
    headers = getattr(request, "headers", None) or {}
    first = str(headers.get("accept-language", "")).split(",")[0].strip().lower()
    return first.split("-")[0] if first.split("-")[0] in LOCALES else DEFAULT


def say(key: str, language: str, model: str | None = None, **values) -> str:
    """A run-time message in ``language``; ``model`` fills in {name} with the model's name."""
    locale = LOCALES.get(language, LOCALES[DEFAULT])
    name = locale["model_names"].get(model, "") if model else ""
    return locale["messages"][key].format(name=name, **values)


def model_name(model: str, language: str, short: bool = False) -> str:
    """A model's name as a page shows it ("Softmax regression"), or on a wall card ("Softmax")."""
    locale = LOCALES.get(language, LOCALES[DEFAULT])
    return locale["model_short_names"][model] if short else locale["page"][f"model_{model}"]


def reading_error(error: Exception, language: str) -> str:
    """Why a picture or a model name was not accepted, in ``language``."""
    if not isinstance(error, DrawingError):
        return say("unknown_model", language)
    errors = LOCALES.get(language, LOCALES[DEFAULT])["errors"]
    try:
        return errors.get(error.reason, errors["unreadable"]).format(**error.details)
    except (KeyError, IndexError, ValueError):  # a reason with figures the words do not name
        return errors["unreadable"]


def translations(metrics: dict[str, dict], device: str, zerogpu: bool = False) -> gr.I18n:
    """The pages' strings with this process's figures filled in (Gradio translates whole strings
    only): each model's accuracy on the MNIST test set and on the validation writers' pen digits,
    from the metrics shipped beside its weights, the MLP's layer sizes, and the device that reads
    drawings (on ZeroGPU, with a word on where the classroom's training runs)."""
    figures = {name: m["test_accuracy"] for name, m in metrics.items()}
    figures |= {f"{name}_pen": m["pen_accuracy"] for name, m in metrics.items()}
    figures["mlp_layers"] = "-".join(str(size) for size in metrics["mlp"]["config"]["hidden_sizes"])
    return gr.I18n(
        **{
            language: {
                key: text.format(device=device, zerogpu=locale["page"]["zerogpu_note"] if zerogpu else "", **figures)
                for key, text in locale["page"].items()
            }
            for language, locale in LOCALES.items()
        }
    )


def pad_texts() -> dict[str, dict[str, str]]:
    """The drawing pad's words per language; the pad picks them in the browser, as Gradio does
    (gr.I18n does not translate a gr.HTML's own properties)."""
    return {
        language: {word: locale["page"][f"pad_{word}" if word != "label" else "sketch_label"] for word in PAD_WORDS}
        for language, locale in LOCALES.items()
    }


# A wall's or a class's refusal (WallError.reason) -> the message that says it.
WALL_MESSAGES = {
    "digit": "wall_bad_digit",
    "rate": "wall_too_fast",
    "rate_network": "wall_rate_network",
    "full": "wall_full",
    "paused": "wall_paused",
    "unknown_class": "class_unknown",
    "expired": "class_expired",
    "not_teacher": "class_not_teacher",
    "server_full": "class_server_full",
    "too_late": "class_too_late",
    "no_drawing": "class_no_drawing",
    "bad_import": "class_bad_import",
    "slow_down": "class_slow_down",
    "too_many_classes": "class_too_many",
    "wrong_password": "wrong_password",
    "no_class": "class_none_teacher",
}


def wall_message(error: Exception, language: str) -> str:
    """Why the wall or the class refused, in ``language``, with the figures the refusal gave."""
    key = WALL_MESSAGES.get(getattr(error, "reason", ""), "class_not_teacher")
    try:
        return say(key, language, **getattr(error, "details", {}))
    except (KeyError, IndexError, ValueError):  # figures the words do not name
        return say(key, language, seconds=0, limit="", code="", why="")
