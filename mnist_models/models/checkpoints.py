"""Saving and loading trained weights (safetensors, never pickle) with their metrics JSON.

Each model ``NAME`` is stored as ``NAME.safetensors`` beside ``NAME.json``; the JSON records
the weights' sha256, so a corrupt or swapped file is caught when it is loaded.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file
from torch import nn

from mnist_models.device import pick_device
from mnist_models.models.networks import MLP, SoftmaxRegression

WEIGHTS_DIR = Path(__file__).resolve().parents[1] / "weights"  # mnist_models/weights

MODEL_CLASSES: dict[str, type[nn.Module]] = {"softmax": SoftmaxRegression, "mlp": MLP}
MODEL_NAMES = tuple(MODEL_CLASSES)
# What the app reads from a model's metrics file; training always writes them.
METRICS_KEYS = (
    "weights_sha256",
    "config",
    "parameters",
    "test_accuracy",
    "per_class_accuracy",
    "confusion_matrix",
    "curves",
)


class WeightsError(RuntimeError):
    """Shipped weights are missing, corrupt, or do not match their metrics."""


def build_model(name: str, **config) -> nn.Module:
    """A fresh, untrained model by registry name ("softmax" or "mlp")."""
    if name not in MODEL_CLASSES:
        raise KeyError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    return MODEL_CLASSES[name](**config)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_checkpoint(model: nn.Module, name: str, metrics: dict, out_dir: str | Path) -> Path:
    """Write ``NAME.safetensors`` and ``NAME.json`` (metrics plus the weights' sha256)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    weights_path = out_dir / f"{name}.safetensors"
    state = {key: value.detach().cpu().contiguous() for key, value in model.state_dict().items()}
    save_file(state, str(weights_path), metadata={"model": name})
    metrics = {**metrics, "model": name, "weights_file": weights_path.name, "weights_sha256": file_sha256(weights_path)}
    (out_dir / f"{name}.json").write_text(json.dumps(metrics, indent=1) + "\n")
    return weights_path


def load_metrics(name: str, weights_dir: str | Path | None = None) -> dict:
    """The metrics JSON shipped with model ``name``."""
    path = Path(weights_dir or WEIGHTS_DIR) / f"{name}.json"
    if name not in MODEL_CLASSES:
        raise KeyError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")
    if not path.is_file():
        raise WeightsError(f"{path} is missing: train the model with `python -m mnist_models.training --model {name}`")
    try:
        metrics = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WeightsError(
            f"{path} is not valid JSON ({error}): restore it with `git checkout -- {path.name}` in its folder, "
            f"or train the model again with `python -m mnist_models.training --model {name}`"
        ) from None
    missing = [key for key in METRICS_KEYS if key not in metrics] if isinstance(metrics, dict) else list(METRICS_KEYS)
    if missing:
        raise WeightsError(
            f"{path} lacks {', '.join(missing)}: it is not the metrics file that training writes; "
            f"train the model again with `python -m mnist_models.training --model {name}`"
        )
    return metrics


def load_model(name: str, device: torch.device | str | None = None, weights_dir: str | Path | None = None) -> nn.Module:
    """Model ``name`` with its trained weights, in eval mode, on ``device`` (default: ``pick_device()``)."""
    metrics = load_metrics(name, weights_dir)
    path = Path(weights_dir or WEIGHTS_DIR) / f"{name}.safetensors"
    if not path.is_file():
        raise WeightsError(f"{path} is missing: train the model with `python -m mnist_models.training --model {name}`")
    digest = file_sha256(path)
    if digest != metrics["weights_sha256"]:
        raise WeightsError(
            f"{path} is corrupt or was replaced: its sha256 is {digest[:12]}..., "
            f"but {name}.json records {metrics['weights_sha256'][:12]}..."
        )
    model = build_model(name, **metrics.get("config", {}))
    model.load_state_dict(load_file(str(path)))
    device = pick_device(device) if not isinstance(device, torch.device) else device
    return model.to(device).eval()
