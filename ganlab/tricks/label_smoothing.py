"""One-sided label smoothing (Salimans et al. 2016, §3.4).

Train D towards soft targets α (real) and β (fake) instead of 1 and 0.  The optimal
discriminator becomes

    D*(x) = (α · p_data(x) + β · p_model(x)) / (p_data(x) + p_model(x)).

With β > 0, where p_data ≈ 0 and p_model is large, D*(x) ≈ β stays away from 0, so D no
longer tells the generator to leave regions without data: only the positive targets are
smoothed (β = 0), e.g. α = 0.9 in the paper's text, 0.75 in the official ImageNet code.

The loss itself is :func:`ganlab.losses.discriminator_loss` with ``real_target=α`` and
``fake_target=β``; this module adds D*, a trainer objective and the measurements of
lesson 06 (how confident D is, how hard it pushes G).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.losses import discriminator_loss, generator_loss
from ganlab.training import Callback, Trainer, every

__all__ = [
    "SmoothedDiscriminatorObjective",
    "confidence_tracker",
    "discriminator_confidence",
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
