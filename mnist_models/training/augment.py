"""Batched data augmentation so the models survive real drawings.

Every image gets its own random affine map (rotation, shear, scale, shift) and its own stroke
thickness change, in one batched ``affine_grid``/``grid_sample`` call. torchvision's
``transforms.v2.RandomAffine`` draws one set of parameters per call, so applying it per
sample means a Python loop over every image of every epoch, which on a CPU cost more than
training the MLP itself; the batched form is a small part of a training step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AugmentConfig:
    max_rotation_deg: float = 12.0
    max_shear_deg: float = 10.0
    scale_range: tuple[float, float] = (0.88, 1.12)
    max_shift_px: float = 2.0
    # Probabilities of thickening and of thinning the strokes; the amount is drawn uniformly.
    thicken_prob: float = 0.25
    thin_prob: float = 0.25
    # Elastic distortion (Simard et al. 2003): a random displacement field, smoothed by a
    # Gaussian of this many pixels and scaled to this many pixels; 0 turns it off.
    elastic_sigma: float = 4.0
    elastic_alpha: float = 0.0

    @property
    def has_affine(self) -> bool:
        return bool(
            self.max_rotation_deg
            or self.max_shear_deg
            or self.max_shift_px
            or self.scale_range != (1.0, 1.0)
            or self.elastic_alpha
        )


# Only stroke thickness: for the linear model, whose single template per digit cannot absorb
# shifts and rotations (they cost it MNIST accuracy) but gains a lot on drawn strokes.
THICKNESS_ONLY = AugmentConfig(
    max_rotation_deg=0.0, max_shear_deg=0.0, scale_range=(1.0, 1.0), max_shift_px=0.0, thicken_prob=0.2, thin_prob=0.2
)


def _uniform(n: int, low: float, high: float, generator: torch.Generator, device) -> torch.Tensor:
    return torch.rand(n, generator=generator, device=device) * (high - low) + low


def random_affine(x: torch.Tensor, generator: torch.Generator, config: AugmentConfig) -> torch.Tensor:
    """Apply an independent random affine map to each image of ``x`` (N, 1, 28, 28)."""
    n, device = x.shape[0], x.device
    angle = torch.deg2rad(_uniform(n, -config.max_rotation_deg, config.max_rotation_deg, generator, device))
    shear = torch.tan(torch.deg2rad(_uniform(n, -config.max_shear_deg, config.max_shear_deg, generator, device)))
    scale = _uniform(n, *config.scale_range, generator, device)
    # affine_grid works in normalised coordinates where the image spans [-1, 1].
    shift = _uniform(2 * n, -config.max_shift_px, config.max_shift_px, generator, device).view(n, 2) * (2 / 28)
    cos, sin = torch.cos(angle), torch.sin(angle)
    # The grid maps output to input coordinates, so this is the inverse of the drawn transform.
    theta = torch.zeros(n, 2, 3, device=device)
    theta[:, 0, 0] = (cos + shear * sin) / scale
    theta[:, 0, 1] = (-sin + shear * cos) / scale
    theta[:, 1, 0] = sin / scale
    theta[:, 1, 1] = cos / scale
    theta[:, :, 2] = shift
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    if config.elastic_alpha:
        grid = grid + elastic_field(n, generator, config, device)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def elastic_field(n: int, generator: torch.Generator, config: AugmentConfig, device) -> torch.Tensor:
    """Per-image smooth random displacements (N, 28, 28, 2) in affine_grid's units."""
    noise = torch.rand(n * 2, 1, 28, 28, generator=generator, device=device) * 2 - 1
    radius = int(3 * config.elastic_sigma)
    offsets = torch.arange(-radius, radius + 1, device=device, dtype=torch.float32)
    kernel = torch.exp(-(offsets**2) / (2 * config.elastic_sigma**2))
    kernel = kernel / kernel.sum()
    # A separable Gaussian blur, then scaled so the field's typical size is elastic_alpha pixels.
    field = F.conv2d(noise, kernel.view(1, 1, 1, -1), padding=(0, radius))
    field = F.conv2d(field, kernel.view(1, 1, -1, 1), padding=(radius, 0))
    field = field / field.flatten(1).std(1).clamp(min=1e-6).view(-1, 1, 1, 1)
    return (field * config.elastic_alpha * (2 / 28)).view(n, 2, 28, 28).permute(0, 2, 3, 1)


def random_thickness(x: torch.Tensor, generator: torch.Generator, config: AugmentConfig) -> torch.Tensor:
    """Thicken or thin each image's strokes by a random fraction of one pixel.

    Drawn strokes vary far more in width than MNIST's pen strokes; blending an image with its
    3x3 dilation (or erosion) gives a continuous range of widths.
    """
    n, device = x.shape[0], x.device
    dilated = F.max_pool2d(x, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-x, 3, stride=1, padding=1)
    amount = torch.rand(n, 1, 1, 1, generator=generator, device=device)
    choice = torch.rand(n, 1, 1, 1, generator=generator, device=device)
    thick = choice < config.thicken_prob
    thin = (choice >= config.thicken_prob) & (choice < config.thicken_prob + config.thin_prob)
    target = torch.where(thick, dilated, torch.where(thin, eroded, x))
    return x + amount * (target - x)


def augment_batch(x: torch.Tensor, generator: torch.Generator, config: AugmentConfig = AugmentConfig()) -> torch.Tensor:
    """The training-time augmentation: per-image stroke thickness, then a per-image affine map."""
    x = random_thickness(x, generator, config)
    if config.has_affine:
        x = random_affine(x, generator, config)
    return x.clamp_(0.0, 1.0)


__all__ = ["AugmentConfig", "augment_batch", "random_affine", "random_thickness"]


AUGMENTATIONS: dict[str, AugmentConfig | None] = {"none": None, "thickness": THICKNESS_ONLY, "full": AugmentConfig()}
