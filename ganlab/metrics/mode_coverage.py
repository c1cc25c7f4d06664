"""Mode coverage on 2-D mixtures, the VEEGAN / PacGAN evaluation.

A generated sample is *high quality* if it lies within ``threshold`` standard deviations
of its nearest mode centre.  A mode is *covered* if it is the nearest mode of at least
``min_count`` high-quality samples.  PacGAN counts a mode as covered with 20 of 2500
samples, i.e. 0.8 %; by default we keep that fraction for any sample size:
``min_count = ceil(0.008 · N)`` (at least 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor

COVERED_FRACTION = 20 / 2500  # PacGAN: 20 high-quality samples out of 2500 cover a mode


@dataclass(frozen=True)
class ModeCoverage:
    """Result of :func:`mode_coverage`.

    Attributes:
        modes_covered: number of modes with at least ``min_count`` high-quality samples.
        high_quality: fraction of samples within ``threshold``·std of their nearest mode.
        counts: (K,) int64, high-quality samples per mode.
        min_count: the number of samples that made a mode covered.
    """

    modes_covered: int
    high_quality: float
    counts: Tensor
    min_count: int

    @property
    def num_modes(self) -> int:
        """K, the number of modes of the mixture."""
        return len(self.counts)

    def __str__(self) -> str:
        return (
            f"{self.modes_covered}/{self.num_modes} modes covered, "
            f"{100 * self.high_quality:.1f}% high-quality samples"
        )


def mode_coverage(
    samples: Tensor,
    centers: Tensor,
    std: float,
    threshold: float = 3.0,
    min_count: int | None = None,
) -> ModeCoverage:
    """Score 2-D samples against the modes of a Gaussian mixture.

    Args:
        samples: (N, D) generated samples.
        centers: (K, D) mode centres.
        std: the mixture components' standard deviation.
        threshold: a sample is high quality within ``threshold * std`` of its nearest mode.
        min_count: high-quality samples a mode needs to count as covered; default
            ``ceil(0.008 * N)`` (PacGAN's 20 of 2500), at least 1.

    Returns:
        A :class:`ModeCoverage`.
    """
    samples = torch.as_tensor(samples)
    centers = torch.as_tensor(centers, device=samples.device)
    if samples.ndim != 2 or centers.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(
            "expected samples (N, D) and centers (K, D) with the same D, got "
            f"{tuple(samples.shape)} and {tuple(centers.shape)}"
        )
    if len(centers) == 0:
        raise ValueError("centers is empty: a mixture needs at least one mode")
    if not std > 0 or not threshold > 0:
        raise ValueError(f"std and threshold must be > 0, got std={std}, threshold={threshold}")
    if len(samples) == 0:
        raise ValueError("samples is empty: draw at least one sample to measure coverage")
    if not torch.isfinite(samples).all():
        raise ValueError("samples contain NaN or inf; the generator has probably diverged")
    if min_count is None:
        min_count = max(1, math.ceil(COVERED_FRACTION * len(samples)))
    if min_count < 1:
        raise ValueError(f"min_count must be >= 1, got {min_count}")
    dist = torch.cdist(samples.double(), centers.double())  # (N, K)
    nearest_dist, nearest = dist.min(dim=1)  # (N,), (N,)
    good = nearest_dist <= threshold * std  # (N,)
    counts = torch.bincount(nearest[good], minlength=len(centers)).cpu()
    return ModeCoverage(
        modes_covered=int((counts >= min_count).sum()),
        high_quality=float(good.double().mean()),
        counts=counts,
        min_count=int(min_count),
    )
