"""The classroom tabs: the class wall, look inside the models, compare them, explore the test set,
train live.

``Classroom`` holds what the tabs share (the shipped models, the MNIST files once read, the live
trainings' stop switches, the class wall and its fine-tuned copy, the teacher password) and has
one method per event; ``build_tabs`` lays the tabs out and wires
them. The tabs that explain a drawing follow the page's drawing pad as it changes, but only the
tab on screen is computed: the others catch up when they are opened.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import html
import os
import re
import tempfile
import threading
from functools import cached_property
from pathlib import Path

import gradio as gr
import numpy as np

from demo import results
from demo.texts import say, viewer_language
from mnist_models import explain, pictures
from mnist_models.checkpoints import MODEL_NAMES
from mnist_models.classwall import (
    MIN_DRAWINGS,
    ClassWall,
    Entry,
    FineTuneBusyError,
    FineTuneResult,
    WallError,
    fine_tune,
    lower_this_threads_priority,
)
from mnist_models.data import MNISTFileError, MNISTSplit, default_data_dir, load_split
from mnist_models.inference import Classifier, Prediction
from mnist_models.live_training import TrainingBusyError, train_live
from mnist_models.preprocess import DrawingError, decode_data_url

GALLERY_SIZE = 48
# The wall shows this many of the newest drawings (the figures count them all): a few hundred
# small pictures in one HTML block is what a projector shows in a glance, and stays small to send.
WALL_SHOWN = 120
WALL_REFRESH_S = 2.0
MAX_PASSWORD_CHARS = 1000
MISSED_CHOICES = ("all", "softmax", "mlp")
# What a Host header may be: a hostname or IPv4 address and an optional port, nothing else.
HOST_PATTERN = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?(?::[0-9]{1,5})?$")
SUBSETS = [5_000, 10_000, 30_000, 60_000]
PICTURE = {"interactive": False, "format": "png", "buttons": ["fullscreen"], "show_label": False}


class LazyMNIST:
    """The MNIST splits, read on first use - never while the app starts - and kept.

    A missing data set raises MNISTFileError each time it is asked for, so adding the files
    later works without a restart; a failed download is not tried again.
    """

    def __init__(self, root: str | Path | None = None, download: bool = True) -> None:
        self.root = Path(root) if root is not None else default_data_dir()
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


def _session(request: gr.Request | None) -> str:
    return getattr(request, "session_hash", None) or "local"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


# Every event can be called from outside the page with any JSON in place of a component's value:
# these read a value as what the page would send, or fall back to a harmless default.


def _digit(value: object) -> int | None:
    """A digit 0-9 (a dropdown's value), or None for anything else, "any" (-1) included."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        digit = int(value)
    except (ValueError, OverflowError):
        return None
    return digit if 0 <= digit <= 9 else None


def _model(value: object, default: str = "softmax") -> str:
    return value if isinstance(value, str) and value in MODEL_NAMES else default


def _choice(value: object, choices, default: int | None) -> int | None:
    """One of ``choices`` (whole numbers; a slider may send 3.0 for 3), else ``default``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in choices:
        return default
    return int(value)


class Classroom:
    def __init__(
        self,
        classifier: Classifier,
        data: LazyMNIST | None = None,
        wall: ClassWall | None = None,
        teacher_password: str | None = None,
    ) -> None:
        self.classifier = classifier
        self.data = data or LazyMNIST()
        self.wall = wall if wall is not None else ClassWall()
        self.teacher_password = teacher_password or None
        self.tuned: FineTuneResult | None = None
        self._export_dir: Path | None = None  # made on the first export
        self._test_predictions: explain.TestSetPredictions | None = None
        self._predictions_lock = threading.Lock()
        self._stops: dict[str, threading.Event] = {}

    def _classify(self, sketch: str | None, model: str) -> Prediction | None:
        try:
            return self.classifier.classify(decode_data_url(sketch) if sketch else None, model)
        except DrawingError:  # blank or unreadable: the tabs ask for a drawing instead
            return None

    def follow_drawing(
        self, showing: str, sketch: str | None, other: int | str | None, request: gr.Request = None
    ) -> tuple:
        """A new stroke: recompute the explaining tab on screen; leave the others as they are."""
        compare, softmax, mlp = (gr.skip(),) * 3, (gr.skip(),) * 4, (gr.skip(),) * 3
        if showing == "compare":
            compare = self.compare(sketch, request)
        elif showing == "softmax":
            softmax = self.inside_softmax(sketch, other, request)
        elif showing == "mlp":
            mlp = self.inside_mlp(sketch, request)
        return (*compare, *softmax, *mlp)

    # Compare ---------------------------------------------------------------------------------

    def compare(self, sketch, request: gr.Request = None):
        """(softmax chart, MLP chart, verdict) for the current drawing."""
        language = viewer_language(request)
        softmax, mlp = self._classify(sketch, "softmax"), self._classify(sketch, "mlp")
        if softmax is None or mlp is None:
            return results.chart_frame(None), results.chart_frame(None), say("draw_first", language)
        verdict = (
            say("agree", language, digit=mlp.digit)
            if softmax.digit == mlp.digit
            else say("disagree", language, softmax=softmax.digit, mlp=mlp.digit)
        )
        return (
            results.chart_frame(softmax.probabilities, softmax.digit),
            results.chart_frame(mlp.probabilities, mlp.digit),
            verdict,
        )

    # Teacher ---------------------------------------------------------------------------------

    def teacher_ok(self, password: object) -> bool:
        """True when no teacher password is set, or ``password`` is it (compared in constant time)."""
        if self.teacher_password is None:
            return True
        if not isinstance(password, str) or len(password) > MAX_PASSWORD_CHARS:
            return False
        return hmac.compare_digest(password.encode(), self.teacher_password.encode())

    # The class wall --------------------------------------------------------------------------

    def wall_view(self, digit, missed, request: gr.Request = None) -> tuple[str, str, int]:
        """(wall HTML, figures HTML, the wall's version) with the filters applied."""
        language = viewer_language(request)
        version = self.wall.version  # read first: a drawing arriving meanwhile shows on the next tick
        missed = missed if isinstance(missed, str) and missed in MISSED_CHOICES[1:] else None
        entries = self.wall.entries(_digit(digit), missed)
        return wall_html(entries, language), self.figures_html(language), version

    def wall_tick(self, shown: object, digit, missed, request: gr.Request = None) -> tuple:
        """The timer: the wall again if it changed since ``shown`` (this page's version), else nothing."""
        if isinstance(shown, int) and not isinstance(shown, bool) and shown == self.wall.version:
            return gr.skip(), gr.skip(), gr.skip()
        return self.wall_view(digit, missed, request)

    def figures_html(self, language: str) -> str:
        stats = self.wall.stats()
        lines = [f'<p class="wall-total">{_markdown_bold(say("wall_counts", language, total=stats.total))}</p>']
        lines.append(
            '<table class="wall-counts"><tr>'
            + "".join(f"<th>{d}</th>" for d in range(10))
            + "</tr><tr>"
            + "".join(f"<td>{n}</td>" for n in stats.counts)
            + "</tr></table>"
        )
        for name in MODEL_NAMES:
            text = say(
                "wall_accuracy",
                language,
                model=name,
                wall=_percent(stats.accuracy[name]),
                mnist=_percent(self.classifier.metrics[name].get("test_accuracy")),
            )
            lines.append(f'<p class="wall-accuracy">{_markdown_bold(text[0].upper() + text[1:])}</p>')
        matrices = "".join(
            f'<figure class="wall-confusion"><figcaption>{html.escape(_model_name(name, language))}</figcaption>'
            f"{confusion_html(stats.confusion[name])}</figure>"
            for name in MODEL_NAMES
        )
        lines.append(f'<div class="wall-confusions">{matrices}</div>')
        return '<div class="wall-figures">' + "".join(lines) + "</div>"

    def clear_wall(self, password, request: gr.Request = None) -> str:
        language = viewer_language(request)
        if not self.teacher_ok(password):
            return say("wrong_password", language)
        self.wall.clear()
        return say("wall_cleared", language)

    def export_wall(self, password, request: gr.Request = None) -> tuple[str | None, str]:
        """(path of a ZIP of the wall, message); no file without the teacher password."""
        language = viewer_language(request)
        if not self.teacher_ok(password):
            return None, say("wrong_password", language)
        data, count = self.wall.export_zip(), len(self.wall)
        if self._export_dir is None:
            self._export_dir = Path(tempfile.mkdtemp(prefix="class-wall-"))
        # Written whole under a temporary name, then renamed: two exports at once never mix.
        path = self._export_dir / "class-wall.zip"
        partial = self._export_dir / f"class-wall.{threading.get_ident()}.part"
        partial.write_bytes(data)
        os.replace(partial, path)
        return str(path), say("wall_exported", language, count=count)

    def fine_tune(self, password, model, request: gr.Request = None):
        """Stream progress while a copy of ``model`` fine-tunes on the wall, then the figures."""
        language = viewer_language(request)
        if not self.teacher_ok(password):
            yield say("wrong_password", language)
            return
        name = _model(model, "mlp")
        entries = self.wall.entries()
        if len(entries) < MIN_DRAWINGS:
            yield say("fine_tune_too_few", language, needed=MIN_DRAWINGS, count=len(entries))
            return
        try:
            mnist_train, mnist_test = self.data.split("train"), self.data.split("test")
        except MNISTFileError:
            mnist_train = mnist_test = None
        progress = {"steps": 0, "seconds": 0.0}
        outcome: dict[str, object] = {}

        def run() -> None:
            lower_this_threads_priority()
            try:
                outcome["result"] = fine_tune(
                    self.classifier.model(name),
                    name,
                    entries,
                    mnist_train,
                    mnist_test,
                    progress=lambda steps, seconds: progress.update(steps=steps, seconds=seconds),
                )
            except (FineTuneBusyError, WallError) as error:
                outcome["error"] = error

        # Its own thread, so the event can report progress while it trains; fine_tune itself
        # keeps to one CPU thread and rests between steps.
        worker = threading.Thread(target=run, name="fine-tune", daemon=True)
        worker.start()
        while worker.is_alive():
            yield say("fine_tuning", language, model=name, drawings=len(entries), **progress)
            worker.join(0.5)
        if isinstance(outcome.get("error"), FineTuneBusyError):
            yield say("fine_tune_busy", language)
            return
        if "result" not in outcome:
            yield say("fine_tune_too_few", language, needed=MIN_DRAWINGS, count=len(entries))
            return
        self.tuned = result = outcome["result"]
        yield self._fine_tuned_text(result, language)

    @staticmethod
    def _fine_tuned_text(result: FineTuneResult, language: str) -> str:
        mixed = (
            say("fine_tune_mixed", language, images=result.mnist_images)
            if result.mnist_images
            else say("fine_tune_alone", language)
        )
        mnist = (
            say("fine_tune_mnist", language, before=_percent(result.mnist_before), after=_percent(result.mnist_after))
            if result.mnist_before is not None
            else ""
        )
        return say(
            "fine_tuned",
            language,
            model=result.model,
            seconds=result.seconds,
            steps=result.steps,
            drawings=result.trained_on,
            mixed=mixed,
            held=result.held_back,
            before=_percent(result.before),
            after=_percent(result.after),
            mnist=mnist,
        )

    def reset_copy(self, password, request: gr.Request = None) -> str:
        language = viewer_language(request)
        if not self.teacher_ok(password):
            return say("wrong_password", language)
        had, self.tuned = self.tuned is not None, None
        return say("fine_tune_reset_done" if had else "fine_tune_none", language)

    def open_wall(self, digit, missed, request: gr.Request = None) -> tuple:
        """The page opens: the address to join, and the wall."""
        return self.join_html(request), *self.wall_view(digit, missed, request)

    def join_html(self, request: gr.Request = None) -> str:
        """The drawing page's address, large, and as a QR code, for the address this page was
        opened at; without a believable one, a link alone."""
        url = student_url(request)
        if url is None:
            return '<div class="join"><a class="join-url" href="../">../</a></div>'
        import segno  # only the classroom page needs it

        qr = segno.make(url, error="m").png_data_uri(scale=6, border=2)
        shown = html.escape(url)
        return (
            f'<div class="join"><img class="join-qr" src="{qr}" alt="QR: {shown}">'
            f'<a class="join-url" href="{shown}" target="_blank">{shown}</a></div>'
        )

    # Inside softmax --------------------------------------------------------------------------

    @cached_property
    def templates_picture(self) -> np.ndarray:
        return pictures.templates_picture(explain.softmax_templates(self.classifier.model("softmax")))

    def inside_softmax(self, sketch, other: int | str | None, request: gr.Request = None):
        """(templates, contribution maps or None, scores text, the digit compared with) for the current drawing."""
        language = viewer_language(request)
        prediction = self._classify(sketch, "softmax")
        if prediction is None:
            return self.templates_picture, None, say("draw_first", language), _digit(other)
        model = self.classifier.model("softmax")
        digit = prediction.digit
        other = _digit(other)
        other = other if other is not None else (digit + 1) % 10
        bias = explain.softmax_bias(model)
        maps = {d: explain.softmax_contributions(model, prediction.image, d) for d in (digit, other)}
        picture = pictures.contributions_picture(
            prediction.image, [(f"→ {digit}", maps[digit]), (f"→ {other}", maps[other])]
        )
        text = say(
            "scores",
            language,
            digit=digit,
            total=maps[digit].sum() + bias[digit],
            ink=maps[digit].sum(),
            bias=bias[digit],
            other=other,
            other_total=maps[other].sum() + bias[other],
            other_ink=maps[other].sum(),
            other_bias=bias[other],
        )
        return self.templates_picture, picture, text, other

    # Inside the MLP --------------------------------------------------------------------------

    def inside_mlp(self, sketch, request: gr.Request = None):
        """(occlusion picture, activations picture, sentence), or Nones and a prompt to draw."""
        language = viewer_language(request)
        prediction = self._classify(sketch, "mlp")
        if prediction is None:
            return None, None, say("draw_first", language)
        model = self.classifier.model("mlp")
        occlusion = explain.occlusion_map(model, prediction.image, prediction.digit)
        activations = explain.hidden_activations(model, prediction.image)
        text = say(
            "mlp_answer",
            language,
            digit=prediction.digit,
            probability=prediction.probabilities[prediction.digit],
            active=sum(int((a > 0).sum()) for a in activations),
            units=sum(a.size for a in activations),
        )
        return (
            pictures.contributions_picture(prediction.image, [(f"→ {prediction.digit}", occlusion)]),
            pictures.activations_picture(activations),
            text,
        )

    # Model cards -----------------------------------------------------------------------------

    def card_facts(self, name: str) -> dict[str, str]:
        """The card's numbers as text, straight from the metrics shipped with the weights."""
        metrics = self.classifier.metrics[name]
        recipe = ", ".join(f"{key}={value}" for key, value in metrics.get("recipe", {}).items())
        return {
            "parameters": f"{metrics['parameters']:,}",
            "test_accuracy": _percent(metrics.get("test_accuracy")),
            "pen_accuracy": _percent(metrics.get("pen_accuracy")),
            "recipe": recipe,
            "trained": f"{metrics.get('device', '?')}, {metrics.get('train_seconds', 0):.0f} s, torch {metrics.get('torch_version', '?')}",
        }

    @cached_property
    def card_pictures(self) -> list[np.ndarray]:
        """Per model (softmax, then MLP): per-class accuracy, confusion matrix, training curves."""
        cards = []
        for name in ("softmax", "mlp"):
            metrics = self.classifier.metrics[name]
            cards += [
                pictures.per_class_picture(metrics["per_class_accuracy"], metrics.get("pen_per_class_accuracy")),
                pictures.confusion_picture(metrics["confusion_matrix"]),
                pictures.curves_picture(metrics["curves"]),
            ]
        return cards

    def model_cards(self) -> list[np.ndarray]:
        return self.card_pictures

    # Test-set explorer -----------------------------------------------------------------------

    def test_predictions(self) -> explain.TestSetPredictions:
        """Both models' answers for the whole test set, worked out once; raises MNISTFileError."""
        with self._predictions_lock:
            if self._test_predictions is None:
                split = self.data.split("test")
                self._test_predictions = explain.TestSetPredictions.compute(split, self.classifier.models)
            return self._test_predictions

    def _no_data(self, language: str) -> str:
        return say("no_data", language, root=self.data.root)

    def random_digit(self, request: gr.Request = None, seed: int | None = None):
        """(enlarged digit or None, text) for a random test digit."""
        language = viewer_language(request)
        try:
            test = self.test_predictions()
        except MNISTFileError:
            return None, self._no_data(language)
        index = int(np.random.default_rng(seed).integers(len(test)))
        text = say(
            "test_digit",
            language,
            index=index,
            label=int(test.labels[index]),
            softmax=int(test.predictions["softmax"][index]),
            mlp=int(test.predictions["mlp"][index]),
        )
        return pictures.enlarge(test.images[index], 8), text

    def mistakes(self, model: str, true: int | None, predicted: int | None, request: gr.Request = None):
        """(gallery items, text): the test digits ``model`` gets wrong, filtered by true and predicted digit."""
        language = viewer_language(request)
        try:
            test = self.test_predictions()
        except MNISTFileError:
            return [], self._no_data(language)
        model, true, predicted = _model(model), _digit(true), _digit(predicted)
        wrong = test.mistakes(model, true, predicted)
        shown = wrong[:GALLERY_SIZE]
        items = [
            (pictures.enlarge(test.images[i], 3), f"{test.labels[i]} → {test.predictions[model][i]}") for i in shown
        ]
        text = say("mistakes_count", language, model=model, count=len(wrong), total=len(test), shown=len(shown))
        return items, text

    def explore(self, model: str, true, predicted, request: gr.Request = None):
        """Everything the explorer tab shows when it is opened."""
        digit, text = self.random_digit(request)
        items, count = self.mistakes(model, true, predicted, request)
        return digit, text, items, count

    # Train live ------------------------------------------------------------------------------

    def train(self, model: str, epochs: int, subset: int, password=None, request: gr.Request = None):
        """Stream (status, curves, weights) while a fresh model trains; it never replaces the shipped ones."""
        language = viewer_language(request)
        if not self.teacher_ok(password):
            yield say("wrong_password", language), None, None
            return
        epochs, subset = _choice(epochs, range(1, 6), None), _choice(subset, SUBSETS, None)
        if model not in MODEL_NAMES or epochs is None or subset is None:
            yield say("choose_settings", language), None, None
            return
        try:
            yield say("loading", language), None, None
            train, test = self.data.split("train"), self.data.split("test")
        except MNISTFileError:
            yield self._no_data(language), None, None
            return
        session, stop = _session(request), threading.Event()
        self._stops[session] = stop
        # closing(): when the page goes away mid-training Gradio closes this generator, and the
        # training's own generator must end with it to give the one training slot back.
        try:
            with contextlib.closing(train_live(train, test, model, int(epochs), int(subset), stop)) as run:
                for snapshot in run:
                    yield (
                        self._training_status(snapshot, language),
                        pictures.curves_picture(snapshot.curves, snapshot.epochs),
                        pictures.templates_picture(snapshot.weights),
                    )
        except TrainingBusyError:
            yield say("busy", language), None, None
        finally:
            if self._stops.get(session) is stop:
                del self._stops[session]

    @staticmethod
    def _training_status(snapshot, language: str) -> str:
        values = {
            "model": snapshot.model,
            "done": snapshot.done,
            "epochs": snapshot.epochs,
            "images": snapshot.images_seen,
            "seconds": snapshot.seconds,
            "accuracy": _percent(snapshot.test_accuracy),
        }
        key = {"running": "training", "finished": "trained", "stopped": "stopped"}[snapshot.state]
        return say(key, language, **values)

    def stop(self, request: gr.Request = None) -> str:
        """Stop this session's live training after its current batch."""
        language = viewer_language(request)
        stop = self._stops.get(_session(request))
        if stop is None:
            return say("nothing_to_stop", language)
        stop.set()
        return say("stopping", language)


def _model_name(name: str, language: str) -> str:
    return {"softmax": {"en": "Softmax regression", "ko": "소프트맥스 회귀"}, "mlp": {"en": "MLP", "ko": "MLP"}}[name][
        language if language == "ko" else "en"
    ]


def _markdown_bold(text: str) -> str:
    """A message's **bold** as HTML (the messages are ours; anything else in them is escaped)."""
    return re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(text))


def student_url(request: gr.Request | None) -> str | None:
    """The drawing page's address as the viewer reached this server (a proxy's forwarded host
    and scheme first), or None when the header is not a plain hostname[:port]."""
    headers = getattr(request, "headers", None) or {}
    host = str(headers.get("x-forwarded-host") or headers.get("host") or "").split(",")[0].strip()
    if not HOST_PATTERN.match(host):
        return None
    scheme = str(headers.get("x-forwarded-proto") or "").split(",")[0].strip().lower()
    if scheme not in ("http", "https"):
        url = getattr(request, "url", None)
        scheme = getattr(url, "scheme", None) if getattr(url, "scheme", None) in ("http", "https") else "http"
    return f"{scheme}://{host}/"


def entry_html(entry: Entry, language: str) -> str:
    picture = base64.b64encode(entry.thumbnail).decode("ascii")
    missed = [name for name in MODEL_NAMES if entry.missed_by(name)]
    answers = "".join(
        f'<span class="{"wall-miss" if name in missed else "wall-hit"}">'
        f"{html.escape(_model_name(name, language).split()[0])} {entry.answers[name]}"
        f"{' ✗' if name in missed else ' ✓'}</span>"
        for name in MODEL_NAMES
    )
    classes = "wall-card" + (" missed" if missed else "")
    return (
        f'<figure class="{classes}" data-label="{entry.label}"><img src="data:image/png;base64,{picture}" alt="{entry.label}">'
        f'<figcaption><b class="wall-label">{entry.label}</b>{answers}</figcaption></figure>'
    )


def wall_html(entries: list[Entry], language: str) -> str:
    """The newest WALL_SHOWN drawings, newest first, as one HTML grid of inline PNGs."""
    if not entries:
        return f'<div class="wall-grid empty" data-count="0">{html.escape(say("wall_empty", language))}</div>'
    shown = entries[::-1][:WALL_SHOWN]
    note = (
        f'<p class="wall-shown">{html.escape(say("wall_shown", language, shown=len(shown), count=len(entries)))}</p>'
        if len(shown) < len(entries)
        else ""
    )
    cards = "".join(entry_html(entry, language) for entry in shown)
    return f'{note}<div class="wall-grid" data-count="{len(entries)}">{cards}</div>'


def confusion_html(confusion: list[list[int]]) -> str:
    """A confusion matrix as a table (digit meant down, answer across), shaded by count: drawn
    anew on every change of the wall, so text in a table rather than a rendered figure."""
    top = max(1, max(max(row) for row in confusion))
    rows = ["<tr><th>↓ →</th>" + "".join(f"<th>{d}</th>" for d in range(10)) + "</tr>"]
    for meant, row in enumerate(confusion):
        cells = []
        for answer, count in enumerate(row):
            colour = "34,139,34" if meant == answer else "228,87,46"
            shade = f' style="background: rgba({colour},{0.15 + 0.85 * count / top:.2f})"' if count else ""
            cells.append(f"<td{shade}>{count or ''}</td>")
        rows.append(f"<tr><th>{meant}</th>{''.join(cells)}</tr>")
    return f'<table class="confusion-table">{"".join(rows)}</table>'


# Layout -------------------------------------------------------------------------------------


def _picture(i18n: gr.I18n, caption: str, elem_id: str, **options) -> gr.Image:
    # The caption goes above the picture, not in its label: Gradio draws an image's label over
    # the picture's top edge, where the titles are, and in a small type.
    gr.Markdown(i18n(caption), elem_classes=["picture-caption"])
    return gr.Image(elem_id=elem_id, **{**PICTURE, **options})


def _digit_choices(i18n: gr.I18n, any_digit: bool = False) -> list:
    return ([(i18n("any_digit"), -1)] if any_digit else []) + [(str(d), d) for d in range(10)]


def build_tabs(
    classifier: Classifier,
    i18n: gr.I18n,
    sketch: gr.HTML,
    page: gr.Blocks | None = None,
    wall: ClassWall | None = None,
    password: gr.Textbox | None = None,
    teacher_password: str | None = None,
) -> Classroom:
    """Add the classroom tabs to the open gr.Tabs; ``sketch`` is the page's drawing pad, ``page``
    the page (its load event fills the wall and the address to join), ``password`` the box the
    teacher types the password in (``teacher_password``; None: the controls are open to all)."""
    room = Classroom(classifier, wall=wall, teacher_password=teacher_password)
    quiet = {"api_visibility": "private", "show_progress": "minimal"}
    hidden = {"api_visibility": "private", "show_progress": "hidden"}
    if password is None:
        password = gr.Textbox(visible=False)

    with gr.Tab(i18n("tab_wall"), id="wall") as wall_tab:
        # Which tab is on screen, so a new stroke recomputes that tab alone. (Inside a tab: a
        # gr.Tabs whose children are not all tabs draws its tab bar wrong.)
        showing = gr.State("wall")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                gr.Markdown(i18n("wall_intro"))
                with gr.Row():
                    wall_digit = gr.Dropdown(
                        _digit_choices(i18n, any_digit=True),
                        value=-1,
                        label=i18n("wall_digit_filter"),
                        elem_id="wall-digit",
                    )
                    wall_missed = gr.Radio(
                        [
                            (i18n("wall_all"), "all"),
                            (i18n("wall_missed_softmax"), "softmax"),
                            (i18n("wall_missed_mlp"), "mlp"),
                        ],
                        value="all",
                        label=i18n("wall_missed_filter"),
                        elem_id="wall-missed",
                    )
                wall_grid = gr.HTML(wall_html([], "en"), elem_id="wall")
            with gr.Column(scale=2, min_width=260):
                gr.Markdown(i18n("join_title"), elem_classes=["picture-caption"])
                join = gr.HTML(elem_id="join")
                figures = gr.HTML(elem_id="wall-figures")
        gr.Markdown(i18n("teacher_title"))
        gr.Markdown(i18n("teacher_guarded" if teacher_password else "teacher_open"), elem_id="teacher-note")
        with gr.Row():
            clear = gr.Button(i18n("wall_clear"), variant="stop", elem_id="wall-clear")
            export = gr.Button(i18n("wall_export"), elem_id="wall-export")
        teacher_status = gr.Markdown(elem_id="teacher-status", elem_classes=["classroom-message"])
        export_file = gr.File(label=i18n("wall_export_file"), elem_id="wall-zip", interactive=False, height=90)
        gr.Markdown(i18n("fine_tune_about"))
        with gr.Row():
            tune_model = gr.Radio(
                [(i18n("model_softmax"), "softmax"), (i18n("model_mlp"), "mlp")],
                value="mlp",
                label=i18n("fine_tune_model"),
            )
            tune = gr.Button(i18n("fine_tune_start"), variant="primary", elem_id="fine-tune")
            reset = gr.Button(i18n("fine_tune_reset"), elem_id="fine-tune-reset")
        tune_status = gr.Markdown(elem_id="fine-tune-status", elem_classes=["classroom-message"])

        # The page keeps the version it shows; the timer sends it back and gets nothing unless
        # the wall moved, so an idle wall costs one comparison per tick.
        shown_version = gr.State(-1)
        wall_outputs = [wall_grid, figures, shown_version]
        timer = gr.Timer(WALL_REFRESH_S)
        timer.tick(room.wall_tick, inputs=[shown_version, wall_digit, wall_missed], outputs=wall_outputs, **hidden)
        for control in (wall_digit, wall_missed):
            control.input(room.wall_view, inputs=[wall_digit, wall_missed], outputs=wall_outputs, **hidden)
        if page is not None:
            page.load(room.open_wall, inputs=[wall_digit, wall_missed], outputs=[join, *wall_outputs], **hidden)
        clear.click(room.clear_wall, inputs=password, outputs=teacher_status, **hidden)
        export.click(room.export_wall, inputs=password, outputs=[export_file, teacher_status], **hidden)
        tune.click(room.fine_tune, inputs=[password, tune_model], outputs=tune_status, **hidden)
        reset.click(room.reset_copy, inputs=password, outputs=tune_status, **hidden)

    with gr.Tab(i18n("tab_compare"), id="compare") as compare_tab:
        gr.Markdown(i18n("compare_intro"))
        verdict = gr.Markdown(elem_id="compare-verdict", elem_classes=["classroom-message"])
        with gr.Row(equal_height=False):
            softmax_chart = results.probability_chart(i18n("compare_softmax_chart"), "compare-softmax", height=260)
            mlp_chart = results.probability_chart(i18n("compare_mlp_chart"), "compare-mlp", height=260)
        compare_outputs = [softmax_chart, mlp_chart, verdict]
        compare_tab.select(room.compare, inputs=sketch, outputs=compare_outputs, **quiet)

    with gr.Tab(i18n("tab_softmax"), id="softmax") as softmax_tab:
        gr.Markdown(i18n("softmax_intro"))
        templates = _picture(i18n, "templates_label", "templates")
        other = gr.Dropdown(_digit_choices(i18n), value=None, label=i18n("other_digit_label"), elem_id="other-digit")
        contributions = _picture(i18n, "contributions_label", "contributions")
        scores = gr.Markdown(elem_id="softmax-scores", elem_classes=["classroom-message"])
        softmax_outputs = [templates, contributions, scores, other]
        for event in (softmax_tab.select, other.input):
            event(room.inside_softmax, inputs=[sketch, other], outputs=softmax_outputs, **quiet)

    with gr.Tab(i18n("tab_mlp"), id="mlp") as mlp_tab:
        gr.Markdown(i18n("mlp_intro"))
        answer = gr.Markdown(elem_id="mlp-answer", elem_classes=["classroom-message"])
        with gr.Row(equal_height=False):
            with gr.Column(min_width=300):
                occlusion = _picture(i18n, "occlusion_label", "occlusion")
            with gr.Column(min_width=300):
                activations = _picture(i18n, "activations_label", "activations")
        gr.Markdown(i18n("activations_about"))
        mlp_outputs = [occlusion, activations, answer]
        mlp_tab.select(room.inside_mlp, inputs=sketch, outputs=mlp_outputs, **quiet)

    with gr.Tab(i18n("tab_cards"), id="cards") as cards_tab:
        gr.Markdown(i18n("cards_intro"))
        card_images = []
        with gr.Row(equal_height=False):
            for name in ("softmax", "mlp"):
                facts = room.card_facts(name)
                with gr.Column(min_width=320):
                    gr.Markdown(i18n(f"card_{name}_title"))
                    with gr.Row():
                        gr.Textbox(facts["parameters"], label=i18n("card_parameters"), interactive=False, min_width=140)
                        gr.Textbox(
                            facts["test_accuracy"], label=i18n("card_test_accuracy"), interactive=False, min_width=140
                        )
                        gr.Textbox(
                            facts["pen_accuracy"], label=i18n("card_pen_accuracy"), interactive=False, min_width=140
                        )
                    gr.Textbox(facts["recipe"], label=i18n("card_recipe"), interactive=False, lines=2)
                    gr.Textbox(facts["trained"], label=i18n("card_trained"), interactive=False)
                    card_images += [
                        _picture(i18n, "per_class_label", f"{name}-per-class"),
                        _picture(i18n, "confusion_label", f"{name}-confusion"),
                        _picture(i18n, "curves_label", f"{name}-curves"),
                    ]
        # Pictures are drawn on the first visit, not while the app starts.
        cards_tab.select(room.model_cards, outputs=card_images, **quiet)

    with gr.Tab(i18n("tab_explorer"), id="explorer") as explorer_tab:
        gr.Markdown(i18n("explorer_intro"))
        with gr.Row(equal_height=False):
            with gr.Column(min_width=260):
                another = gr.Button(i18n("random_digit"), variant="primary", elem_id="random-digit")
                digit = gr.Image(
                    label=i18n("explorer_digit_label"),
                    elem_id="test-digit",
                    height=260,
                    **{**PICTURE, "show_label": True},
                )
            digit_text = gr.Markdown(elem_id="test-digit-text", elem_classes=["classroom-message"])
        gr.Markdown(i18n("mistakes_title"))
        gr.Markdown(i18n("mistakes_about"))
        with gr.Row():
            model = gr.Radio(
                [(i18n("model_softmax"), "softmax"), (i18n("model_mlp"), "mlp")],
                value="softmax",
                label=i18n("mistakes_model"),
            )
            true = gr.Dropdown(
                _digit_choices(i18n, any_digit=True), value=-1, label=i18n("true_digit"), elem_id="true-digit"
            )
            predicted = gr.Dropdown(
                _digit_choices(i18n, any_digit=True), value=-1, label=i18n("predicted_digit"), elem_id="predicted-digit"
            )
        count = gr.Markdown(elem_id="mistakes-count", elem_classes=["classroom-message"])
        gallery = gr.Gallery(
            label=i18n("mistakes_gallery"),
            elem_id="mistakes",
            columns=8,
            height="auto",
            object_fit="contain",
            allow_preview=False,
            buttons=[],
        )
        explorer_tab.select(
            room.explore, inputs=[model, true, predicted], outputs=[digit, digit_text, gallery, count], **quiet
        )
        another.click(room.random_digit, outputs=[digit, digit_text], **quiet)
        for control in (model, true, predicted):
            control.input(room.mistakes, inputs=[model, true, predicted], outputs=[gallery, count], **quiet)

    with gr.Tab(i18n("tab_train"), id="train") as train_tab:
        gr.Markdown(i18n("train_intro"))
        with gr.Row():
            model = gr.Radio(
                [(i18n("model_softmax"), "softmax"), (i18n("model_mlp"), "mlp")],
                value="softmax",
                label=i18n("train_model"),
            )
            epochs = gr.Slider(1, 5, value=3, step=1, label=i18n("train_epochs"))
            subset = gr.Dropdown([(f"{n:,}", n) for n in SUBSETS], value=10_000, label=i18n("train_subset"))
        with gr.Row():
            start = gr.Button(i18n("train_start"), variant="primary", elem_id="train-start")
            stop = gr.Button(i18n("train_stop"), variant="stop", elem_id="train-stop")
        status = gr.Markdown(elem_id="train-status", elem_classes=["classroom-message"])
        with gr.Row(equal_height=False):
            with gr.Column(min_width=300):
                curves = _picture(i18n, "train_curves_label", "train-curves")
            with gr.Column(min_width=300):
                weights = _picture(i18n, "train_weights_label", "train-weights")
        start.click(
            room.train,
            inputs=[model, epochs, subset, password],
            outputs=[status, curves, weights],
            api_visibility="private",
            show_progress="hidden",
        )
        # Its own event, so a Stop is never queued behind the training it should end.
        stop.click(room.stop, outputs=status, api_visibility="private", show_progress="hidden")

    tabs = {
        "wall": wall_tab,
        "compare": compare_tab,
        "softmax": softmax_tab,
        "mlp": mlp_tab,
        "cards": cards_tab,
        "explorer": explorer_tab,
        "train": train_tab,
    }
    for name, tab in tabs.items():
        tab.select(
            lambda name=name: name, outputs=showing, queue=False, api_visibility="private", show_progress="hidden"
        )
    sketch.change(
        room.follow_drawing,
        inputs=[showing, sketch, other],
        outputs=compare_outputs + softmax_outputs + mlp_outputs,
        trigger_mode="always_last",
        **quiet,
    )
    return room
