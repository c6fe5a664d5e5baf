"""The app's words: every language has every text, a viewer gets the language their browser asks
for, and every message is filled in whole."""

from __future__ import annotations

import string
from types import SimpleNamespace

import pytest

from demo import language


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_language_has_every_label_and_message():
    english = language.LOCALES["en"]
    assert set(language.LOCALES) >= {"en", "ko"}
    for name, locale in language.LOCALES.items():
        assert set(locale) == set(english), name
        for part, table in locale.items():
            assert set(table) == set(english[part]), (name, part)
            for key, text in table.items():
                assert text.strip(), (name, part, key)
                if part != "errors":  # an error's words may leave out some of its figures
                    assert _fields(text) == _fields(english[part][key]), (name, part, key)


def test_a_viewer_gets_the_language_their_browser_asks_for_first():
    def request(header):
        return SimpleNamespace(headers={"accept-language": header})

    assert language.viewer_language(request("ko-KR,ko;q=0.9,en-US;q=0.8")) == "ko"
    assert language.viewer_language(request("en-US,en;q=0.9,ko;q=0.8")) == "en"
    assert language.viewer_language(request("fr-FR,ko;q=0.9")) == "en"  # no French file
    for nobody in (None, request(""), SimpleNamespace(headers=None)):
        assert language.viewer_language(nobody) == "en"


def test_every_label_is_one_whole_translatable_string():
    # Gradio translates a component string only when it is exactly one i18n key, and the app fills
    # in its figures with str.format: a stray brace in a label would break the whole app.
    metrics = {name: {"test_accuracy": 0.9, "pen_accuracy": 0.8} for name in ("softmax", "mlp")}
    metrics["mlp"]["config"] = {"hidden_sizes": [256, 128]}
    language.translations(metrics, "CPU")
    for locale in language.LOCALES.values():
        for key, text in locale["page"].items():
            assert _fields(text) <= {"softmax", "mlp", "softmax_pen", "mlp_pen", "mlp_layers", "device", "zerogpu"}, key
            assert "__i18n__" not in text


def test_why_a_picture_was_not_read_is_said_in_the_viewers_language():
    from mnist_models.reading.preprocess import DrawingError, decode_data_url

    with pytest.raises(DrawingError) as error:
        decode_data_url("/etc/passwd")
    assert error.value.reason == "not_a_picture"
    assert "did not arrive as a PNG" in language.reading_error(error.value, "en")
    assert "PNG, JPEG, WebP로 도착하지" in language.reading_error(error.value, "ko")
    odd = DrawingError("A message of the library's own.", "a reason no locale names")
    assert language.reading_error(odd, "en") == language.LOCALES["en"]["errors"]["unreadable"]
