"""What the classroom's tabs share: ``Classroom``, made once per process (the models, the MNIST
files once read, the classes, the live trainings' stop switches, what guards the teacher
controls), and ``Context``, made for each visitor of the page (the teacher's class, the components
the tabs share, the viewer's language, and the tabs that follow the pad).

Every event can be called from outside the page with any JSON in place of a component's value:
``digit``, ``model`` and ``choice`` read a value as what the page would send, or fall back to a
harmless default.
"""

from __future__ import annotations

import hmac
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import gradio as gr
import numpy as np

from demo.language import LOCALES, say, viewer_language, wall_message
from mnist_models import pictures
from mnist_models.classes import codes
from mnist_models.classes.class_wall import WallError
from mnist_models.classes.store import ClassStore, SchoolClass
from mnist_models.datasets.mnist import DEFAULT_DATA_DIR, MNISTFileError, MNISTSplit, load_split
from mnist_models.evaluation.predictions import TestSetPredictions
from mnist_models.limits import FailedTries, TokenBuckets
from mnist_models.models import explain
from mnist_models.models.checkpoints import MODEL_NAMES
from mnist_models.reading.classifier import Classifier, Prediction
from mnist_models.reading.preprocess import DrawingError
from mnist_models.training.live import MAX_SECONDS

MAX_PASSWORD_CHARS = 1000
PICTURE = {"interactive": False, "format": "png", "buttons": ["fullscreen"], "show_label": False}


class LazyMNIST:
    """The MNIST splits, read on first use - never while the app starts - and kept.

    A missing data set raises MNISTFileError each time it is asked for, so adding the files
    later works without a restart; a failed download is not tried again.
    """

    def __init__(self, root: str | Path | None = None, download: bool = True) -> None:
        self.root = Path(root) if root is not None else DEFAULT_DATA_DIR
        self.download = download
        self._splits: dict[str, MNISTSplit] = {}
        self._lock = threading.Lock()

    def split(self, name: str) -> MNISTSplit:
        with self._lock:  # two first visitors must not read (or download) the files twice
            if name not in self._splits:
                try:
                    self._splits[name] = load_split(name, self.root, download=self.download)
                except MNISTFileError:
                    # Offline, a download attempt costs seconds each visit; look only for files from now on.
                    self.download = False
                    raise
            return self._splits[name]


class Classroom:
    """The classroom's state for the whole process, shared by every teacher's page: the models,
    the MNIST files, the classes (``ClassStore``), the live trainings' stop switches, and what
    guards the teacher controls."""

    def __init__(
        self,
        classifier: Classifier,
        store: ClassStore,
        data: LazyMNIST | None = None,
        start_password: str | None = None,
        training_seconds: float = MAX_SECONDS,
    ) -> None:
        self.classifier = classifier
        self.store = store
        self.data = data or LazyMNIST()
        self.start_password = start_password or None  # needed to start a class, when set
        self.training_seconds = training_seconds  # the longest a live training may run
        self.export_dir: Path | None = None  # made on the first export of a class
        self.stops: dict[str, set[threading.Event]] = {}  # a page's session -> its live trainings' stop switches
        # Wrong passwords and teacher keys, per address: a few are free, then each waits longer.
        self.tries = FailedTries(free=3, first_wait_s=2.0)
        # Classes started per address: a school's teachers behind one router start a score at once,
        # then one every half minute, so that no one address fills the server.
        self.starts = TokenBuckets(rate_per_s=1 / 30, burst=20)
        # What the page says of where the classes are kept (a warning key and its details), or None.
        self.storage_warning: Callable[[], tuple[str, dict] | None] = lambda: None
        self._test_predictions: TestSetPredictions | None = None
        self._predictions_lock = threading.Lock()

    def read(self, pad_value: object) -> dict[str, Prediction] | None:
        """Both models' predictions for the pad's value; None while blank or unreadable (the
        tabs then ask for a drawing)."""
        try:
            return self.classifier.read(pad_value, source="pad")
        except DrawingError:
            return None

    def teacher_class(self, teacher: object, address: str) -> SchoolClass:
        """The class whose teacher key this page's browser holds (``teacher``: {"code", "secret"},
        as the browser sends it: anything). WallError when there is none or it is wrong; after a
        few wrong keys from one address, each try from there waits longer ("slow_down")."""
        code, secret = (teacher.get("code"), teacher.get("secret")) if isinstance(teacher, dict) else (None, None)
        if codes.read_code(code) is None:
            raise WallError("Start a class first.", "no_class")
        self._wait_if_failing(address)
        try:
            return self.store.as_teacher(code, secret)
        except WallError as error:
            if error.reason == "not_teacher":
                self.tries.failed(address)
            raise

    def teacher_check(self, teacher: object, address: str, language: str) -> tuple[SchoolClass | None, str]:
        """The one check every teacher-only handler goes through: (the class, "") for a page that
        holds its teacher key, else (None, why not in ``language``), counting a wrong key against
        ``address`` as ``teacher_class`` does."""
        try:
            return self.teacher_class(teacher, address), ""
        except WallError as error:
            return None, wall_message(error, language)

    def start_class(self, password: object, address: str, entries=()) -> tuple[SchoolClass, str]:
        """A new class and its teacher key, for someone who knows the server's password when it
        has one; at most a few from one address at a time."""
        self._wait_if_failing(address)
        if self.start_password is not None:
            given = password.encode() if isinstance(password, str) and len(password) <= MAX_PASSWORD_CHARS else b""
            if not hmac.compare_digest(given, self.start_password.encode()):
                self.tries.failed(address)
                raise WallError("Wrong or missing server password.", "wrong_password")
        if wait := self.starts.take(address):
            raise WallError("Too many classes started from here.", "too_many_classes", seconds=math.ceil(wait))
        return self.store.start_class(entries)

    def storage_note(self, language: str) -> str:
        """The warning of where the classes are kept, in ``language``; "" when they are safe."""
        warning = self.storage_warning()
        return "" if warning is None else say(warning[0], language, **warning[1])

    def _wait_if_failing(self, address: str) -> None:
        if wait := self.tries.wait(address):
            raise WallError("Too many wrong tries.", "slow_down", seconds=math.ceil(wait))

    @cached_property
    def templates_picture(self) -> np.ndarray:
        return pictures.templates_picture(explain.softmax_templates(self.classifier.model("softmax")))

    def test_predictions(self) -> TestSetPredictions:
        """Both models' answers for the whole test set, worked out once; raises MNISTFileError."""
        with self._predictions_lock:
            if self._test_predictions is None:
                split = self.data.split("test")
                self._test_predictions = TestSetPredictions.compute(split, self.classifier.models)
            return self._test_predictions

    def no_data(self, language: str) -> str:
        return say("no_data", language, root=self.data.root)


@dataclass
class Follower:
    """A tab that follows the pad: ``show(pad_value, *values of inputs, language)`` -> its outputs."""

    tab: str
    show: Callable
    inputs: list
    outputs: list


@dataclass
class Context:
    """One visitor's classroom page: what its tabs share."""

    room: Classroom
    request: gr.Request | None  # the page's request as it opened: its language, its address
    teacher: gr.BrowserState | None = None  # the teacher key this browser keeps: {"code", "secret"}
    school_class: SchoolClass | None = None  # the class of that key, as the page opened
    notice: str = ""  # why the page opened without its class (it expired, ...)
    pad: gr.HTML | None = None  # the page's drawing pad
    followers: list[Follower] = field(default_factory=list)

    @property
    def language(self) -> str:
        return viewer_language(self.request)

    def text(self, key: str) -> str:
        """One of the page's fixed strings, in this viewer's language."""
        return LOCALES[self.language]["page"][key]

    def follow(self, tab: str, show: Callable, inputs: list, outputs: list) -> None:
        """Have tab ``tab`` recompute ``outputs`` on every new drawing while it is on screen."""
        self.followers.append(Follower(tab, show, inputs, outputs))

    def caption(self, key: str) -> None:
        # The caption goes above a picture, not in its label: Gradio draws an image's label over
        # the picture's top edge, where the titles are, and in a small type.
        gr.Markdown(self.text(key), elem_classes=["picture-caption"])

    def picture(self, caption: str, elem_id: str, **options) -> gr.Image:
        self.caption(caption)
        return gr.Image(elem_id=elem_id, **{**PICTURE, **options})

    def two_pictures(self, left: tuple[str, str], right: tuple[str, str]) -> tuple[gr.Image, gr.Image]:
        """Two pictures side by side (one under the other on a phone), each ``(caption, elem_id)``."""
        pictures = []
        with gr.Row(equal_height=False):
            for caption, elem_id in (left, right):
                with gr.Column(min_width=300):
                    pictures.append(self.picture(caption, elem_id))
        return pictures[0], pictures[1]

    def model_choice(self, label: str, value: str, **options) -> gr.Radio:
        choices = [(self.text(f"model_{name}"), name) for name in MODEL_NAMES]
        return gr.Radio(choices, value=value, label=self.text(label), **options)

    def digit_choices(self, any_digit: bool = False) -> list:
        return ([(self.text("any_digit"), -1)] if any_digit else []) + [(str(d), d) for d in range(10)]


def session_of(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "local"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def digit(value: object) -> int | None:
    """A digit 0-9 (a dropdown's value), or None for anything else, "any" (-1) included."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        number = int(value)
    except (ValueError, OverflowError):
        return None
    return number if 0 <= number <= 9 else None


def model(value: object, default: str = "softmax") -> str:
    return value if isinstance(value, str) and value in MODEL_NAMES else default


def choice(value: object, choices, default: int | None) -> int | None:
    """One of ``choices`` (whole numbers; a slider may send 3.0 for 3), else ``default``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in choices:
        return default
    return int(value)
