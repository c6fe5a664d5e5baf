"""The two models the tutorials teach.

Input contract (stable; the app, the tests and outside checks rely on it): a float tensor of
shape (N, 1, 28, 28) or (N, 784) with ink = 1.0 and paper = 0.0 - MNIST pixels divided by 255,
no other normalisation outside the model. Output: logits of shape (N, 10), one a digit, or
(N, 11) for a model made with ``not_a_digit=True``, whose eleventh logit is "not a digit"
(``digit_logits`` gives the ten of either); softmax is applied by the loss (cross-entropy) or by
the caller, never inside the model.

A model made with ``deskew=True`` straightens the slant of every image it reads
(``mnist_models.models.deskew.deskew``) before its first layer, in training and serving alike; ``sees`` gives
that picture, for showing what the model reads.
"""

from __future__ import annotations

import torch
from torch import nn

from mnist_models.models.deskew import deskew as straighten

PIXELS = 28 * 28
CLASSES = 10


def digit_logits(logits: torch.Tensor) -> torch.Tensor:
    """The ten digits' logits of a model's output, (N, 10), with or without a "not a digit" logit."""
    return logits[:, :CLASSES]


def flatten_input(x: torch.Tensor) -> torch.Tensor:
    """Accept (N, 1, 28, 28), (N, 28, 28) or (N, 784); return (N, 784)."""
    x = x.reshape(x.shape[0], -1)
    if x.shape[1] != PIXELS:
        raise ValueError(f"expected 28x28 = 784 pixels per image, got {x.shape[1]}")
    return x


class DigitModel(nn.Module):
    """What both models share: the optional deskewing of their input, and the optional eleventh
    output, "not a digit"."""

    def __init__(self, deskew: bool = False, not_a_digit: bool = False) -> None:
        super().__init__()
        self.deskew = deskew
        self.not_a_digit = not_a_digit
        self.outputs = CLASSES + not_a_digit

    def sees(self, x: torch.Tensor) -> torch.Tensor:
        """The images as the model's first layer reads them, (N, 784): deskewed if the model is."""
        x = flatten_input(x)
        return straighten(x.reshape(-1, 28, 28)).reshape(-1, PIXELS) if self.deskew else x

    def reads(self, seen: torch.Tensor) -> torch.Tensor:
        """The logits (N, 10) or (N, 11) for images as ``sees`` gives them."""
        raise NotImplementedError

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.reads(self.sees(x))


class SoftmaxRegression(DigitModel):
    """Multinomial logistic regression: one linear map from 784 pixels to 10 logits, one template
    a digit; with ``not_a_digit=True`` an eleventh logit, "not a digit", with a template of its own."""

    def __init__(self, deskew: bool = False, not_a_digit: bool = False) -> None:
        super().__init__(deskew, not_a_digit)
        self.linear = nn.Linear(PIXELS, self.outputs)

    def reads(self, seen: torch.Tensor) -> torch.Tensor:
        return self.linear(seen)

    def roughness(self) -> torch.Tensor:
        """Sum of squared differences between neighbouring pixels' weights, over the templates (ten, or eleven).

        Added to the loss, it keeps each template smooth, so it still looks like a digit.
        """
        templates = self.linear.weight.view(-1, 28, 28)
        return templates.diff(dim=1).square().sum() + templates.diff(dim=2).square().sum()


class MLP(DigitModel):
    """A fully connected network with ReLU and dropout; by default tutorial 001's
    784-256-256-256-128-128-10 (the shipped model's sizes are in its metrics JSON's config).

    We add batch normalisation after each hidden linear layer: with it the same layer sizes
    train to a higher test accuracy in fewer epochs (docs/models.md, "What was tried").
    """

    TUTORIAL_SIZES = (256, 256, 256, 128, 128)

    def __init__(
        self,
        dropout: float = 0.2,
        batch_norm: bool = True,
        hidden_sizes: tuple[int, ...] = TUTORIAL_SIZES,
        deskew: bool = False,
        not_a_digit: bool = False,
    ) -> None:
        super().__init__(deskew, not_a_digit)
        self.hidden_sizes = tuple(hidden_sizes)
        layers: list[nn.Module] = []
        width = PIXELS
        for size in self.hidden_sizes:
            layers.append(nn.Linear(width, size, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size))
            layers += [nn.ReLU(), nn.Dropout(dropout)]
            width = size
        self.hidden = nn.Sequential(*layers)
        self.out = nn.Linear(width, self.outputs)

    def reads(self, seen: torch.Tensor) -> torch.Tensor:
        return self.out(self.hidden(seen))

    def hidden_activations(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The output of each hidden block (after ReLU), for looking inside the network."""
        activations = []
        h = self.sees(x)
        for layer in self.hidden:
            h = layer(h)
            if isinstance(layer, nn.ReLU):
                activations.append(h)
        return activations
