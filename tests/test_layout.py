"""The shape of the code, held: the library arranged in packages by what they do, every module and
function short enough to read at once, no module name used twice, nothing in the library that only
the tests use, and no Gradio in it."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from tests.live_app import ROOT

MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60
CODE = ("mnist_models", "demo", "tests", "benchmarks")
# Names every package has, or pytest's own.
SHARED_NAMES = {"__init__", "__main__", "conftest"}


def python_files(*folders: str) -> list[Path]:
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py") if ".venv" not in path.parts)


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def imports(path: Path) -> list[list[str]]:
    """What each import statement of ``path`` names: modules, and ``module.name`` for each name
    taken from one."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append([node.module] + [f"{node.module}.{alias.name}" for alias in node.names])
        elif isinstance(node, ast.Import):
            found.append([alias.name for alias in node.names])
    return found


def test_no_module_is_longer_than_a_reader_holds_at_once():
    long = {
        relative(path): lines
        for path in python_files(*CODE)
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines: {long}"


def test_no_function_is_longer_than_a_screen():
    long = {}
    for path in python_files(*CODE):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{relative(path)}:{node.lineno} {node.name}"] = lines
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_no_two_modules_share_a_name():
    names = Counter(path.stem for path in python_files(*CODE) if path.stem not in SHARED_NAMES)
    names += Counter(path.parent.name for path in python_files(*CODE) if path.name == "__init__.py")
    twice = sorted(name for name, count in names.items() if count > 1)
    assert not twice, f"module names used more than once: {twice}"


def test_the_library_is_packages_by_what_they_do_with_no_gradio_and_nothing_only_tests_use():
    library = ROOT / "mnist_models"
    packages = [path.parent.name for path in library.glob("*/__init__.py")]
    assert len(packages) >= 3, packages
    imported = Counter()  # library module -> importers outside tests
    for path in python_files("mnist_models", "demo", "benchmarks"):
        for names in imports(path):
            assert not any(name == "gradio" or name.startswith("gradio.") for name in names) or not str(
                path
            ).startswith(str(library)), f"{relative(path)} imports Gradio"
            imported.update(name for name in names if name.startswith("mnist_models."))
    # A module run as a command (python -m ...) is used without being imported.
    commands = {path for path in python_files("mnist_models") if "def main(" in path.read_text()}
    unused = [
        relative(path)
        for path in python_files("mnist_models")
        if path.stem != "__init__"
        and path not in commands
        and not imported[".".join(path.relative_to(ROOT).with_suffix("").parts)]
    ]
    assert not unused, f"library modules only the tests use: {unused}"


def test_the_classes_never_call_a_model():
    """The caller reads a drawing and hands the class store what the models said: the store is
    data, shared by every server, and never loads or runs a model."""
    # The models' names are data; loading or running a model is not.
    calls_a_model = ("torch", "mnist_models.training", "mnist_models.models.networks")
    for path in python_files("mnist_models/classes"):
        for names in imports(path):
            for name in names:
                assert not name.startswith(calls_a_model), f"{relative(path)} imports {name}"
                assert name not in ("mnist_models.reading.classifier", "mnist_models.models.checkpoints.load_model")
