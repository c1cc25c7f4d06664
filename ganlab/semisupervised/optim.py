"""Adam as the official code writes it, and a switch between it and PyTorch's form.

The official ``nn.adam_updates`` (openai/improved-gan, ``mnist_svhn_cifar10/nn.py``) puts
its ε inside the square root:

    m ← β₁ m + (1 - β₁) g          v ← β₂ v + (1 - β₂) g²
    m̂ = m / (1 - β₁ᵗ)              v̂ = v / (1 - β₂ᵗ)
    θ ← θ - lr · m̂ / √(v̂ + ε)      ε = 1e-8

:class:`torch.optim.Adam` divides by √v̂ + ε instead.  No ε makes the two agree: with
ε_torch = √ε = 1e-4 they agree where v̂ ≫ ε, but where gradients are small (√v̂ ≈ 1e-4)
PyTorch's step is smaller by up to √2.  :func:`make_adam` builds either.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor

ADAM_FORMS = ("official", "torch")


class OfficialAdam(torch.optim.Optimizer):
    """Adam with ε under the square root: θ ← θ - lr · m̂ / √(v̂ + eps).

    Args:
        params: the parameters (or parameter groups) to optimise.
        lr: the learning rate.
        betas: (β₁, β₂); the official code uses β₁ = 0.5.
        eps: ε, added to v̂ inside the square root (official: 1e-8).
    """

    def __init__(
        self,
        params: Iterable[Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ):
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        if not eps >= 0:
            raise ValueError(f"eps must be >= 0, got {eps}")
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ANN001 - the signature of torch.optim.Optimizer
        """One update of every parameter that has a gradient; returns ``closure()``'s loss."""
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                if p.grad.is_sparse:
                    raise RuntimeError("OfficialAdam does not support sparse gradients")
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.lerp_(p.grad, 1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                denom = (v / (1 - beta2**t)).add_(group["eps"]).sqrt_()
                p.addcdiv_(m, denom, value=-group["lr"] / (1 - beta1**t))
        return loss


def make_adam(
    params: Iterable[Tensor],
    lr: float,
    betas: tuple[float, float],
    form: str = "official",
    eps: float = 1e-8,
) -> torch.optim.Optimizer:
    """Adam in the ``form`` asked for, with the same ε budget.

    Args:
        params: the parameters to optimise.
        lr, betas: Adam's learning rate and (β₁, β₂).
        form: ``"official"`` — :class:`OfficialAdam`, dividing by √(v̂ + eps);
            ``"torch"`` — :class:`torch.optim.Adam` with ``eps=√eps``, dividing by
            √v̂ + √eps.
        eps: ε of the official form (1e-8).
    """
    if form == "official":
        return OfficialAdam(params, lr=lr, betas=betas, eps=eps)
    if form == "torch":
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=eps**0.5)
    raise ValueError(f"form must be one of {ADAM_FORMS}, got {form!r}")
