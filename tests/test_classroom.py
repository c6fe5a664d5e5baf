"""The classroom tabs' events, called as the app calls them: comparing and looking inside the
models on a drawing, and the test-set explorer and live training on a tiny MNIST the tests write,
and without any MNIST."""

from __future__ import annotations

import re
import string
import threading
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from demo import texts
from demo.classroom import Classroom, LazyMNIST
from mnist_models import data, explain
from mnist_models.inference import Prediction
from mnist_models.live_training import TrainingBusyError, is_busy, train_live
from mnist_models.preprocess import preprocess
from tests.conftest import browser_request, draw_digit, pad_value, png_bytes, write_split

TRAIN_COUNT, TEST_COUNT = 300, 120


@pytest.fixture
def tiny_mnist(tmp_path, monkeypatch):
    """A folder with a 300-image train split and a 120-image test split, accepted as MNIST."""
    for split, prefix, count in (("train", "train", TRAIN_COUNT), ("test", "t10k", TEST_COUNT)):
        image_file, label_file, _ = SPLIT_FILES_ORIGINAL[split]
        monkeypatch.setitem(data.SPLIT_FILES, split, (image_file, label_file, count))
        write_split(tmp_path, count, compress=False, prefix=prefix)
    return tmp_path


SPLIT_FILES_ORIGINAL = dict(data.SPLIT_FILES)


@pytest.fixture
def room(classifier, tiny_mnist):
    return Classroom(classifier, LazyMNIST(tiny_mnist, download=False))


@pytest.fixture
def empty_room(classifier, tmp_path):
    return Classroom(classifier, LazyMNIST(tmp_path / "nothing here", download=False))


# Compare and the two Inside tabs, on a drawing ----------------------------------------------------


def test_compare_shows_both_models_and_says_when_they_agree(classifier):
    room = Classroom(classifier)
    softmax, mlp, verdict = room.compare(pad_value(draw_digit(7)))
    for chart in (softmax, mlp):
        assert chart["digit"].tolist() == [str(d) for d in range(10)]
        assert chart["probability"].sum() == pytest.approx(1.0)
        assert chart.loc[chart["kind"] == "prediction", "digit"].tolist() == ["7"]
    assert "Both models say **7**" in verdict and "두 모델" not in verdict
    assert "두 모델 모두 **7**" in room.compare(pad_value(draw_digit(7)), browser_request())[2]


def test_compare_says_when_the_models_disagree(classifier, monkeypatch):
    answers = {"softmax": 3, "mlp": 8}

    def classify(image, name):
        probabilities = np.full(10, 0.01)
        probabilities[answers[name]] = 0.91
        return Prediction(answers[name], probabilities.tolist(), name, "CPU", np.zeros((28, 28), np.float32))

    room = Classroom(classifier)
    monkeypatch.setattr(room.classifier, "classify", classify)
    softmax, mlp, verdict = room.compare(pad_value(draw_digit(7)))
    assert "disagree" in verdict and "**3**" in verdict and "**8**" in verdict
    assert "다릅니다" in room.compare(pad_value(draw_digit(7)), browser_request())[2]
    assert softmax.loc[softmax["kind"] == "prediction", "digit"].tolist() == ["3"]
    assert mlp.loc[mlp["kind"] == "prediction", "digit"].tolist() == ["8"]


@pytest.mark.parametrize(
    "sketch", [None, "", pad_value(Image.new("RGBA", (280, 280), (0, 0, 0, 0)))], ids=["none", "empty", "blank"]
)
def test_tabs_ask_for_a_drawing_when_the_canvas_is_empty(classifier, sketch):
    room = Classroom(classifier)
    softmax, _mlp, verdict = room.compare(sketch)
    assert softmax["probability"].sum() == 0 and "Draw a digit" in verdict
    templates, contributions, text, other = room.inside_softmax(sketch, 3)
    assert templates is not None and contributions is None and "Draw a digit" in text and other == 3
    occlusion, activations, text = room.inside_mlp(sketch)
    assert occlusion is None and activations is None and "Draw a digit" in text
    assert "그려 주세요" in room.inside_mlp(sketch, browser_request())[2]


def test_inside_softmax_shows_the_scores_of_the_answer_and_the_chosen_digit(classifier):
    room = Classroom(classifier)
    templates, contributions, text, other = room.inside_softmax(pad_value(draw_digit(7)), 2)
    assert templates.shape[2] == 3 and contributions.shape[2] == 3 and other == 2
    model = classifier.model("softmax")
    scores = explain.logits(model, preprocess(draw_digit(7)))
    assert f"Score for **7**: {scores[7]:.2f}" in text and f"score for **2**: {scores[2]:.2f}" in text


def test_inside_softmax_picks_a_digit_to_compare_with_when_none_is_chosen(classifier):
    *_, text, other = Classroom(classifier).inside_softmax(pad_value(draw_digit(7)), None)
    assert other != 7 and f"score for **{other}**" in text


def test_inside_mlp_names_its_answer(classifier):
    occlusion, activations, text = Classroom(classifier).inside_mlp(pad_value(draw_digit(0)))
    assert occlusion.shape[2] == 3 and activations.shape[2] == 3
    assert "The MLP says **0**" in text and "of 1024 hidden units" in text


def test_model_cards_come_from_the_shipped_metrics_without_data(classifier):
    room = Classroom(classifier)
    facts = room.card_facts("softmax")
    metrics = classifier.metrics["softmax"]
    assert facts["parameters"] == f"{metrics['parameters']:,}" == "7,850"
    assert facts["test_accuracy"] == f"{metrics['test_accuracy']:.1%}"
    assert f"optimizer={metrics['recipe']['optimizer']}" in facts["recipe"]
    pictures = room.model_cards()
    assert len(pictures) == 6 and all(p.ndim == 3 for p in pictures)


# Test-set explorer and live training --------------------------------------------------------------


def test_the_explorer_shows_a_test_digit_with_its_label_and_both_answers(room):
    test = room.test_predictions()
    image, text = room.random_digit(seed=1)
    index = int(re.search(r"#(\d+)", text).group(1))
    assert image.shape == (224, 224) and image.dtype == np.uint8
    assert f"true digit is **{test.labels[index]}**" in text
    assert f"softmax regression says **{test.predictions['softmax'][index]}**" in text
    assert f"the MLP says **{test.predictions['mlp'][index]}**" in text and "실제" not in text
    _, korean = room.random_digit(browser_request(), seed=1)
    assert f"실제 숫자 **{test.labels[index]}**" in korean and "true digit" not in korean


@pytest.mark.parametrize("true, predicted", [(-1, -1), (3, -1), (-1, 5), (3, 5)])
def test_the_mistakes_gallery_holds_only_wrong_answers_that_match_the_filters(room, true, predicted):
    items, text = room.mistakes("softmax", true, predicted)
    test = room.test_predictions()
    expected = test.mistakes("softmax", None if true == -1 else true, None if predicted == -1 else predicted)
    assert len(items) == min(len(expected), 48)
    assert f"**{len(expected)}** of {TEST_COUNT}" in text
    for image, caption in items:
        shown_true, shown_answer = map(int, caption.split(" → "))
        assert shown_true != shown_answer
        assert true in (-1, shown_true) and predicted in (-1, shown_answer)
        assert image.shape == (84, 84)


def test_without_mnist_the_explorer_and_training_explain_how_to_enable_them(empty_room):
    image, text = empty_room.random_digit()
    assert image is None and "MNIST_DATA_DIR" in text and "nothing here" in text
    items, text = empty_room.mistakes("mlp", -1, -1)
    assert items == [] and "MNIST_DATA_DIR" in text
    digit, _, gallery, count = empty_room.explore("mlp", -1, -1)
    assert digit is None and gallery == [] and "MNIST_DATA_DIR" in count
    frames = list(empty_room.train("softmax", 1, 5_000))
    assert "MNIST_DATA_DIR" in frames[-1][0] and "데이터" not in frames[-1][0]
    assert "데이터 세트가 없어서" in list(empty_room.train("softmax", 1, 5_000, request=browser_request()))[-1][0]
    assert not is_busy()


def test_files_added_later_are_found_without_a_restart(classifier, tmp_path, monkeypatch):
    attempts = []
    monkeypatch.setattr(data, "_download", lambda root: attempts.append(root) or 1 / 0)  # offline
    room = Classroom(classifier, LazyMNIST(tmp_path, download=True))
    assert room.random_digit()[0] is None and room.random_digit()[0] is None
    assert len(attempts) == 1  # a failed download is not retried on every visit
    monkeypatch.setitem(data.SPLIT_FILES, "test", (*SPLIT_FILES_ORIGINAL["test"][:2], TEST_COUNT))
    write_split(tmp_path, TEST_COUNT, compress=True)
    assert room.random_digit()[0] is not None


@pytest.mark.parametrize("model", ["softmax", "mlp"])
def test_live_training_streams_curves_and_weights_then_finishes(tiny_mnist, model):
    train, test = (
        data.load_split("train", tiny_mnist, download=False),
        data.load_split("test", tiny_mnist, download=False),
    )
    snapshots = list(train_live(train, test, model, epochs=2, subset=200, updates_per_epoch=2, seed=0))
    first, last = snapshots[0], snapshots[-1]
    assert first.state == "running" and first.done == 0 and first.curves["x"] == []
    assert last.state == "finished" and last.done == 2.0 and last.images_seen == 400
    assert (
        last.curves["x"] == sorted(last.curves["x"]) and len(last.curves["x"]) == len(last.curves["test_accuracy"]) >= 2
    )
    assert all(s.weights.shape == (10, 28, 28) for s in snapshots)
    assert not np.array_equal(first.weights, last.weights)  # it learned something
    assert 0 <= last.test_accuracy <= 1
    assert not is_busy()


def test_live_training_never_touches_the_shipped_models(room):
    before = room.classifier.model("softmax").linear.weight.detach().clone()
    list(room.train("softmax", 1, 5_000))
    assert np.array_equal(before.numpy(), room.classifier.model("softmax").linear.weight.detach().numpy())


def test_a_second_training_is_told_the_server_is_busy(room, tiny_mnist):
    train, test = room.data.split("train"), room.data.split("test")
    running = train_live(train, test, "softmax", epochs=1, subset=200)
    next(running)  # holds the one training slot
    try:
        with pytest.raises(TrainingBusyError):
            next(train_live(train, test, "softmax"))
        frames = list(room.train("softmax", 1, 5_000, request=SimpleNamespace(session_hash="other")))
        assert "Someone else is training" in frames[-1][0]
        assert "다른 사람이" in list(room.train("softmax", 1, 5_000, request=browser_request()))[-1][0]
    finally:
        running.close()  # what Gradio does when the page goes away
    assert not is_busy()
    assert "Done" in list(room.train("softmax", 1, 5_000))[-1][0]


def test_stop_ends_the_training_after_the_current_batch(room):
    request = SimpleNamespace(session_hash="teacher")
    assert "No training of yours" in room.stop(request)
    frames = room.train("softmax", 5, 60_000, request=request)
    next(frames)  # reading the files
    next(frames)  # untrained
    assert "No training of yours" in room.stop(SimpleNamespace(session_hash="student"))  # not theirs to stop
    assert "Stopping" in room.stop(request)
    rest = list(frames)
    assert "Stopped after" in rest[-1][0] and len(rest) == 1
    assert "No training of yours" in room.stop(request) and not is_busy()


def test_stop_event_in_the_library(tiny_mnist):
    train, test = (
        data.load_split("train", tiny_mnist, download=False),
        data.load_split("test", tiny_mnist, download=False),
    )
    stop = threading.Event()
    run = train_live(train, test, "mlp", epochs=3, subset=None, stop=stop, updates_per_epoch=3)
    next(run)
    stop.set()
    rest = list(run)
    assert rest[-1].state == "stopped" and rest[-1].images_seen == 0


# Words --------------------------------------------------------------------------------------------


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_both_languages_have_every_label_and_message():
    assert set(texts.EN) == set(texts.KO)
    assert all(value.strip() for value in [*texts.EN.values(), *texts.KO.values()])
    assert set(texts.MESSAGES["en"]) == set(texts.MESSAGES["ko"])
    for key, english in texts.MESSAGES["en"].items():
        korean = texts.MESSAGES["ko"][key]
        assert english.strip() and korean.strip(), key
        assert _fields(english) == _fields(korean), key
    assert set(texts.MODEL_NAMES["en"]) == set(texts.MODEL_NAMES["ko"]) == {"softmax", "mlp"}


def test_a_viewer_gets_the_language_their_browser_asks_for_first():
    def request(header):
        return SimpleNamespace(headers={"accept-language": header})

    assert texts.viewer_language(request("ko-KR,ko;q=0.9,en-US;q=0.8")) == "ko"
    assert texts.viewer_language(request("en-US,en;q=0.9,ko;q=0.8")) == "en"
    for nobody in (None, request(""), SimpleNamespace(headers=None)):
        assert texts.viewer_language(nobody) == "en"


def test_every_label_is_one_whole_translatable_string():
    # Gradio translates a component string only when it is exactly one i18n key, and the app fills
    # in its figures with str.format: a stray brace in a label would break the whole app.
    texts.translations({name: {"test_accuracy": 0.9, "pen_accuracy": 0.8} for name in ("softmax", "mlp")}, "CPU")
    for table in (texts.EN, texts.KO):
        for key, text in table.items():
            assert _fields(text) <= {"softmax", "mlp", "softmax_pen", "mlp_pen", "device"}, key
            assert "__i18n__" not in text


def test_a_new_stroke_recomputes_only_the_tab_on_screen(room):
    drawing = pad_value(draw_digit(7, canvas=280, box=(60, 40, 220, 240), width=20))
    skipped = lambda value: isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1
    for showing, computed in (("compare", range(3)), ("softmax", range(3, 7)), ("mlp", range(7, 10)), ("cards", ())):
        outputs = room.follow_drawing(showing, drawing, None)
        assert len(outputs) == 10
        for i, value in enumerate(outputs):
            assert skipped(value) != (i in computed), (showing, i)
    softmax_chart, _mlp_chart, verdict = room.follow_drawing("compare", drawing, None)[:3]
    assert "**7**" in verdict and softmax_chart["kind"].tolist().count("prediction") == 1


# The class wall -----------------------------------------------------------------------------------


def wall_with(classifier, drawings: list[tuple[int, int]]):
    """A wall holding drawn digits (digit drawn, digit meant), each from its own page."""
    from mnist_models.classwall import ClassWall

    wall = ClassWall()
    for n, (drawn, meant) in enumerate(drawings):
        wall.add_drawing(classifier, png_bytes(draw_digit(drawn)), meant, f"page-{n}")
    return wall


def test_the_wall_shows_each_drawing_with_its_label_and_both_answers(classifier):
    wall = wall_with(classifier, [(7, 7), (1, 1), (0, 6)])
    room = Classroom(classifier, wall=wall)
    grid, figures, version = room.wall_view(-1, "all")
    assert version == wall.version == 3
    assert grid.count('class="wall-card') == 3 and 'data-count="3"' in grid
    assert grid.index('data-label="6"') < grid.index('data-label="7"')  # newest first
    assert grid.count('class="wall-card missed"') == 1 and "Softmax 0 ✗" in grid
    assert grid.count("data:image/png;base64,") == 3
    assert "<b>3</b> drawings" in figures and "66.7%" in figures  # 2 of 3 right for both models
    assert "on the MNIST test set" in figures and f"{classifier.metrics['mlp']['test_accuracy']:.1%}" in figures
    assert figures.count('class="confusion-table"') == 2
    only_sixes, _, _ = room.wall_view(6, "all")
    assert only_sixes.count('class="wall-card') == 1
    missed, _, _ = room.wall_view("-1", "mlp")
    assert missed.count('class="wall-card') == 1 and 'data-label="6"' in missed
    korean, figures, _ = room.wall_view(-1, "all", browser_request())
    assert "학급 그림 정확도" in figures and "소프트맥스 0 ✗" in korean


@pytest.mark.parametrize("digit, missed", [(None, None), ("x" * 100_000, []), (11, "cnn"), ({}, {"a": 1}), (True, 7)])
def test_hostile_filters_show_the_whole_wall(classifier, digit, missed):
    room = Classroom(classifier, wall=wall_with(classifier, [(7, 7), (1, 1)]))
    grid, _, _ = room.wall_view(digit, missed)
    assert grid.count('class="wall-card') == 2


def test_the_timer_redraws_only_when_the_wall_moved(classifier):
    room = Classroom(classifier, wall=wall_with(classifier, [(7, 7)]))
    skipped = lambda value: isinstance(value, dict) and value.get("__type__") == "update" and len(value) == 1
    grid, _, version = room.wall_tick(-1, -1, "all")
    assert "wall-card" in grid
    assert all(skipped(value) for value in room.wall_tick(version, -1, "all"))
    for hostile in (None, "1", True, 1e9, [version]):
        assert not skipped(room.wall_tick(hostile, -1, "all")[0])
    room.wall.add_drawing(classifier, png_bytes(draw_digit(1)), 1, "another page")
    grid, _, newer = room.wall_tick(version, -1, "all")
    assert newer == version + 1 and grid.count('class="wall-card') == 2


def test_teacher_controls_need_the_password_when_one_is_set(classifier, tmp_path):
    import zipfile

    wall = wall_with(classifier, [(7, 7), (1, 1)])
    room = Classroom(classifier, LazyMNIST(tmp_path, download=False), wall=wall, teacher_password="s3cret")
    for wrong in (None, "", "S3CRET", "s3cret ", 7, ["s3cret"], {"password": "s3cret"}, "x" * 1_000_000):
        assert room.clear_wall(wrong) == "Wrong or missing teacher password."
        assert room.export_wall(wrong) == (None, "Wrong or missing teacher password.")
        assert list(room.fine_tune(wrong, "mlp")) == ["Wrong or missing teacher password."]
        assert room.reset_copy(wrong) == "Wrong or missing teacher password."
        assert list(room.train("softmax", 1, 5_000, wrong)) == [("Wrong or missing teacher password.", None, None)]
    assert "교사 비밀번호" in room.clear_wall("nope", browser_request())
    assert len(wall) == 2
    path, message = room.export_wall("s3cret")
    assert message == "2 drawings in the ZIP."
    with zipfile.ZipFile(path) as archive:
        assert len(archive.namelist()) == 3
    assert room.clear_wall("s3cret") == "The wall is empty." and len(wall) == 0


def test_without_a_password_anyone_may_use_the_controls(classifier):
    room = Classroom(classifier, wall=wall_with(classifier, [(7, 7)]))
    assert room.teacher_ok(None) and room.teacher_ok("anything")
    assert room.clear_wall(None) == "The wall is empty."


def test_fine_tuning_a_copy_from_the_wall_tab(classifier, tmp_path):
    from mnist_models.classwall import MIN_DRAWINGS

    wall = wall_with(classifier, [(7, 1), (1, 7)] * 3)
    room = Classroom(classifier, LazyMNIST(tmp_path, download=False), wall=wall)
    assert "at least 10" in list(room.fine_tune(None, "mlp"))[-1]
    for n in range(MIN_DRAWINGS):
        wall.add_drawing(classifier, png_bytes(draw_digit((7, 1)[n % 2])), (1, 7)[n % 2], f"more-{n}")
    frames = list(room.fine_tune(None, "softmax", browser_request("en")))
    assert frames[0].startswith("Fine-tuning a copy of softmax regression")
    final = frames[-1]
    assert final.startswith("Copy of softmax regression: fine-tuned for") and "alone (no MNIST on this server)" in final
    assert "held-back drawings: **" in final and room.tuned is not None and room.tuned.model == "softmax"
    assert room.tuned.tuned is not classifier.model("softmax")
    assert room.reset_copy(None).startswith("The fine-tuned copy is gone") and room.tuned is None
    assert room.reset_copy(None) == "There is no fine-tuned copy."


@pytest.mark.parametrize(
    "headers, url",
    [
        ({"host": "10.0.0.5:7860"}, "http://10.0.0.5:7860/"),
        ({"host": "class.example.org"}, "http://class.example.org/"),
        (
            {"host": "a:1", "x-forwarded-host": "mnist.example.org", "x-forwarded-proto": "https"},
            "https://mnist.example.org/",
        ),
        ({"host": "a", "x-forwarded-host": "x.org, y.org", "x-forwarded-proto": "https, http"}, "https://x.org/"),
        ({"host": "x.org", "x-forwarded-proto": "javascript"}, "http://x.org/"),
        ({"host": 'evil.org/"><script>'}, None),
        ({"host": "user@evil.org"}, None),
        ({"host": "x.org:99999999"}, None),
        ({"host": "-x.org"}, None),
        ({"host": ""}, None),
        ({}, None),
    ],
)
def test_the_address_to_join_is_the_one_the_page_was_opened_at_if_it_is_a_plain_host(headers, url):
    from demo.classroom import student_url

    assert student_url(SimpleNamespace(headers=headers)) == url


def test_the_join_box_shows_the_address_and_a_qr_code_of_it(classifier):
    import base64
    import io

    import zxingcpp

    room = Classroom(classifier)
    box = room.join_html(SimpleNamespace(headers={"host": "192.168.1.20:7860"}))
    assert ">http://192.168.1.20:7860/</a>" in box
    data = re.search(r'src="data:image/png;base64,([^"]+)"', box).group(1)
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(data))))
    assert code.text == "http://192.168.1.20:7860/"
    assert "<img" not in room.join_html(SimpleNamespace(headers={"host": "<script>"}))
