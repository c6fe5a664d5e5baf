"""Deployed as the docs say: the files docs/deploy.md's `hf upload` command selects, chosen with
huggingface_hub's own pattern filtering (the code `hf upload` uses), copied to an empty folder and
started there as Hugging Face Spaces starts the app (`python demo/app.py`); it reads a drawing.
Nothing of a virtual environment, the data folder, test artifacts or caches is sent."""

from __future__ import annotations

import re
import shutil
import sys

import pytest
from huggingface_hub.utils import filter_repo_objects
from huggingface_hub.utils._paths import DEFAULT_IGNORE_PATTERNS  # what upload_folder adds to any ignore list

from tests.conftest import draw_digit, png_bytes
from tests.live_app import ROOT, GradioHTTP, live_app

pytestmark = pytest.mark.app

NEVER_SENT = (".venv/", "data/", "test-artifacts/", ".pytest_cache/", ".hypothesis/", ".git/", "benchmarks/results/")


def upload_patterns() -> tuple[list[str], list[str]]:
    """The --include and --exclude patterns of the `hf upload` command in docs/deploy.md."""
    command = next(line for line in (ROOT / "docs" / "deploy.md").read_text().splitlines() if "hf upload " in line)
    return re.findall(r'--include "([^"]+)"', command), re.findall(r'--exclude "([^"]+)"', command)


def selected_files() -> list[str]:
    """What `hf upload` sends from the repository's folder: as huggingface_hub lists a folder for
    upload_folder (every file under it, relative, sorted) and filters it, its default ignores added."""
    include, exclude = upload_patterns()
    files = sorted(p.relative_to(ROOT).as_posix() for p in ROOT.glob("**/*") if p.is_file())
    return list(filter_repo_objects(files, allow_patterns=include, ignore_patterns=exclude + DEFAULT_IGNORE_PATTERNS))


def test_the_files_the_docs_upload_start_the_app_as_spaces_starts_it(tmp_path):
    chosen = selected_files()
    assert {"README.md", "requirements.txt", "demo/app.py", "mnist_models/weights/mlp.safetensors"} <= set(chosen)
    assert not [f for f in chosen if f.startswith(NEVER_SENT) or "__pycache__" in f or f.endswith(".pyc")]
    assert not [f for f in chosen if f.startswith(("tests/", "benchmarks/"))]
    space = tmp_path / "space"
    for name in chosen:
        (space / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, space / name)
    with live_app([sys.executable, "demo/app.py"], cwd=space) as app:
        http = GradioHTTP(app.url)
        event, [result] = http.classify(png_bytes(draw_digit(7)))
        http.close()
    assert event == "complete" and result["prediction"] == 7
