"""The classroom tabs: look inside the models, compare them, explore the test set, train live.

``Classroom`` holds what the tabs share (the shipped models, the MNIST files once read, the live
trainings' stop switches) and has one method per event; ``build_tabs`` lays the tabs out and wires
them. The tabs that explain a drawing follow the page's drawing pad as it changes, but only the
tab on screen is computed: the others catch up when they are opened.
"""

from __future__ import annotations

import contextlib
import threading
from functools import cached_property
from pathlib import Path

import gradio as gr
import numpy as np

from demo import results
from demo.texts import say, viewer_language
from mnist_models import explain, pictures
from mnist_models.checkpoints import MODEL_NAMES
from mnist_models.data import MNISTFileError, MNISTSplit, default_data_dir, load_split
from mnist_models.inference import Classifier, Prediction
from mnist_models.live_training import TrainingBusyError, train_live
from mnist_models.preprocess import DrawingError, decode_data_url

GALLERY_SIZE = 48
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
    def __init__(self, classifier: Classifier, data: LazyMNIST | None = None) -> None:
        self.classifier = classifier
        self.data = data or LazyMNIST()
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

    def train(self, model: str, epochs: int, subset: int, request: gr.Request = None):
        """Stream (status, curves, weights) while a fresh model trains; it never replaces the shipped ones."""
        language = viewer_language(request)
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


# Layout -------------------------------------------------------------------------------------


def _picture(i18n: gr.I18n, caption: str, elem_id: str, **options) -> gr.Image:
    # The caption goes above the picture, not in its label: Gradio draws an image's label over
    # the picture's top edge, where the titles are, and in a small type.
    gr.Markdown(i18n(caption), elem_classes=["picture-caption"])
    return gr.Image(elem_id=elem_id, **{**PICTURE, **options})


def _digit_choices(i18n: gr.I18n, any_digit: bool = False) -> list:
    return ([(i18n("any_digit"), -1)] if any_digit else []) + [(str(d), d) for d in range(10)]


def build_tabs(classifier: Classifier, i18n: gr.I18n, sketch: gr.HTML) -> Classroom:
    """Add the classroom tabs to the open gr.Tabs; ``sketch`` is the page's drawing pad."""
    room = Classroom(classifier)
    quiet = {"api_visibility": "private", "show_progress": "minimal"}

    with gr.Tab(i18n("tab_compare"), id="compare") as compare_tab:
        # Which tab is on screen, so a new stroke recomputes that tab alone. (Inside a tab: a
        # gr.Tabs whose children are not all tabs draws its tab bar wrong.)
        showing = gr.State("compare")
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
            inputs=[model, epochs, subset],
            outputs=[status, curves, weights],
            api_visibility="private",
            show_progress="hidden",
        )
        # Its own event, so a Stop is never queued behind the training it should end.
        stop.click(room.stop, outputs=status, api_visibility="private", show_progress="hidden")

    tabs = {
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
