"""Test-time parameter averaging: an exponential moving average (EMA) of a network.

Not the paper's historical averaging (§3.3, :mod:`ganlab.tricks.historical_averaging`),
which adds a penalty to the training cost: an average changes nothing in training, it is
only what gets *evaluated*.  The official semi-supervised code evaluates such an average of
D's parameters (``disc_param_avg``, rate 0.0001) with the noise layers off; lesson 05 reads
out an average of G's parameters.

The official average starts at zero and needs tens of thousands of steps to forget that
start; the paper trains for 180 000.  For short runs the rate here starts larger, as in
TensorFlow's ``ExponentialMovingAverage(num_updates=t)``: rate_t = max(rate, 9 / (10 + t)),
an average over roughly the last tenth of the steps so far, until t = 9 / rate - 10
(90 000 steps at rate 0.0001), and the official rate after that.  ``warmup=False`` gives the
plain EMA θ̄ ← β θ̄ + (1 − β) θ with β = 1 − rate from the first update.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class ExponentialMovingAverage:
    """A copy of ``model`` whose parameters track θ̄ ← θ̄ + rate_t · (θ - θ̄) after each step.

    Buffers (e.g. batch-norm statistics) are copied, not averaged.  The average starts at
    the model's current parameters, so create it after any data-dependent initialisation.

    Args:
        model: the network being trained.
        rate: the update rate (1 - decay); the official code uses 0.0001.
        warmup: use rate_t = max(rate, 9 / (10 + t)) at the t-th update (t = 0, 1, ...);
            ``False`` gives the plain rate from the first update.
    """

    def __init__(self, model: nn.Module, rate: float = 1e-4, warmup: bool = True):
        if not 0 < rate <= 1:
            raise ValueError(f"rate must be in (0, 1], got {rate}")
        self.rate = rate
        self.warmup = warmup
        self.num_updates = 0
        self.model = copy.deepcopy(model)
        self.model.requires_grad_(False)
        self.model.eval()

    def current_rate(self) -> float:
        """The rate the next :meth:`update` will use."""
        if not self.warmup:
            return self.rate
        return max(self.rate, 9.0 / (10.0 + self.num_updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """One step of θ̄ ← θ̄ + rate_t · (θ - θ̄) for every parameter of ``model``."""
        rate = self.current_rate()
        for avg, param in zip(self.model.parameters(), model.parameters(), strict=True):
            avg.lerp_(param.detach(), rate)
        for avg, buf in zip(self.model.buffers(), model.buffers(), strict=True):
            avg.copy_(buf)
        self.num_updates += 1

    def state_dict(self) -> dict[str, Any]:
        """The averaged model's state, the rate and the number of updates."""
        return {
            "rate": self.rate,
            "warmup": self.warmup,
            "num_updates": self.num_updates,
            "model": self.model.state_dict(),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved."""
        self.rate = float(state["rate"])
        self.warmup = bool(state["warmup"])
        self.num_updates = int(state["num_updates"])
        self.model.load_state_dict(state["model"])
