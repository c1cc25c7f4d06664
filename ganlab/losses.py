"""The GAN objectives of Goodfellow et al. (2014), written from logits.

With D(x) = σ(l(x)) the logs are softplus terms, which never overflow:
-log σ(l) = softplus(-l) and -log(1 - σ(l)) = softplus(l).

The trainer (:class:`ganlab.training.Trainer`) takes *objectives*: callables
``objective(discriminator, real, fake) -> loss``.  The vanilla ones are here; the tricks of
the later lessons provide others with the same signature.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

GENERATOR_LOSSES = ("nonsaturating", "minimax")


def _check_logits(name: str, logits: Tensor, *, per_class: bool = False) -> Tensor:
    """Validate logits and return them in the shape the losses use.

    Args:
        name: the argument's name, for the error messages.
        logits: D's logits.
        per_class: ``False`` (the vanilla GAN): one logit per example, (N,) or (N, 1),
            returned flattened to (N,).  ``True`` (the K-class discriminator of §5): one
            logit per class, (N, K) with K >= 1, returned as they are.

    Raises:
        TypeError: if ``logits`` is not a floating-point tensor.
        ValueError: if ``per_class`` and ``logits`` is not (N, K).
    """
    if not isinstance(logits, Tensor) or not logits.is_floating_point():
        got = logits.dtype if isinstance(logits, Tensor) else type(logits)
        raise TypeError(f"{name} must be a floating-point tensor of logits, got {got}")
    if not per_class:
        return logits.reshape(-1)
    if logits.ndim != 2 or logits.shape[1] < 1:
        raise ValueError(f"{name} must have shape (N, K) with K >= 1, got {tuple(logits.shape)}")
    return logits


def discriminator_loss(
    real_logits: Tensor,
    fake_logits: Tensor,
    real_target: float = 1.0,
    fake_target: float = 0.0,
) -> Tensor:
    """Discriminator cost: -E_x[t log D(x) + (1-t) log(1-D(x))] summed over real and fake.

    With the default targets this is -E_x log D(x) - E_z log(1 - D(G(z))); ``real_target``
    below 1 is one-sided label smoothing (lesson 06).  Each expectation is a batch mean.

    Args:
        real_logits: (N,) or (N, 1) logits of D on real data.
        fake_logits: (M,) or (M, 1) logits of D on generated data.
    """
    real_logits = _check_logits("real_logits", real_logits)
    fake_logits = _check_logits("fake_logits", fake_logits)
    for name, target in (("real_target", real_target), ("fake_target", fake_target)):
        if not 0.0 <= target <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {target}")
    real = F.binary_cross_entropy_with_logits(
        real_logits, torch.full_like(real_logits, real_target)
    )
    fake = F.binary_cross_entropy_with_logits(
        fake_logits, torch.full_like(fake_logits, fake_target)
    )
    return real + fake


def generator_loss(fake_logits: Tensor, kind: str = "nonsaturating") -> Tensor:
    """Generator cost from D's logits on generated samples.

    - ``"minimax"`` (saturating):  E_z log(1 - D(G(z)))  = -E softplus(l)
    - ``"nonsaturating"``:        -E_z log D(G(z))       =  E softplus(-l)

    Both push D(G(z)) up, but the minimax cost's gradient vanishes exactly when D confidently
    rejects the fakes (l → -∞), which is early in training.
    """
    fake_logits = _check_logits("fake_logits", fake_logits)
    if kind == "minimax":
        return -F.softplus(fake_logits).mean()
    if kind == "nonsaturating":
        return F.softplus(-fake_logits).mean()
    raise ValueError(f"kind must be one of {GENERATOR_LOSSES}, got {kind!r}")


def vanilla_discriminator_objective(discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
    """Trainer objective for D: :func:`discriminator_loss` of D's logits on real and fake."""
    return discriminator_loss(discriminator(real), discriminator(fake))


def nonsaturating_generator_objective(
    discriminator: nn.Module, real: Tensor, fake: Tensor
) -> Tensor:
    """Trainer objective for G: the non-saturating :func:`generator_loss` (``real`` unused)."""
    return generator_loss(discriminator(fake), "nonsaturating")


def minimax_generator_objective(discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
    """Trainer objective for G: the saturating minimax :func:`generator_loss` (``real`` unused)."""
    return generator_loss(discriminator(fake), "minimax")
