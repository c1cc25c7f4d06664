"""2-D Gaussian mixtures: the ring and the grid, the standard mode-collapse testbed.

Used by VEEGAN and PacGAN and throughout this course: every sample comes with the mode
centres and the standard deviation, so that :func:`ganlab.metrics.mode_coverage` can score
a generator (how many modes it covers, how many of its samples are near a mode).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class Mixture2D:
    """An equal-weight mixture of isotropic 2-D Gaussians.

    Attributes:
        centers: (K, 2) mode centres.
        std: the standard deviation of every component.
    """

    centers: Tensor
    std: float

    def sample(
        self,
        n: int,
        *,
        generator: torch.Generator | None = None,
        device: str | torch.device | None = None,
    ) -> Tensor:
        """Draw ``n`` samples, shape (n, 2), on ``device`` (default: the centres' device)."""
        if n < 0:
            raise ValueError(f"number of samples must be >= 0, got {n}")
        device = self.centers.device if device is None else torch.device(device)
        centers = self.centers.to(device)
        mode = torch.randint(len(centers), (n,), generator=generator, device=device)  # (n,)
        noise = torch.randn(n, 2, generator=generator, device=device)  # (n, 2)
        return centers[mode] + self.std * noise

    def __call__(self, n: int, device: str | torch.device | None = None) -> Tensor:
        """Sampler interface of :class:`ganlab.training.Trainer`: ``n`` samples on ``device``."""
        return self.sample(n, device=device)


@dataclass(frozen=True)
class MixtureSamples:
    """Samples from a 2-D mixture together with what the mode-coverage metric needs."""

    samples: Tensor  # (n, 2)
    centers: Tensor  # (K, 2)
    std: float


def ring_mixture(k: int = 8, radius: float = 2.0, std: float = 0.02) -> Mixture2D:
    """A ring of ``k`` Gaussians at angles 2πj/k, j = 0..k-1 (no duplicated endpoint)."""
    if k < 1:
        raise ValueError(f"a ring needs at least one mode, got k={k}")
    _check_positive(radius=radius, std=std)
    angles = 2 * math.pi * torch.arange(k, dtype=torch.float64) / k
    centers = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    return Mixture2D(centers.float(), float(std))


def grid_mixture(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> Mixture2D:
    """A ``side`` × ``side`` grid of Gaussians centred on the origin, ``spacing`` apart."""
    if side < 1:
        raise ValueError(f"a grid needs side >= 1, got {side}")
    _check_positive(spacing=spacing, std=std)
    ticks = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    centers = torch.cartesian_prod(ticks, ticks)  # (side², 2)
    return Mixture2D(centers, float(std))


def ring(
    n: int,
    k: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> MixtureSamples:
    """``n`` samples from a ring of ``k`` Gaussians, with its centres and std."""
    mixture = ring_mixture(k, radius, std)
    samples = mixture.sample(n, generator=generator, device=device)
    return MixtureSamples(samples, mixture.centers.to(samples.device), mixture.std)


def grid(
    n: int,
    side: int = 5,
    spacing: float = 2.0,
    std: float = 0.05,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> MixtureSamples:
    """``n`` samples from a ``side`` × ``side`` grid of Gaussians, with its centres and std."""
    mixture = grid_mixture(side, spacing, std)
    samples = mixture.sample(n, generator=generator, device=device)
    return MixtureSamples(samples, mixture.centers.to(samples.device), mixture.std)


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")
