"""Historical averaging (Salimans et al. 2016, §3.3).

Each player's cost gets a penalty for moving away from the average of its own past
parameters,

    w · || θ − (1/t) Σ_{i=1..t} θ[i] ||²,

where θ[1] is the initial value and the mean includes the current one (as in lesson 02's
:func:`ganlab.games.simulate`).  The running mean is kept online, exactly:
θ̄_{t+1} = θ̄_t + (θ[t+1] − θ̄_t) / (t + 1).

:class:`HistoricalAveraging` holds the mean of one player's parameters and its penalty;
:func:`penalised` adds the penalty to a trainer objective.  Both are composed at the call
site, so the code that trains shows the extra term and the update after each step.

Not to be confused with a moving average used only to *evaluate* a network, which changes
nothing in training (the official semi-supervised code evaluates such an average of D,
``disc_param_avg``): see :class:`ganlab.averaging.ExponentialMovingAverage`.
:meth:`HistoricalAveraging.averaged_copy` gives the uniform average of all snapshots as a
network; with ``weight=0`` the mean is kept without touching training.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import torch
from torch import Tensor, nn

from ganlab.training import Objective


class HistoricalAveraging:
    """The running mean of some parameters and the penalty w · Σ ||θ − θ̄||².

    Args:
        params_or_module: a module (all its parameters) or an iterable of tensors.
        weight: w, the penalty's weight (>= 0).

    The mean starts at the current values (t = 1); call :meth:`update` after each optimiser
    step.  The mean follows the parameters' device: moving the module after construction
    is fine.
    """

    def __init__(self, params_or_module: nn.Module | Iterable[Tensor], weight: float = 1.0):
        if weight < 0:
            raise ValueError(f"weight must be >= 0, got {weight}")
        module = isinstance(params_or_module, nn.Module)
        params = list(params_or_module.parameters() if module else params_or_module)
        if not params or not all(isinstance(p, Tensor) for p in params):
            raise ValueError("expected a module or a non-empty iterable of parameter tensors")
        self.params = params
        self.weight = float(weight)
        self.count = 1  # t, the number of snapshots in the mean
        self.means = [p.detach().clone() for p in params]

    def _mean_of(self, i: int) -> Tensor:
        """θ̄ of parameter i, moved to that parameter's device and dtype if it has changed."""
        param, mean = self.params[i], self.means[i]
        if mean.device != param.device or mean.dtype != param.dtype:
            self.means[i] = mean = mean.to(param.device, param.dtype)
        return mean

    @torch.no_grad()
    def update(self) -> None:
        """Add the current parameters to the mean: θ̄ ← θ̄ + (θ − θ̄) / (t + 1)."""
        self.count += 1
        rate = 1.0 / self.count
        for i, param in enumerate(self.params):
            mean = self._mean_of(i)
            mean.add_((param.detach() - mean) * rate)

    def penalty(self) -> Tensor:
        """w · Σ_params ||θ − θ̄||², differentiable with respect to θ (θ̄ is a constant)."""
        total = sum((p - self._mean_of(i)).pow(2).sum() for i, p in enumerate(self.params))
        return self.weight * total

    def averaged_copy(self, module: nn.Module) -> nn.Module:
        """A deep copy of ``module`` with θ̄ in place of θ (``module`` must own the params)."""
        averaged = copy.deepcopy(module)
        own = list(module.parameters())
        if len(own) != len(self.params) or any(
            a is not b for a, b in zip(own, self.params, strict=True)
        ):
            raise ValueError("module must be the module whose parameters are averaged")
        with torch.no_grad():
            for i, param in enumerate(averaged.parameters()):
                param.copy_(self._mean_of(i))
        return averaged

    def __repr__(self) -> str:
        return f"HistoricalAveraging(weight={self.weight}, t={self.count})"


def penalised(objective: Objective, averaging: HistoricalAveraging) -> Objective:
    """``objective`` plus the averaging's penalty: ``objective(D, real, fake) + penalty()``.

    Pass the result to :class:`ganlab.training.Trainer` as the player's objective, and call
    ``averaging.update()`` after every step (a trainer callback), e.g. for D::

        averaging = HistoricalAveraging(discriminator, weight=0.1)
        trainer = Trainer(G, discriminator, data,
                          d_objective=penalised(vanilla_discriminator_objective, averaging),
                          callbacks=[lambda trainer: averaging.update()])
    """

    def objective_with_penalty(discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        return objective(discriminator, real, fake) + averaging.penalty()

    return objective_with_penalty
