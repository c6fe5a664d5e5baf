"""The docs run as written: every Python block of README.md and docs/*.md runs (against a live app
where it calls one, with Hugging Face's client checked call by call where it would reach the Hub),
the curl example answers, and every command line that starts one of the project's programs names
only flags that program has."""

from __future__ import annotations

import inspect
import re
import shlex
import subprocess
import sys
import textwrap
from collections import defaultdict

import pytest

from tests.conftest import draw_digit
from tests.live_app import ROOT, live_app

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]
BLOCK = re.compile(r"^( *)```(\w+)\n(.*?)^\1```", re.DOTALL | re.MULTILINE)
# Programs of other projects that the docs show, run elsewhere (the Hub, a database, a proxy).
NOT_OURS = ("venv", "pip", "pytest")


def blocks(language: str) -> list[tuple[str, str]]:
    """(the file's name, the code) of every ``language`` block in the docs."""
    found = []
    for path in DOCS:
        for match in BLOCK.finditer(path.read_text()):
            if match.group(2) == language:
                found.append((path.relative_to(ROOT).as_posix(), textwrap.dedent(match.group(3))))
    return found


def block_with(language: str, text: str) -> str:
    return next(code for _, code in blocks(language) if text in code)


def our_commands() -> dict[tuple[str, ...], set[str]]:
    """Each of the project's programs the docs' shell blocks start (``-m module`` or a script), and
    the long flags given to it anywhere."""
    flags = defaultdict(set)
    for _, code in blocks("bash"):
        for line in code.replace("\\\n", " ").splitlines():
            for command in line.split("#")[0].split("&&"):
                words = shlex.split(command.replace("[", " ").replace("]", " "))
                starts = [i for i, word in enumerate(words) if re.search(r"(^|/)python3?$", word)]
                if not starts or len(words) <= starts[0] + 1:
                    continue
                rest = words[starts[0] + 1 :]
                if rest[0] == "-c":  # a one-line script of the example's own
                    continue
                program = ("-m", rest[1]) if rest[0] == "-m" else (rest[0],)
                if program[-1] in NOT_OURS:
                    continue
                flags[program] |= {word.split("=")[0] for word in rest if word.startswith("--")}
    return flags


def test_every_command_line_names_flags_its_program_has():
    commands = our_commands()
    assert ("-m", "demo") in commands and ("-m", "mnist_models.training") in commands
    assert ("benchmarks/many_classes.py",) in commands
    for program, flags in commands.items():
        shown = subprocess.run(
            [sys.executable, *program, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
        )
        assert shown.returncode == 0, (program, shown.stderr[-2000:])
        assert not [flag for flag in flags if flag not in shown.stdout], (program, flags)


@pytest.mark.app
def test_the_api_examples_answer_as_they_say(tmp_path):
    draw_digit(7).save(tmp_path / "seven.png")
    with live_app() as app:
        code = block_with("python", "gradio_client").replace("http://127.0.0.1:7860/", app.url)
        scope = {}
        with pytest.MonkeyPatch.context() as patch:
            patch.chdir(tmp_path)
            exec(compile(code, "README.md", "exec"), scope)  # noqa: S102 (our own README's example)
        assert scope["result"]["prediction"] == 7 and scope["result"]["is_digit"] is True
        curl = block_with("bash", "curl").replace("http://127.0.0.1:7860/", app.url)
        done = subprocess.run(
            ["bash", "-c", curl], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
        )
        assert '"prediction": 7' in done.stdout, done.stdout + done.stderr


def test_the_library_example_reads_a_digit(tmp_path, monkeypatch):
    draw_digit(7, background="white").save(tmp_path / "my_digit.png")
    monkeypatch.chdir(tmp_path)
    code = block_with("python", "load_model")
    printed = []
    exec(compile(code, "docs/models.md", "exec"), {"print": printed.append})  # noqa: S102
    assert printed and printed[-1].digit == 7


class Checked:
    """Hugging Face's client, each call checked against the real one's signature, none sent."""

    def __init__(self, real, calls: list) -> None:
        self._real, self._calls = real, calls

    def __call__(self, *args, **kwargs):
        inspect.signature(self._real).bind(*args, **kwargs)
        self._calls.append((self._real.__name__, args, kwargs))
        return self

    def __getattr__(self, name: str):
        return Checked(getattr(self._real, name), self._calls)


def test_the_hub_examples_call_hugging_face_s_client_as_it_is():
    from huggingface_hub import HfApi, Volume

    code = "\n".join(code for path, code in blocks("python") if path == "docs/deploy.md")
    calls = []
    api = Checked(HfApi(token=False), calls)
    example = compile(code.replace("api = HfApi()\n", ""), "docs/deploy.md", "exec")
    exec(example, {"HfApi": HfApi, "Volume": Volume, "api": api})  # noqa: S102
    assert [name for name, _, _ in calls] == ["create_bucket", "set_space_volumes"]
    volume = calls[1][2]["volumes"][0]
    assert (volume.type, volume.mount_path) == ("bucket", "/data")
