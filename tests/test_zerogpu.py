"""The app on a ZeroGPU Space, with the real ``spaces`` package in the mode it runs in there
(``SPACES_ZERO_GPU=true``), against a stand-in for Hugging Face's device API
(tests/zerogpu_device_api.py) on a loopback port.

On a machine without a GPU, the GPU functions' forked worker runs on the CPU
(tests/zerogpu_cpu_worker.py: the package's CUDA start-up is skipped, nothing else); with a GPU at hand the
same tests run them for real and the page names it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta

import pytest
import torch

from demo import gpu
from demo.language import translations
from mnist_models.datasets.mnist import MNISTSplit
from mnist_models.device import device_in_gpu_function
from mnist_models.reading.classifier import Classifier
from mnist_models.training.live import MAX_SECONDS, train_live
from tests.conftest import draw_digit, pad_value, png_bytes
from tests.live_app import ROOT, GradioHTTP, event_of, running_app, start_class
from tests.zerogpu_device_api import ZeroGPUDeviceAPI

pytestmark = pytest.mark.app
SEVEN = png_bytes(draw_digit(7))
HAS_GPU = torch.cuda.is_available()
# How Spaces starts the app; without a GPU, the GPU functions' worker runs on the CPU.
SPACES_COMMAND = [sys.executable, "demo/app.py"]
WORKER_COMMAND = SPACES_COMMAND if HAS_GPU else [sys.executable, "tests/zerogpu_cpu_worker.py", "demo/app.py"]


@pytest.fixture(scope="module")
def device_api():
    with ZeroGPUDeviceAPI() as api:
        yield api


def zerogpu_env(api: ZeroGPUDeviceAPI, tmp_path) -> dict:
    # MNIST_DEVICE empty: the app decides where it reads, as on a Space.
    return {**api.env(), "ZEROGPU_OFFLOAD_DIR": str(tmp_path / "offload"), "MNIST_DEVICE": ""}


def test_on_zerogpu_the_app_starts_as_spaces_starts_it_and_reads_on_the_cpu(device_api, tmp_path):
    device_api.reset()
    with running_app(SPACES_COMMAND, zerogpu_env(device_api, tmp_path)) as url:
        # The package reports at launch only when functions are decorated: ours are registered.
        assert device_api.startup_reports == 1
        http = GradioHTTP(url)
        event, [result] = http.classify(SEVEN)
        assert event == "complete" and result["prediction"] == 7
        assert result["device"] == "CPU"  # not the "CUDA: NVIDIA H200" torch.cuda claims there
        page = str(http.config())
        assert "Running on **CPU**" in page and "a GPU ZeroGPU attaches for each job" in page
        http.close()
    assert device_api.schedules == []  # no drawing asked for a GPU


def test_the_gpu_functions_are_registered_with_the_package_and_are_plain_functions_elsewhere(device_api, tmp_path):
    script = (
        "import spaces.zero.decorator as d, demo.gpu as g; "
        "print(sorted(f.__name__ for f in (g.train_live_on_gpu, g.fine_tune_on_gpu) if f in d.decorated_cache))"
    )
    env = {**os.environ, **zerogpu_env(device_api, tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[-2] == "['fine_tune_on_gpu', 'train_live_on_gpu']", out.stderr[-2000:]
    # In this process (no SPACES_ZERO_GPU) the decorator changed nothing.
    assert not hasattr(gpu.train_live_on_gpu, "zerogpu") and not hasattr(gpu.fine_tune_on_gpu, "zerogpu")


@pytest.fixture(scope="module")
def zerogpu_app(device_api, tmp_path_factory):
    """The app as a ZeroGPU Space runs it, its GPU functions' worker as described above."""
    env = {**zerogpu_env(device_api, tmp_path_factory.mktemp("zerogpu")), "MNIST_TRAINING_SECONDS": "20"}
    env["MNIST_FORWARDED_HOPS"] = "1"  # students' addresses as a Space's proxy passes them on
    with running_app(WORKER_COMMAND, env) as url:
        yield url


def train_start(http: GradioHTTP, session: str, settings: list) -> dict:
    """Open the classroom for ``session`` and start a live training with ``settings``; the
    completed event."""
    key = start_class(http, f"{session}-start")
    config = http.open_page("classroom", session, key)
    start = event_of(config, "train-start", "click")
    return http.event(start["id"], [*settings, key], start["trigger"], session)


@pytest.mark.mnist
def test_a_live_training_runs_in_a_gpu_function_that_reserves_what_its_job_needs(device_api, zerogpu_app):
    device_api.reset()
    http = GradioHTTP(zerogpu_app, timeout_s=120)
    completed = train_start(http, "teacher", ["softmax", 1, 5_000])
    message = completed["output"]["data"][0]
    assert completed["success"] and message.startswith("Done: softmax regression, 5,000 images"), message
    assert ("on CUDA: " if HAS_GPU else "on CPU") in message  # the device seen inside the GPU function
    [schedule] = device_api.schedules
    assert schedule.duration_seconds == gpu.live_training_duration(None, None, "softmax", 1, 5_000, 20)
    assert schedule.duration_seconds < 60  # computed from the job, not the package's default
    device_api.wait_for("/release")
    event, [result] = http.classify(SEVEN)
    assert event == "complete" and result["device"] == "CPU"
    http.close()


@pytest.mark.mnist
@pytest.mark.parametrize(
    "outcome, language, expected",
    [
        ("quota-exceeded", "en-US", "No GPU time is left today"),
        ("quota-exceeded", "ko-KR", "GPU 시간이 남지 않았습니다"),
        ("no-gpu", "en-US", "No GPU was free"),
        ("queue-timeout", "ko-KR", "빈 GPU가 없습니다"),
    ],
)
def test_a_zerogpu_failure_is_told_in_the_visitors_language_and_the_app_keeps_serving(
    device_api, zerogpu_app, outcome, language, expected
):
    device_api.reset()
    device_api.answer_schedule(outcome, wait=timedelta(minutes=3))
    # A visitor's request as it reaches a Space: with the proxy's IP token, so the quota is theirs.
    token = "eyJhbGciOiJub25lIn0.eyJpcCI6IjIwMy4wLjExMy43In0.c2ln"
    http = GradioHTTP(zerogpu_app, timeout_s=120, headers={"accept-language": language, "x-ip-token": token})
    try:
        message = train_start(http, f"teacher-{outcome}-{language}", ["softmax", 1, 5_000])["output"]["data"][0]
        assert expected in message, message
        if outcome == "quota-exceeded":
            assert "0:03:00" in message  # the retry time the package gave
        event, [result] = http.classify(SEVEN)
        assert event == "complete" and result["prediction"] == 7
    finally:
        device_api.reset()
        http.close()


@pytest.mark.mnist
def test_a_fine_tune_that_cannot_get_a_gpu_says_so_and_runs_on_the_cpu_when_asked(device_api, zerogpu_app):
    device_api.reset()
    http = GradioHTTP(zerogpu_app, timeout_s=120)
    key = start_class(http, "fine-tuning-teacher-start")
    meant = event_of(http.config(), "meant", "input")
    pad = pad_value(draw_digit(7))
    for student in range(3):  # a student sends at most a few in a row
        for _ in range(4):
            phone = {"x-forwarded-for": f"198.51.100.{student + 1}"}  # each student's own address
            sent = http.event(
                meant["id"], [pad, "7", key["code"]], meant["trigger"], f"student-{student}", headers=phone
            )
            assert "On the class wall" in str(sent["output"]["data"][1]), sent
    config = http.open_page("classroom", "teacher", key)
    device_api.answer_schedule("no-gpu")
    on_gpu, on_cpu = event_of(config, "fine-tune", "click"), event_of(config, "fine-tune-cpu", "click")
    message = http.event(on_gpu["id"], [key, "softmax"], on_gpu["trigger"], "teacher")["output"]["data"][0]
    assert "No GPU was free" in message and "fine-tune on the CPU" in message, message
    message = http.event(on_cpu["id"], [key, "softmax"], on_cpu["trigger"], "teacher")["output"]["data"][0]
    assert "Copy of softmax regression: fine-tuned" in message and "on CPU" in message, message
    assert len(device_api.schedules) == 1  # the CPU run asked for no GPU
    device_api.reset()
    http.close()


def test_each_gpu_function_reserves_a_duration_computed_from_its_job():
    small = gpu.live_training_duration(None, None, "softmax", 1, 5_000, MAX_SECONDS)
    large = gpu.live_training_duration(None, None, "mlp", 5, 60_000, MAX_SECONDS)
    assert gpu.STARTUP_SECONDS < small < large <= gpu.STARTUP_SECONDS + MAX_SECONDS
    assert gpu.live_training_duration(None, None, "mlp", 5, 60_000, 20) == gpu.STARTUP_SECONDS + 20  # the limit holds
    assert gpu.fine_tune_duration(None, "mlp", [], None, None) < 60


@pytest.mark.cuda
def test_on_a_machine_with_a_gpu_reading_and_training_use_it_and_the_page_names_it(monkeypatch):
    monkeypatch.delenv("MNIST_DEVICE", raising=False)
    classifier = Classifier()
    assert classifier.device.type == "cuda" and classifier.device_label.startswith("CUDA: ")
    assert classifier.read(SEVEN, ["mlp"], source="image")["mlp"].device == classifier.device_label
    generator = torch.Generator().manual_seed(0)
    split = MNISTSplit((torch.rand(300, 28, 28, generator=generator) * 255).to(torch.uint8), torch.arange(300) % 10, "")
    snapshots = list(train_live(split, split, "mlp", epochs=1, subset=200, device=device_in_gpu_function()))
    assert snapshots[-1].state == "finished" and snapshots[-1].device == classifier.device_label
    page = translations(classifier.metrics, classifier.device_label)
    assert f"Running on **{classifier.device_label}**" in str(page.translations["en"]["page_end"])
