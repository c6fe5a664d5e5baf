"""The models' input contract, the registry, and loading the shipped weights safely."""

from __future__ import annotations

import argparse
import shutil

import numpy as np
import pytest
import torch

from mnist_models.device import describe_device, pick_device
from mnist_models.models.checkpoints import (
    MODEL_NAMES,
    WEIGHTS_DIR,
    WeightsError,
    build_model,
    load_metrics,
    load_model,
)
from mnist_models.models.networks import MLP, SoftmaxRegression
from mnist_models.training.command_flags import with_variables


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_both_input_shapes_give_the_same_logits(name):
    model = build_model(name).eval()
    x = torch.rand(5, 1, 28, 28)
    logits = model(x)
    assert logits.shape == (5, 10)
    assert torch.allclose(logits, model(x.view(5, 784)))


def test_wrong_input_size_is_rejected():
    with pytest.raises(ValueError, match="784"):
        SoftmaxRegression()(torch.rand(2, 1, 32, 32))


def test_mlp_has_the_tutorial_layer_sizes():
    model = MLP()
    linear = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [
        (784, 256),
        (256, 256),
        (256, 256),
        (256, 128),
        (128, 128),
        (128, 10),
    ]
    assert len(model.hidden_activations(torch.rand(3, 784))) == 5


def test_unknown_model_name_is_rejected():
    with pytest.raises(KeyError, match="softmax"):
        build_model("cnn")


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_shipped_weights_load_in_eval_mode(name):
    model = load_model(name, "cpu")
    assert not model.training
    assert load_metrics(name)["test_accuracy"] > 0.9
    with torch.inference_mode():
        probabilities = model(torch.zeros(1, 1, 28, 28)).softmax(1)
    assert torch.allclose(probabilities.sum(), torch.tensor(1.0))


def test_corrupt_weights_are_refused_naming_the_file(tmp_path):
    for suffix in (".safetensors", ".json"):
        shutil.copy(WEIGHTS_DIR / f"mlp{suffix}", tmp_path / f"mlp{suffix}")
    data = bytearray((tmp_path / "mlp.safetensors").read_bytes())
    data[-1] ^= 0xFF
    (tmp_path / "mlp.safetensors").write_bytes(bytes(data))
    with pytest.raises(WeightsError, match="mlp.safetensors"):
        load_model("mlp", "cpu", tmp_path)


def test_missing_weights_say_how_to_make_them(tmp_path):
    with pytest.raises(WeightsError, match="mnist_models.training --model"):
        load_model("softmax", "cpu", tmp_path)


def test_device_choice_and_override():
    assert pick_device("cpu") == torch.device("cpu")
    assert describe_device(torch.device("cpu")) == "CPU"
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert pick_device().type == expected and pick_device("auto").type == expected
    # The commands take $MNIST_DEVICE for a --device not given (the library reads no variable).
    args = with_variables(
        argparse.Namespace(device=None, data_dir="given"), {"MNIST_DEVICE": "cpu", "MNIST_DATA_DIR": "x"}
    )
    assert args.device == "cpu" and args.data_dir == "given"


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message on machines without CUDA")
def test_asking_for_missing_cuda_is_a_clear_error():
    with pytest.raises(RuntimeError, match="CUDA is not available"):
        pick_device("cuda")


@pytest.mark.cuda
@pytest.mark.parametrize("name", MODEL_NAMES)
def test_models_run_on_cuda(name):
    model = load_model(name, "cuda")
    with torch.inference_mode():
        logits = model(torch.rand(8, 1, 28, 28, device="cuda"))
    assert logits.device.type == "cuda" and logits.shape == (8, 10)


@pytest.mark.parametrize("name", ["cnn", "", None, 7, ["mlp"], {"mlp": 1}, "x" * 100_000])
def test_an_unknown_model_name_of_any_type_gets_a_short_message(name):
    from mnist_models.reading.classifier import Classifier, UnknownModelError

    with pytest.raises(UnknownModelError, match="Choose one of: softmax, mlp") as caught:
        Classifier("cpu").model(name)
    assert len(str(caught.value)) < 120


def test_one_model_is_named_by_a_string_and_several_by_a_list(classifier, tmp_path):
    from tests.conftest import draw_digit

    path = tmp_path / "my_digit.png"
    draw_digit(7).save(path)
    assert list(classifier.read(str(path), "mlp", source="image")) == ["mlp"]
    both = classifier.read(str(path), ["softmax", "mlp"], source="image")
    assert list(both) == ["softmax", "mlp"] and both["mlp"].digit == 7


def test_the_default_source_is_an_image_and_only_the_pad_decodes_a_data_url(classifier, tmp_path):
    from mnist_models.reading.preprocess import DrawingError
    from tests.conftest import draw_digit, pad_value

    assert classifier.read(draw_digit(7), "mlp")["mlp"].digit == 7  # a PIL image
    on_paper = np.asarray(draw_digit(7, background="white").convert("L"))
    assert classifier.read(on_paper, "mlp")["mlp"].digit == 7  # an array: dark ink on light paper
    url = pad_value(draw_digit(7))
    assert classifier.read(url, "mlp", source="pad")["mlp"].digit == 7
    with pytest.raises(DrawingError):
        classifier.read(url, "mlp")  # read as a file name, which it is not
