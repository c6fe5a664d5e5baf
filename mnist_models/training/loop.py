"""The training loop every training shares: the shipped models', the live training in front of a
class, and the class wall's fine-tuning. ``train_steps`` yields after each optimiser step, so the
caller decides when to measure and when to stop."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from mnist_models.training.augment import AUGMENTATIONS, augment_batch
from mnist_models.training.recipes import Recipe

# The label of a training image that is not a digit: its target is equal probabilities for all ten
# digits, or the eleventh output of a model that has one.
NOT_A_DIGIT = -1


def loss_fn(logits: torch.Tensor, labels: torch.Tensor, kind: str, weights: torch.Tensor | None = None) -> torch.Tensor:
    """The batch's mean loss, or its ``weights``-weighted mean (one weight per image).

    A digit's target is its one-hot vector. A non-digit's (label NOT_A_DIGIT) is, for a model with
    ten outputs, 1/10 for every digit, so cross-entropy against it is the mean of -log p over the
    ten (outlier exposure); for a model with an eleventh output, "not a digit", that output.
    """
    digit = labels != NOT_A_DIGIT
    outputs = logits.shape[1]
    if outputs == 10:
        other = torch.full_like(logits, 0.1)
    else:
        other = F.one_hot(torch.full_like(labels, outputs - 1), outputs).float()
    target = torch.where(digit[:, None], F.one_hot(labels.clamp(min=0), outputs).float(), other)
    if kind == "cross_entropy":
        losses = -(target * logits.log_softmax(1)).sum(1)
    elif kind == "mse":
        losses = (logits.softmax(1) - target).square().mean(1)
    else:
        raise ValueError(f"unknown loss {kind!r}")
    return losses.mean() if weights is None else (losses * weights).sum() / weights.sum()


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(
            model.parameters(), lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay
        )
    if recipe.optimizer == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=recipe.lr, weight_decay=recipe.weight_decay)
    raise ValueError(f"unknown optimizer {recipe.optimizer!r}")


@dataclass(frozen=True)
class Step:
    """One optimiser step of ``train_steps``: where in the training it is, and how its batch went."""

    epoch: int  # from 0
    batch: int  # from 1, within the epoch
    batches: int  # per epoch
    size: int  # images in the batch
    loss: torch.Tensor  # the batch's loss (with any smoothness penalty), detached, on the device
    correct: torch.Tensor  # how many of the batch's digits the model read right before this step, on the device

    @property
    def epochs_done(self) -> float:
        return self.epoch + self.batch / self.batches

    @property
    def ends_epoch(self) -> bool:
        return self.batch == self.batches


def train_steps(
    model: nn.Module,
    recipe: Recipe,
    images: torch.Tensor,
    labels: torch.Tensor,
    generator: torch.Generator,
    weights: torch.Tensor | None = None,
) -> Iterator[Step]:
    """Train ``model`` in place on ``images`` (N, 1, 28, 28, in the input contract) and their
    ``labels`` as ``recipe`` says, yielding after every optimiser step. With ``weights`` (N,) each
    image counts that much in the loss.

    ``generator`` draws each epoch's order and the augmentation; it, the model and the tensors share
    one device. The model is left in training mode. A new or a trained model, any images: the caller
    evaluates between steps as often as it likes, and ends the training early by leaving the loop -
    a budget of steps or of seconds:

        for step in train_steps(model, recipe, images, labels, generator):
            if time.perf_counter() > deadline:
                break
    """
    optimizer = make_optimizer(model, recipe)
    batches = -(-len(labels) // recipe.batch_size)
    scheduler = (
        torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=recipe.epochs * batches)
        if recipe.schedule == "cosine"
        else None
    )
    augmentation = AUGMENTATIONS[recipe.augment]
    for epoch in range(recipe.epochs):
        model.train()
        order = torch.randperm(len(labels), generator=generator, device=images.device)
        for batch, i in enumerate(range(0, len(labels), recipe.batch_size), start=1):
            index = order[i : i + recipe.batch_size]
            x, y = images[index], labels[index]
            if augmentation is not None:
                x = augment_batch(x, generator, augmentation)
            logits = model(x)
            loss = loss_fn(logits, y, recipe.loss, None if weights is None else weights[index])
            if recipe.smoothness:
                loss = loss + recipe.smoothness * model.roughness()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            yield Step(
                epoch, batch, batches, len(y), loss.detach(), (logits.argmax(1) == y).sum()
            )  # a non-digit is never "right"
