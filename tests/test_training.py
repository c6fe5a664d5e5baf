"""Training really learns: short runs on a subset, the loss choices, and the augmentation."""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import json

import pytest
import torch

from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.models.checkpoints import build_model, load_model
from mnist_models.training import __main__ as command
from mnist_models.training.__main__ import main
from mnist_models.training.augment import AUGMENTATIONS, augment_batch
from mnist_models.training.loop import NOT_A_DIGIT, loss_fn, train_steps
from mnist_models.training.recipes import MLP_ARCHITECTURES, PEN_RENDERINGS, RECIPES, Recipe
from mnist_models.training.shipped import TrainingJob, train_model
from mnist_models.training.training_data import TrainingSet, training_set
from tests.test_omniglot import ELL, ROOT, write_zip


def subset(split: MNISTSplit, count: int) -> MNISTSplit:
    return MNISTSplit(split.images[:count], split.labels[:count], split.sha256)


@pytest.mark.mnist
@pytest.mark.parametrize(
    "name, recipe",
    [
        ("softmax", Recipe(epochs=2, batch_size=100, lr=0.1, optimizer="sgd")),
        ("softmax", Recipe(epochs=2, batch_size=100, lr=1e-2, optimizer="adamw", loss="mse")),
        ("mlp", Recipe(epochs=2, batch_size=100, lr=2e-3, optimizer="adamw", augment="full")),
    ],
    ids=["softmax-cross-entropy", "softmax-mse", "mlp-augmented"],
)
def test_a_short_run_beats_chance_by_far(name, recipe, mnist_train, mnist_test):
    job = TrainingJob(name, recipe, subset(mnist_train, 5000), subset(mnist_test, 1000), torch.device("cpu"))
    _, metrics = train_model(dataclasses.replace(job, progress=False))
    assert metrics["test_accuracy"] > 0.75  # chance is 0.10
    assert metrics["curves"]["train_loss"][-1] < metrics["curves"]["train_loss"][0]
    assert len(metrics["confusion_matrix"]) == 10 and sum(map(sum, metrics["confusion_matrix"])) == 1000


@pytest.mark.mnist
def test_the_same_seed_gives_the_same_model(mnist_train, mnist_test):
    recipe = dataclasses.replace(RECIPES["softmax"], epochs=1)
    runs = [
        train_model(
            TrainingJob(
                name="softmax",
                recipe=recipe,
                train=subset(mnist_train, 2000),
                test=subset(mnist_test, 500),
                device=torch.device("cpu"),
                seed=3,
                progress=False,
            )
        )[0]
        for _ in range(2)
    ]
    assert torch.equal(runs[0].linear.weight, runs[1].linear.weight)


def test_the_loop_steps_through_every_batch_of_every_epoch():
    torch.manual_seed(0)
    model = build_model("softmax")
    images, labels = torch.rand(50, 1, 28, 28), torch.randint(0, 10, (50,))
    recipe = Recipe(epochs=3, batch_size=20, lr=0.1, optimizer="sgd")
    steps = list(train_steps(model, recipe, images, labels, torch.Generator().manual_seed(0)))
    assert [(s.epoch, s.batch) for s in steps] == [(e, b) for e in range(3) for b in (1, 2, 3)]
    assert [s.size for s in steps] == [20, 20, 10] * 3 and sum(s.size for s in steps[:3]) == len(labels)
    assert [s.epochs_done for s in steps if s.ends_epoch] == [1.0, 2.0, 3.0]
    assert steps[-1].loss < steps[0].loss  # fifty images are few enough to learn by heart


def test_the_loop_fine_tunes_a_trained_model_on_new_images_within_a_step_budget():
    model = load_model("softmax", "cpu")
    shipped = model.linear.weight.detach().clone()
    # Noise labelled 3: nothing the model has seen, and nothing it reads as 3 before.
    images, labels = torch.rand(40, 1, 28, 28, generator=torch.Generator().manual_seed(1)), torch.full((40,), 3)
    assert (model(images).argmax(1) != 3).any()
    recipe = Recipe(epochs=1000, batch_size=20, lr=1e-2, optimizer="adamw", schedule="constant")
    steps = train_steps(model, recipe, images, labels, torch.Generator().manual_seed(0))
    taken = list(itertools.islice(steps, 10))  # the budget: ten steps of a thousand epochs' worth
    assert len(taken) == 10 and taken[-1].epochs_done == 5.0
    model.eval()
    assert (model(images).argmax(1) == 3).all()
    assert not torch.equal(model.linear.weight, shipped)
    assert torch.equal(load_model("softmax", "cpu").linear.weight, shipped)  # a copy was tuned, not the file


def tiny_pen_file(folder, writers=(3, 22, 27)) -> None:
    """A pen file with one digit per label for each of ``writers`` (a training writer, a writer the
    verdict is fit on, and a validation writer): straight strokes, enough to exercise the pipeline
    without the real file."""
    lines = [".INCLUDE dene.doc", '.LEXICON "0" "1"', ".HIERARCHY DIGIT", ""]
    for n, (label, writer) in enumerate((label, writer) for writer in writers for label in range(10)):
        lines += [f'.SEGMENT DIGIT {n} ? "{label}"', f".COMMENT {label} {writer} {n}", ".PEN_DOWN"]
        lines += [f" {100 + 20 * label}  {400 - 30 * k}" for k in range(10)]
        lines += [".PEN_UP", ".DT 100", ""]
    (folder / "pendigits-orig.tra").write_text("\n".join(lines))


def small_run(folder, monkeypatch, mnist_train, mnist_test) -> list[str]:
    """The command's flags for one epoch of the softmax on 2,000 MNIST digits and a few of the
    other sets' drawings, written in ``folder``."""
    monkeypatch.setattr(
        command, "load_split", lambda split, root: subset(mnist_train if split == "train" else mnist_test, 2000)
    )
    tiny_pen_file(folder)
    tiny_omniglot_file(folder)
    tiny_quickdraw_file(folder)
    argv = ["--model", "softmax", "--epochs", "1", "--pen-dir", str(folder), "--omniglot-dir", str(folder)]
    return [*argv, "--quickdraw-dir", str(folder), "--generated-nondigits", "20", "--out-dir", str(folder)]


@pytest.mark.mnist
def test_the_cli_writes_weights_metrics_and_curves_and_what_it_trained_on(
    tmp_path, monkeypatch, mnist_train, mnist_test
):
    main([*small_run(tmp_path, monkeypatch, mnist_train, mnist_test), "--no-progress"])
    metrics = json.loads((tmp_path / "softmax.json").read_text())
    for key in (
        "test_accuracy",
        "per_class_accuracy",
        "confusion_matrix",
        "curves",
        "train_seconds",
        "device",
        "torch_version",
        "weights_sha256",
        "data_sha256",
        "pen_accuracy",
        "pen_per_class_accuracy",
        "template_correlation",
        "verdict",
        "calibration",
    ):
        assert key in metrics
    assert set(metrics["pen_per_writer_accuracy"]) == {"27"}  # validation writers only
    pen = metrics["trained_on"]["pen"]
    assert pen["writers"] == list(range(1, 21)) and pen["digits"] == 10  # writer 22 fits the verdict
    assert pen["images"] == 10 * PEN_RENDERINGS
    assert metrics["trained_on"]["mnist_train"]["images"] == 2000
    nondigits = metrics["trained_on"]["nondigits"]
    # Two training-alphabet drawings and three doodles of the training things drawn twice, and the generated.
    assert nondigits["images"] == 2 * 2 + 3 * 2 + 20
    assert nondigits["quickdraw"]["things"] == ["apple", "bus", "cat"]
    assert metrics["verdict"]["fit_on"]["writers"] == [22] and metrics["verdict"]["temperature"] > 0
    assert 0 < metrics["verdict"]["threshold"] < 1
    # No digit-like character here; the validation thing's doodle and the digit-like thing's apart.
    assert set(metrics["verdict"]["non_digits_flagged"]) == {"Greek", "Early_Aramaic", "doodles", "digit-like doodles"}
    assert set(metrics["verdict"]["digits_flagged_by_writer"]) == {"27"}
    assert {"non_digits_flagged_doodles", "non_digits_flagged_alphabets"} <= set(metrics["verdict"]["curve"][0])
    assert metrics["config"]["deskew"] and metrics["preprocessing"] == {"deskew": True}
    assert metrics["tuning"]["writers"] == [22] and "pen_accuracy" in metrics["tuning"]  # what a recipe is chosen by
    assert (tmp_path / "softmax.safetensors").stat().st_size > 30_000
    for picture in ("curves", "reliability"):
        assert (tmp_path / f"softmax.{picture}.png").read_bytes()[:4] == b"\x89PNG"


def tiny_quickdraw_file(folder) -> None:
    """A doodles file with one doodle of each of five things (three trained on, one for tuning,
    one for validation, in QUICKDRAW's split by thing) and of a digit-like thing."""
    lines = [
        json.dumps({"word": word, "drawing": [[[0, 60 + 10 * n, 100], [0, 90, 20 * n]]]})
        for n, word in enumerate(["apple", "bus", "cat", "dog", "egg", "donut"])
    ]
    (folder / "quickdraw-dev.ndjson.gz").write_bytes(gzip.compress("\n".join(lines).encode()))


@pytest.mark.mnist
def test_the_cli_trains_a_not_a_digit_output_when_asked(tmp_path, monkeypatch, mnist_train, mnist_test):
    main([*small_run(tmp_path, monkeypatch, mnist_train, mnist_test), "--not-a-digit-output", "--no-progress"])
    metrics = json.loads((tmp_path / "softmax.json").read_text())
    assert metrics["config"]["not_a_digit"] and metrics["recipe"]["not_a_digit_output"]
    assert metrics["verdict"]["score"] == "digit_chance" and 0 < metrics["verdict"]["threshold"] < 1
    assert load_model("softmax", "cpu", tmp_path).linear.weight.shape == (11, 784)
    assert len(metrics["template_correlation"]) == 10


def tiny_omniglot_file(folder) -> None:
    """An Omniglot zip with one drawing of each of two training alphabets and of the validation
    alphabets (an L, scaled to differ)."""
    drawings = {("Latin", 5, 2), ("Korean", 3, 4), ("Greek", 10, 1), ("Early_Aramaic", 1, 9), ("Latin", 6, 18)}
    write_zip(
        folder,
        {
            f"{ROOT}/{alphabet}/character{number:02d}/0001_{drawer:02d}.txt": ELL.replace("60.0", f"{40 + number}.0")
            for alphabet, number, drawer in drawings
        },
    )


@pytest.mark.mnist
def test_the_cli_chooses_recipes_on_tuning_writers_without_the_validation_writers(
    tmp_path, monkeypatch, mnist_train, mnist_test
):
    monkeypatch.setattr(
        command, "load_split", lambda split, root: subset(mnist_train if split == "train" else mnist_test, 2000)
    )
    tiny_pen_file(tmp_path, writers=(3, 22, 27))
    argv = ["--model", "softmax", "--epochs", "1", "--tuning", "--mnist-weight", "2", "--pen-dir", str(tmp_path)]
    main([*argv, "--data", "mnist+pen", "--out-dir", str(tmp_path), "--no-progress"])
    metrics = json.loads((tmp_path / "softmax.json").read_text())
    assert set(metrics["pen_per_writer_accuracy"]) == {"22"}  # measured on a tuning writer, never 27
    assert metrics["trained_on"]["pen"]["writers"] == list(range(1, 21))
    assert metrics["trained_on"]["pen"]["digits"] == 10  # writer 3's
    assert metrics["recipe"]["mnist_weight"] == 2.0


@pytest.mark.mnist
def test_the_cli_trains_on_mnist_alone_or_says_where_the_pen_digits_are(tmp_path, monkeypatch, mnist_train, mnist_test):
    monkeypatch.setattr(
        command, "load_split", lambda split, root: subset(mnist_train if split == "train" else mnist_test, 2000)
    )
    monkeypatch.delenv("PENDIGITS_DIR", raising=False)
    with pytest.raises(SystemExit) as stop:
        main(["--model", "softmax", "--epochs", "1", "--out-dir", str(tmp_path), "--no-progress"])
    assert stop.value.code != 0
    main(["--model", "softmax", "--epochs", "1", "--data", "mnist", "--out-dir", str(tmp_path), "--no-progress"])
    metrics = json.loads((tmp_path / "softmax.json").read_text())
    assert metrics["trained_on"]["pen"] is None and "pen_accuracy" not in metrics
    assert "verdict" not in metrics  # nothing to fit it on: the model calls everything a digit


@pytest.mark.mnist
def test_the_tutorial_recipe_trains_without_deskewing_for_the_lesson(tmp_path, monkeypatch, mnist_train, mnist_test):
    monkeypatch.setattr(
        command, "load_split", lambda split, root: subset(mnist_train if split == "train" else mnist_test, 2000)
    )
    argv = ["--model", "softmax", "--data", "mnist", "--optimizer", "sgd", "--lr", "0.1", "--loss", "cross_entropy"]
    main([*argv, "--epochs", "1", "--no-deskew", "--out-dir", str(tmp_path), "--no-progress"])
    metrics = json.loads((tmp_path / "softmax.json").read_text())
    assert metrics["preprocessing"] == {"deskew": False}
    assert not load_model("softmax", "cpu", tmp_path).deskew


@pytest.mark.mnist
@pytest.mark.parametrize("deskew", [True, False])
def test_the_mlp_deskews_as_told_with_its_architecture(deskew, tmp_path, monkeypatch, mnist_train, mnist_test):
    monkeypatch.setattr(
        command, "load_split", lambda split, root: subset(mnist_train if split == "train" else mnist_test, 500)
    )
    argv = ["--model", "mlp", "--data", "mnist", "--epochs", "1", "--arch", "tutorial"]
    main([*argv, "--deskew" if deskew else "--no-deskew", "--out-dir", str(tmp_path), "--no-progress"])
    model = load_model("mlp", "cpu", tmp_path)
    assert model.deskew is deskew and model.hidden_sizes == (256, 256, 256, 128, 128)


def test_the_tutorial_mlp_is_one_flag_away():
    model = build_model("mlp", **MLP_ARCHITECTURES["tutorial"])
    assert model.hidden_sizes == (256, 256, 256, 128, 128)
    assert sum(p.numel() for p in model.parameters()) == 384_266


def test_mse_loss_is_zero_for_a_perfect_confident_answer():
    logits = torch.tensor([[100.0, 0, 0, 0, 0, 0, 0, 0, 0, 0]])
    assert loss_fn(logits, torch.tensor([0]), "mse").item() == pytest.approx(0.0, abs=1e-6)
    assert loss_fn(logits, torch.tensor([1]), "mse").item() == pytest.approx(0.2, abs=1e-6)


@pytest.mark.parametrize("kind", ["cross_entropy", "mse"])
def test_weighted_loss_counts_each_image_by_its_weight(kind):
    logits, labels = torch.randn(4, 10, generator=torch.Generator().manual_seed(0)), torch.tensor([0, 1, 2, 3])
    plain = loss_fn(logits, labels, kind)
    assert loss_fn(logits, labels, kind, torch.full((4,), 3.0)).item() == pytest.approx(plain.item())
    # Weight 2 on the first image is the same as that image appearing twice; weight 0 drops it.
    twice = loss_fn(logits[[0, 0, 1, 2, 3]], labels[[0, 0, 1, 2, 3]], kind)
    assert loss_fn(logits, labels, kind, torch.tensor([2.0, 1, 1, 1])).item() == pytest.approx(twice.item())
    dropped = loss_fn(logits[1:], labels[1:], kind)
    assert loss_fn(logits, labels, kind, torch.tensor([0.0, 1, 1, 1])).item() == pytest.approx(dropped.item())


def test_mnist_weight_applies_to_the_mnist_part_of_a_training_set():
    images, labels = torch.zeros(5, 1, 28, 28), torch.arange(5)
    mixed = TrainingSet(images, labels, mnist_images=3)
    assert mixed.weights(1.0) is None
    assert mixed.weights(1.7).tolist() == pytest.approx([1.7, 1.7, 1.7, 1.0, 1.0])
    assert TrainingSet(images, labels, mnist_images=5).weights(1.7) is None  # MNIST alone: nothing to weigh


def test_outlier_weight_applies_to_the_non_digits_of_a_training_set():
    labels = torch.tensor([3, 4, 5, NOT_A_DIGIT, NOT_A_DIGIT])
    mixed = TrainingSet(torch.zeros(5, 1, 28, 28), labels, mnist_images=2)
    assert mixed.weights(outlier_weight=1.0) is None
    assert mixed.weights(2.0, 0.5).tolist() == pytest.approx([2.0, 2.0, 1.0, 0.5, 0.5])


@pytest.mark.parametrize("kind", ["thickness", "full"])
def test_augmentation_keeps_images_in_range_and_changes_them(kind):
    x = torch.zeros(64, 1, 28, 28)
    x[:, :, 8:20, 12:16] = 1.0
    out = augment_batch(x.clone(), torch.Generator().manual_seed(0), AUGMENTATIONS[kind])
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    changed = (out - x).abs().flatten(1).amax(1) > 0.05
    assert 0.3 < changed.float().mean() <= 1.0  # most images change, each in its own way
    assert len({round(v, 3) for v in out.sum((1, 2, 3)).tolist()}) > 10


def test_the_outlier_weight_reaches_the_training_loss():
    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (200, 28, 28), dtype=torch.uint8, generator=generator)
    mnist = MNISTSplit(images, torch.arange(200) % 10, "random")
    mixed = training_set(mnist, None, torch.rand(50, 1, 28, 28, generator=generator))
    trained = [
        train_model(
            TrainingJob(
                name="softmax",
                recipe=Recipe(epochs=1, batch_size=50, lr=0.1, optimizer="sgd", outlier_weight=weight),
                train=mixed,
                test=mnist,
                device=torch.device("cpu"),
                progress=False,
            )
        )[0]
        for weight in (1.0, 5.0)
    ]
    assert not torch.allclose(trained[0].linear.weight, trained[1].linear.weight)
