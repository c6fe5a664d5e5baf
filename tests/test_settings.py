"""The app's settings (demo/settings.py): one flag and one variable each, named alike, read once;
and the table of them in docs/deploy.md, made from the same fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.settings import Settings, settings_table
from tests.live_app import ROOT

# Gradio's own variables for where the app listens, read as Gradio reads them.
GRADIOS = {"--host": "GRADIO_SERVER_NAME", "--port": "GRADIO_SERVER_PORT"}


def test_each_setting_has_one_flag_and_one_variable_named_alike():
    for option in Settings.options():
        flag, variable = option.metadata["flag"], option.metadata["variable"]
        assert flag == "--" + option.name.replace("_", "-")
        assert variable == GRADIOS.get(flag, "MNIST_" + option.name.upper())


def test_the_docs_table_is_the_settings():
    assert settings_table() in (ROOT / "docs" / "deploy.md").read_text()
    assert settings_table().count("\n") == len(Settings.options()) + 1


def test_a_flag_wins_over_its_variable_and_the_variable_over_the_default():
    environ = {"MNIST_CLASSES_DIR": "/from/variable", "MNIST_TRAINING_SECONDS": "30", "MNIST_SHARE": "yes"}
    settings = Settings.read(["--classes-dir", "/from/flag"], environ)
    assert settings.classes_dir == Path("/from/flag") and settings.training_seconds == 30.0 and settings.share
    assert Settings.read([], {}) == Settings()
    assert Settings.read([], {"MNIST_DATABASE_URL": ""}).database_url is None  # set but empty: not set


def test_a_value_that_does_not_read_stops_the_start_saying_which(capsys):
    with pytest.raises(SystemExit):
        Settings.read([], {"MNIST_TRAINING_SECONDS": "two minutes"})
    assert "--training-seconds" in capsys.readouterr().err


def test_on_a_space_one_proxy_is_trusted_unless_said_otherwise():
    assert Settings.read([], {"SPACE_ID": "someone/mnist-draw"}).hops == 1
    assert Settings.read([], {"SPACE_ID": "someone/mnist-draw", "MNIST_FORWARDED_HOPS": "0"}).hops == 0
    assert Settings.read(["--forwarded-hops", "2"], {}).hops == 2 and Settings().hops == 0
    assert Settings.read([], {"GRADIO_TEMP_DIR": "/uploads"}).upload_dir == Path("/uploads")
