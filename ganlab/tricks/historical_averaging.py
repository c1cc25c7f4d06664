"""Historical averaging (Salimans et al. 2016, §3.3).

Each player's cost gets a penalty for moving away from the average of its own past
parameters,

    w · || θ − (1/t) Σ_{i=1..t} θ[i] ||²,

where θ[1] is the initial value and the mean includes the current one (as in lesson 02's
:func:`ganlab.games.simulate`).  The running mean is kept online, exactly:
θ̄_{t+1} = θ̄_t + (θ[t+1] − θ̄_t) / (t + 1).

:class:`HistoricalAveraging` is the penalty for one set of parameters;
:class:`HistoricalAveragingCallback` plugs it into :class:`ganlab.training.Trainer` for D,
G or both.  Not to be confused with an exponential moving average of G's parameters used
only to *evaluate* (the official code's ``disc_param_avg``): that changes nothing in
training.  :meth:`HistoricalAveraging.averaged_copy` gives such an averaged model, uniform
or (with ``decay``) exponential; with ``weight=0`` the averaging does not touch training.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import torch
from torch import Tensor, nn

from ganlab.training import Objective, Trainer

PLAYERS = ("discriminator", "generator")


class HistoricalAveraging:
    """The running mean of some parameters and the penalty w · Σ ||θ − θ̄||².

    Args:
        params_or_module: a module (all its parameters) or an iterable of tensors.
        weight: w, the penalty's weight (>= 0).
        decay: ``None`` (default) for the paper's exact mean of all snapshots; a number
            β in [0, 1) for an exponential moving average θ̄ ← β θ̄ + (1 − β) θ instead.

    The mean starts at the current values (t = 1); call :meth:`update` after each optimiser
    step.  The mean follows the parameters' device: moving the module after construction
    is fine.
    """

    def __init__(
        self,
        params_or_module: nn.Module | Iterable[Tensor],
        weight: float = 1.0,
        decay: float | None = None,
    ):
        if weight < 0:
            raise ValueError(f"weight must be >= 0, got {weight}")
        if decay is not None and not 0.0 <= decay < 1.0:
            raise ValueError(f"decay must be None or in [0, 1), got {decay}")
        module = isinstance(params_or_module, nn.Module)
        params = list(params_or_module.parameters() if module else params_or_module)
        if not params or not all(isinstance(p, Tensor) for p in params):
            raise ValueError("expected a module or a non-empty iterable of parameter tensors")
        self.params = params
        self.weight = float(weight)
        self.decay = decay
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
        """Add the current parameters to the mean: θ̄ ← θ̄ + (θ − θ̄) / (t + 1).

        With ``decay`` β: θ̄ ← θ̄ + (1 − β)(θ − θ̄), the exponential moving average.
        """
        self.count += 1
        rate = 1.0 / self.count if self.decay is None else 1.0 - self.decay
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

    def state_dict(self) -> dict[str, Any]:
        """The weight, the count t and the means (on the CPU), for checkpoints."""
        return {
            "weight": self.weight,
            "decay": self.decay,
            "count": self.count,
            "means": [m.detach().cpu().clone() for m in self.means],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved, onto the parameters' devices."""
        means = state["means"]
        shapes = [tuple(p.shape) for p in self.params]
        if [tuple(m.shape) for m in means] != shapes:
            raise ValueError(
                f"the saved means have shapes {[tuple(m.shape) for m in means]}, "
                f"the parameters {shapes}"
            )
        self.weight = float(state["weight"])
        self.decay = state.get("decay")
        self.count = int(state["count"])
        self.means = [
            m.to(p.device, p.dtype).clone() for m, p in zip(means, self.params, strict=True)
        ]

    def __repr__(self) -> str:
        return f"HistoricalAveraging(weight={self.weight}, decay={self.decay}, t={self.count})"


class PenalisedObjective:
    """A trainer objective plus a penalty: ``objective(D, real, fake) + penalty()``."""

    def __init__(self, objective: Objective, averaging: HistoricalAveraging):
        self.objective = objective
        self.averaging = averaging

    def __call__(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        return self.objective(discriminator, real, fake) + self.averaging.penalty()


class HistoricalAveragingCallback:
    """Historical averaging for D, G or both, as one trainer callback.

    When the trainer is built it calls :meth:`attach`, which averages the chosen players'
    parameters, adds the penalty to their objectives and updates each mean after every
    step of that player's optimiser (so after each of the ``d_steps`` D steps too).  The
    means are part of the trainer's checkpoints through :meth:`state_dict`.  The losses in
    ``trainer.history`` include the penalty.

    Args:
        weight: w of the penalty; 0 only keeps the average (e.g. to evaluate it later with
            ``callback.averages["generator"].averaged_copy(trainer.generator)``).
        players: ``"discriminator"``, ``"generator"`` or ``"both"``.
        decay: ``None`` for the exact mean, or β of an exponential moving average.

    Example: ``Trainer(G, D, data, callbacks=[HistoricalAveragingCallback(0.1, "both")])``.
    """

    def __init__(self, weight: float = 0.1, players: str = "both", decay: float | None = None):
        if players not in (*PLAYERS, "both"):
            raise ValueError(f"players must be one of {(*PLAYERS, 'both')}, got {players!r}")
        if weight < 0:
            raise ValueError(f"weight must be >= 0, got {weight}")
        self.weight = weight
        self.decay = decay
        self.players = PLAYERS if players == "both" else (players,)
        self.averages: dict[str, HistoricalAveraging] = {}

    def attach(self, trainer: Trainer) -> None:
        """Average the players' current parameters and wrap their objectives and optimisers."""
        for player in self.players:
            averaging = HistoricalAveraging(getattr(trainer, player), self.weight, self.decay)
            self.averages[player] = averaging
            prefix = player[0]  # "d" or "g"
            objective = getattr(trainer, f"{prefix}_objective")
            if self.weight > 0:
                setattr(trainer, f"{prefix}_objective", PenalisedObjective(objective, averaging))
            optimizer = getattr(trainer, f"{prefix}_optimizer")
            optimizer.register_step_post_hook(lambda *_, a=averaging: a.update())

    def __call__(self, trainer: Trainer) -> None:
        """Nothing to do after a step: the optimiser hooks have updated the means."""

    def state_dict(self) -> dict[str, Any]:
        """The means of each averaged player."""
        return {player: a.state_dict() for player, a in self.averages.items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the means saved by :meth:`state_dict` (after :meth:`attach`)."""
        for player, saved in state.items():
            self.averages[player].load_state_dict(saved)

    def __repr__(self) -> str:
        return f"HistoricalAveragingCallback(weight={self.weight}, players={self.players})"
