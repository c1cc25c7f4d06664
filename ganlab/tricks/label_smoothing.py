"""One-sided label smoothing (Salimans et al. 2016, §3.4).

Train D towards soft targets α (real) and β (fake) instead of 1 and 0.  The optimal
discriminator becomes

    D*(x) = (α · p_data(x) + β · p_model(x)) / (p_data(x) + p_model(x)).

With β > 0, where p_data ≈ 0 and p_model is large, D*(x) ≈ β stays away from 0, so D no
longer tells the generator to leave regions without data: only the positive targets are
smoothed (β = 0), e.g. α = 0.9 in the paper's text, 0.75 in the official ImageNet code.

The loss itself is :func:`ganlab.losses.discriminator_loss` with ``real_target=α`` and
``fake_target=β``; this module adds D*, a trainer objective and the measurements of
lesson 06: how confident D is, how hard it pushes G (:func:`discriminator_confidence`),
and what D does about generated samples that lie where there is no data
(:func:`off_data_report`), the place where two-sided smoothing (β > 0) differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from ganlab.losses import discriminator_loss, generator_loss
from ganlab.modes import frozen
from ganlab.training import Callback, Trainer, every

__all__ = [
    "OffDataReport",
    "SmoothedDiscriminatorObjective",
    "confidence_tracker",
    "discriminator_confidence",
    "off_data_report",
    "optimal_discriminator",
]


def optimal_discriminator(
    p_data: Tensor | np.ndarray | float,
    p_model: Tensor | np.ndarray | float,
    alpha: float = 1.0,
    beta: float = 0.0,
) -> Tensor | np.ndarray:
    """D*(x) = (α p_data(x) + β p_model(x)) / (p_data(x) + p_model(x)), elementwise.

    Args:
        p_data, p_model: densities at the same points (broadcastable), tensors or arrays.
        alpha, beta: the targets for real and generated examples, in [0, 1].

    Returns:
        D* with the broadcast shape, of the inputs' kind (a tensor if either is a tensor);
        NaN where both densities are 0 (D* is undefined where neither player puts mass).

    Raises:
        ValueError: for a negative or NaN density, or targets outside [0, 1].
    """
    for name, target in (("alpha", alpha), ("beta", beta)):
        if not 0.0 <= target <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {target}")
    use_torch = isinstance(p_data, Tensor) or isinstance(p_model, Tensor)
    lib = torch if use_torch else np
    p_data = torch.as_tensor(p_data) if use_torch else np.asarray(p_data, dtype=float)
    p_model = torch.as_tensor(p_model) if use_torch else np.asarray(p_model, dtype=float)
    for name, density in (("p_data", p_data), ("p_model", p_model)):
        if bool(lib.isnan(density).any()) or bool((density < 0).any()):
            raise ValueError(
                f"{name} must be a density (>= 0 everywhere), got minimum {float(density.min())}"
            )
    total = p_data + p_model
    with np.errstate(invalid="ignore", divide="ignore"):
        return (alpha * p_data + beta * p_model) / total


class SmoothedDiscriminatorObjective:
    """Trainer objective for D: :func:`discriminator_loss` with targets α (real), β (fake).

    ``SmoothedDiscriminatorObjective(0.9)`` is one-sided label smoothing.
    """

    def __init__(self, real_target: float = 0.9, fake_target: float = 0.0):
        for name, target in (("real_target", real_target), ("fake_target", fake_target)):
            if not 0.0 <= target <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {target}")
        self.real_target = real_target
        self.fake_target = fake_target

    def __call__(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        return discriminator_loss(
            discriminator(real), discriminator(fake), self.real_target, self.fake_target
        )

    def __repr__(self) -> str:
        return (
            f"SmoothedDiscriminatorObjective(real_target={self.real_target}, "
            f"fake_target={self.fake_target})"
        )


def discriminator_confidence(trainer: Trainer, n: int) -> dict[str, float]:
    """How confident D is and how hard it pushes G, on ``n`` fresh real and generated samples.

    Returns:
        ``real_logit`` and ``fake_logit``: D's mean logit on real and generated samples;
        ``abs_logit``: the mean |logit| over both; ``g_grad_norm``: the mean over generated
        samples of ‖∂L_G/∂x‖ (non-saturating L_G, times n so that it is per sample), the
        force with which D moves each sample.
    """
    discriminator = trainer.discriminator
    with torch.no_grad():
        real_logits = discriminator(trainer.real_data(n, trainer.device))  # (n,)
    fake = trainer.sample(n).requires_grad_(True)  # (n, ...)
    fake_logits = discriminator(fake)  # (n,)
    (gradient,) = torch.autograd.grad(generator_loss(fake_logits, "nonsaturating"), fake)
    per_sample = (n * gradient).flatten(1).norm(dim=1)  # (n,) the mean's 1/n undone
    return {
        "real_logit": float(real_logits.mean()),
        "fake_logit": float(fake_logits.detach().mean()),
        "abs_logit": float(torch.cat([real_logits, fake_logits.detach()]).abs().mean()),
        "g_grad_norm": float(per_sample.mean()),
    }


def confidence_tracker(n_samples: int, every_n: int) -> Callback:
    """A trainer callback logging :func:`discriminator_confidence` as ``"confidence"``."""

    def track(trainer: Trainer) -> None:
        trainer.log("confidence", discriminator_confidence(trainer, n_samples))

    return every(every_n, track)


@dataclass(frozen=True)
class OffDataReport:
    """Result of :func:`off_data_report` for one generator's samples.

    Attributes:
        fraction: fraction of samples farther than ``radius``·std from every mode centre.
        d_off: mean D(x) = σ(logit) over those off-data samples (NaN if there are none).
        force_off: mean over those samples of ‖∂(−log D(x))/∂x‖, the non-saturating
            generator loss's push on each of them (NaN if there are none).
        d_on: mean D(x) over samples within 3·std of a mode (NaN if there are none).
    """

    fraction: float
    d_off: float
    force_off: float
    d_on: float


def off_data_report(
    samples: Tensor,
    centers: Tensor,
    std: float,
    discriminator: nn.Module,
    radius: float = 6.0,
) -> OffDataReport:
    """Where the samples leave the data, and what D says and does there.

    D*(x) = (α p_data + β p_model) / (p_data + p_model) is β where p_data ≈ 0 < p_model:
    with β = 0 D calls such samples fake and the non-saturating loss −log D(x) pushes them
    away; with β > 0 D may settle at β there and stop pushing.  This measures it.

    Args:
        samples: (N, 2) generated samples.
        centers: (K, 2) the mixture's mode centres; ``std`` its components' std.
        discriminator: D, returning (N,) logits; its weights are not changed.
        radius: a sample is *off data* beyond ``radius``·std from its nearest centre
            (6σ: the density there is e^{-18} ≈ 1.5e-8 of a mode's peak).

    Returns:
        An :class:`OffDataReport`.

    Raises:
        ValueError: for samples and centres of different shapes, or std or radius <= 0.
    """
    samples = torch.as_tensor(samples)
    centers = torch.as_tensor(centers, device=samples.device, dtype=samples.dtype)
    if samples.ndim != 2 or centers.ndim != 2 or samples.shape[1] != centers.shape[1]:
        raise ValueError(
            "expected samples (N, D) and centers (K, D) with the same D, got "
            f"{tuple(samples.shape)} and {tuple(centers.shape)}"
        )
    if len(samples) == 0 or len(centers) == 0:
        raise ValueError("samples and centers must not be empty")
    if not std > 0 or not radius > 0:
        raise ValueError(f"std and radius must be > 0, got std={std}, radius={radius}")
    nearest = torch.cdist(samples, centers).min(dim=1).values  # (N,)
    off = nearest > radius * std  # (N,)
    on = nearest <= 3 * std  # (N,)
    x = samples.detach().clone().requires_grad_(True)
    with frozen(discriminator):
        logits = discriminator(x)  # (N,)
        # −log D(x) = softplus(−logit); its gradient per sample is that sample's push
        (gradient,) = torch.autograd.grad(F.softplus(-logits).sum(), x)  # (N, 2)
    probs = torch.sigmoid(logits.detach())  # (N,)
    force = gradient.norm(dim=1)  # (N,)

    def mean(values: Tensor, mask: Tensor) -> float:
        return float(values[mask].mean()) if bool(mask.any()) else float("nan")

    return OffDataReport(
        fraction=float(off.double().mean()),
        d_off=mean(probs, off),
        force_off=mean(force, off),
        d_on=mean(probs, on),
    )
