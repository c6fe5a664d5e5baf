"""mnist_models/limits.py: token buckets that take an amount, and the newest few kept per key."""

from __future__ import annotations

import json
import math
import shutil

import pytest

from mnist_models.limits import NewestPerKey, TokenBuckets
from mnist_models.models.checkpoints import WEIGHTS_DIR, WeightsError, load_metrics


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_spends_an_amount_and_says_when_it_will_have_it():
    clock = Clock()
    buckets = TokenBuckets(rate_per_s=10, burst=100, clock=clock)
    assert buckets.take("a", 60) == 0.0
    assert buckets.take("a", 60) == pytest.approx(2.0)  # 40 left: 20 more at 10 a second
    assert buckets.take("b", 60) == 0.0  # another key has its own
    clock.now = 2.0
    assert buckets.take("a", 60) == 0.0
    assert math.isinf(buckets.take("a", 101))  # more than a full bucket never comes


def test_newest_per_key_drops_the_oldest_of_a_key_then_of_all():
    kept = NewestPerKey(per_key=2, total=3)
    assert kept.add("a1", "a") == []
    assert kept.add("a2", "a") == []
    assert kept.add("a3", "a") == ["a1"]
    assert kept.add("a2", "a") == []  # added again: now the newest of its key
    assert kept.add("b1", "b") == []
    assert kept.add("c1", "c") == ["a3"]  # three in all: the oldest goes
    assert "a2" in kept and "a3" not in kept and len(kept) == 3
    assert kept.remove("b1") and not kept.remove("b1")


@pytest.mark.parametrize("text", ['{"test_accuracy": 0.9,', "[1, 2]", '{"config": {}}', "\\udcff"])
def test_a_broken_metrics_file_gets_a_message_that_says_what_to_do(tmp_path, text):
    for path in WEIGHTS_DIR.iterdir():
        shutil.copy(path, tmp_path)
    (tmp_path / "mlp.json").write_text(text, encoding="utf-8", errors="surrogateescape")
    with pytest.raises(WeightsError, match="mlp.json") as error:
        load_metrics("mlp", tmp_path)
    assert "python -m mnist_models.training --model mlp" in str(error.value)
    assert json.loads((tmp_path / "softmax.json").read_text())["model"] == "softmax"
    assert load_metrics("softmax", tmp_path)["model"] == "softmax"
