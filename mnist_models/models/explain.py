"""Looking inside the trained models, for teaching: what they weigh, what they look at, how they did.

Plain numbers - templates, contributions, occlusion, activations - as NumPy
arrays; ``pictures`` draws them for a screen.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mnist_models.models.networks import MLP, SoftmaxRegression, digit_logits

SIDE = 28


def as_batch(image: np.ndarray) -> torch.Tensor:
    """A 28x28 float image (ink 1.0, paper 0.0) as a (1, 784) tensor in the models' input contract."""
    image = np.asarray(image, dtype=np.float32)
    if image.shape != (SIDE, SIDE):
        raise ValueError(f"expected a 28x28 image, got shape {image.shape}")
    return torch.from_numpy(image.reshape(1, -1).copy())


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


@torch.inference_mode()
def logits(model: nn.Module, image: np.ndarray) -> np.ndarray:
    """The model's ten digits' logits for one 28x28 image."""
    return digit_logits(model(as_batch(image).to(_device(model)))).float().cpu().numpy()[0]


def softmax_templates(model: SoftmaxRegression) -> np.ndarray:
    """The weight rows as 28x28 templates, (10, 28, 28), or (11, 28, 28) with the "not a digit"
    template last: a class's logit is its template dotted with the image, plus its bias."""
    return model.linear.weight.detach().float().cpu().numpy().reshape(-1, SIDE, SIDE)


def softmax_bias(model: SoftmaxRegression) -> np.ndarray:
    return model.linear.bias.detach().float().cpu().numpy()


def first_layer_templates(model: nn.Module) -> np.ndarray:
    """The first ten rows of the model's first layer as 28x28 templates, (10, 28, 28): the softmax's
    ten digit templates, or what the MLP's first ten first-layer units look for."""
    first = next(m for m in model.modules() if isinstance(m, nn.Linear))
    return first.weight.detach()[:10].float().cpu().numpy().reshape(10, SIDE, SIDE).copy()


def softmax_contributions(model: SoftmaxRegression, image: np.ndarray, digit: int) -> np.ndarray:
    """Each pixel's share of ``digit``'s logit (weight x ink), 28x28; it sums to the logit minus the bias."""
    return softmax_templates(model)[digit] * np.asarray(image, dtype=np.float32)


@torch.inference_mode()
def occlusion_map(model: nn.Module, image: np.ndarray, digit: int, patch: int = 3) -> np.ndarray:
    """How much the evidence for ``digit`` falls when a ``patch`` x ``patch`` square of paper covers
    each pixel, 28x28 (positive: that spot was evidence for the digit).

    Evidence is measured as log-odds, log p / (1 - p): a confident model's probability barely moves
    when one spot is covered, its log-odds still do. All 784 covered copies go through in one batch.
    """
    image = np.asarray(image, dtype=np.float32)
    half = patch // 2
    covered = np.repeat(image[None], SIDE * SIDE, axis=0)
    for index in range(SIDE * SIDE):
        y, x = divmod(index, SIDE)
        covered[index, max(0, y - half) : y + half + 1, max(0, x - half) : x + half + 1] = 0.0
    batch = torch.from_numpy(np.concatenate([image[None], covered]).reshape(-1, SIDE * SIDE))
    log_p = digit_logits(model(batch.to(_device(model)))).float().log_softmax(1)[:, digit].cpu()
    log_odds = (log_p - torch.log1p(-log_p.exp().clamp(max=1 - 1e-7))).numpy()
    return (log_odds[0] - log_odds[1:]).reshape(SIDE, SIDE)


@torch.inference_mode()
def hidden_activations(model: MLP, image: np.ndarray) -> list[np.ndarray]:
    """Each hidden layer's output (after ReLU) for one image, as 1-D arrays."""
    return [a.float().cpu().numpy()[0] for a in model.hidden_activations(as_batch(image).to(_device(model)))]
