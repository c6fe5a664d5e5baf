"""What the GPU paths need, held on a CPU: a GPU function's arguments are copies, so that sending
them to the worker (torch moves a tensor's storage into shared memory as it pickles it) leaves the
Test set tab's pictures and the shipped model as they were; what a GPU function returns holds no
CUDA tensor; a fine-tune's accuracy compares its answers and labels on one device."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from demo import gpu
from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.evaluation.predictions import TestSetPredictions
from mnist_models.models.networks import digit_logits
from mnist_models.training.fine_tuning import accuracy, fine_tune
from mnist_models.training.live import train_live


def small_split(count: int = 300, seed: int = 0) -> MNISTSplit:
    rng = np.random.default_rng(seed)
    images = torch.from_numpy(rng.integers(0, 256, (count, 28, 28), dtype=np.uint8))
    return MNISTSplit(images, torch.from_numpy(rng.integers(0, 10, count)), f"made-up-{seed}")


def received(value) -> object:
    """``value`` as a GPU function's worker gets it: through a multiprocessing queue, pickled by torch."""
    context = mp.get_context("fork")
    queue, answer = context.Queue(), context.Queue()

    def worker() -> None:
        answer.put(type(queue.get()).__name__)

    process = context.Process(target=worker)
    process.start()
    queue.put(value)
    got = answer.get(timeout=60)
    process.join(timeout=60)
    return got


def test_sending_a_split_to_a_gpu_function_leaves_the_test_set_tab_s_pictures_as_they_were(classifier):
    split = small_split()
    shown = TestSetPredictions.compute(split, classifier.models)  # NumPy views of the split's tensors
    before = shown.images.copy()
    assert received(gpu.sendable(split)) == "MNISTSplit"
    assert not split.images.is_shared() and not split.labels.is_shared()  # the server's own stay put
    np.testing.assert_array_equal(shown.images, before)

    # What the copy guards against: the live tensors, sent as they are, are moved.
    exposed = small_split(seed=1)
    received(exposed)
    assert exposed.images.is_shared()


def test_the_shipped_model_is_never_the_one_sent(classifier):
    shipped = classifier.model("mlp")
    sent = gpu.sendable(shipped)
    assert sent is not shipped
    received(sent)
    assert not any(p.is_shared() for p in shipped.parameters())
    assert gpu.sendable(None) is None
    with pytest.raises(TypeError):
        gpu.sendable([1, 2, 3])


def no_cuda_tensor(value) -> bool:
    """Whether nothing in ``value`` (a result, a snapshot: dataclasses, dicts, lists, modules)
    lives on a GPU: the server that unpickles it may have none."""
    if isinstance(value, torch.Tensor):
        return value.device.type == "cpu"
    if isinstance(value, torch.nn.Module):
        return all(t.device.type == "cpu" for t in [*value.parameters(), *value.buffers()])
    if isinstance(value, dict):
        return all(no_cuda_tensor(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(no_cuda_tensor(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return all(no_cuda_tensor(getattr(value, name)) for name in value.__dataclass_fields__)
    return True


def test_what_a_gpu_function_returns_pickles_with_no_cuda_tensor_in_it(classifier):
    from tests.test_classwall import swapped_wall

    result = fine_tune(classifier.model("mlp"), "mlp", swapped_wall(classifier, 12), max_steps=2, duty=1.0)
    assert no_cuda_tensor(result) and pickle.loads(pickle.dumps(result)).steps == 2
    snapshots = list(train_live(small_split(), small_split(120, seed=2), "softmax", 1, 200, max_seconds=30))
    assert snapshots and all(no_cuda_tensor(s) for s in snapshots)
    pickle.loads(pickle.dumps(snapshots[-1]))


def test_a_fine_tune_s_accuracy_takes_labels_from_any_device(classifier):
    model = classifier.model("softmax")
    images = small_split(50).as_float()
    labels = torch.from_numpy(np.asarray(digit_logits(model(images)).argmax(1)))
    # Answers come back on the CPU whatever the model's device; labels on another device are
    # brought to them, not compared across devices ("Expected all tensors to be on the same device").
    moved = []

    class Elsewhere(torch.Tensor):
        def to(self, *args, **kwargs):
            moved.append(args[0] if args else kwargs.get("device"))
            return torch.Tensor(self).to(*args, **kwargs)

    assert accuracy(model, images, labels.as_subclass(Elsewhere)) == 1.0
    assert moved == [torch.device("cpu")]


@pytest.mark.cuda
def test_a_fine_tune_runs_on_cuda(classifier):
    if not torch.cuda.is_available():
        pytest.skip("no CUDA GPU on this machine")
    from tests.test_classwall import swapped_wall

    result = fine_tune(classifier.model("mlp"), "mlp", swapped_wall(classifier, 12), max_steps=5, device="cuda")
    assert result.steps == 5 and result.device.startswith("CUDA") and no_cuda_tensor(result)


def test_a_generator_is_named_as_the_tensors_on_its_device_report_it():
    from mnist_models.device import generator_on

    assert generator_on("cpu", 3).device == torch.device("cpu")
    assert torch.equal(
        torch.randperm(10, generator=generator_on("cpu", 3)), torch.randperm(10, generator=generator_on("cpu", 3))
    )
    if torch.cuda.is_available():
        assert generator_on("cuda", 3).device == torch.zeros(1, device="cuda").device
