"""The shape of the code, held: the library arranged in packages by what they do, every module and
function short enough to read at once, no module name used twice, nothing in the library that only
the tests use, and no Gradio in it."""

from __future__ import annotations

import ast
import importlib
import re
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


# Names retired for one idea one name (docs/architecture.md, "Words"): whether a model takes a
# drawing for a digit is ``is_digit`` everywhere, and ``teacher_class`` is the one teacher check.
RETIRED = {"digit_like": "is_digit", "taken_for_digit": "is_digit_for"}
MAX_POSITIONAL = 6


def test_retired_names_are_gone_and_the_teacher_check_is_defined_once():
    found, teacher_checks = [], []
    for path in python_files("mnist_models", "demo", "benchmarks"):
        for node in ast.walk(ast.parse(path.read_text())):
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "name", None)
            name = node.arg if isinstance(node, ast.arg) else node.id if isinstance(node, ast.Name) else name
            if name in RETIRED:
                found.append(f"{relative(path)}:{node.lineno} {name} (now {RETIRED[name]})")
            if isinstance(node, ast.FunctionDef) and node.name == "teacher_class":
                teacher_checks.append(relative(path))
    assert not found, found
    assert teacher_checks == ["demo/classroom/room.py"], teacher_checks


def test_no_function_takes_more_than_six_positional_parameters():
    """Longer lists of values are passed whole, as a dataclass (a ``Recipe``, a job), or by keyword."""
    long = {}
    for path in python_files("mnist_models", "demo", "benchmarks"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                positional = [a.arg for a in node.args.posonlyargs + node.args.args if a.arg not in ("self", "cls")]
                if len(positional) > MAX_POSITIONAL:
                    long[f"{relative(path)}:{node.lineno} {node.name}"] = len(positional)
    assert not long, f"functions with more than {MAX_POSITIONAL} positional parameters: {long}"


DOTTED = re.compile(r"\b(?:mnist_models|demo)(?:\.[A-Za-z_]\w*)+")


def resolves(dotted: str) -> bool:
    """Whether ``dotted`` names a module, or something inside one (a class, a function, an
    attribute of a class)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            if not hasattr(found, name) and name not in getattr(found, "__dataclass_fields__", {}):
                return False
            found = getattr(found, name, None)
        return True
    return False


def test_every_dotted_name_in_a_docstring_names_what_exists():
    """A docstring that names ``mnist_models.x.y`` or ``demo.x.y`` points to something real."""
    broken = []
    for path in python_files("mnist_models", "demo", "benchmarks"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                for dotted in DOTTED.findall(ast.get_docstring(node) or ""):
                    if not resolves(dotted.rstrip(".")):
                        broken.append(f"{relative(path)}: {dotted}")
    assert not broken, broken


def test_the_environment_is_read_only_by_the_settings_and_the_commands_mains():
    """The app's settings are read once (demo/settings.py); a command reads its variables in its
    ``main``; nothing else reads the environment, at start-up or after."""
    readers = []
    for path in python_files("mnist_models", "demo"):
        if relative(path) == "demo/settings.py":
            continue
        tree = ast.parse(path.read_text())
        mains = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "main"]
        allowed = {id(inner) for main in mains for inner in ast.walk(main)}
        for node in ast.walk(tree):
            reads = isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv")
            if reads and isinstance(node.value, ast.Name) and node.value.id == "os" and id(node) not in allowed:
                readers.append(f"{relative(path)}:{node.lineno}")
    assert not readers, readers
