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

:class:`UniformAverage` is the plain mean of every update instead, and :class:`WeightAverage`
is a trainer callback that starts either kind at a chosen step (after a burn-in, as in
Yazıcı et al., 2019, "The unusual effectiveness of averaging in GAN training").
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


class UniformAverage(ExponentialMovingAverage):
    """A copy of ``model`` holding the plain mean of its parameters at every update so far.

    The start counts as the first snapshot: after n updates the average is
    (θ_0 + θ_1 + … + θ_n) / (n + 1), kept online as θ̄ ← θ̄ + (θ − θ̄) / (n + 1).  The same
    mean as :class:`ganlab.tricks.HistoricalAveraging` keeps for its penalty, here only read
    out (Polyak averaging).
    """

    def __init__(self, model: nn.Module):
        super().__init__(model, rate=1.0, warmup=False)

    def current_rate(self) -> float:
        """1 / (n + 2) for the (n + 1)-th update: every snapshot weighs the same."""
        return 1.0 / (self.num_updates + 2)


class WeightAverage:
    """A trainer callback averaging one player's weights from step ``start`` on.

    Yazıcı et al. (2019) evaluate a GAN's generator with its weights averaged over training:
    an EMA θ̄ ← β θ̄ + (1 − β) θ (β = 0.999 or 0.9999) or a uniform mean over a late window,
    started after a burn-in, since early weights are far from any good generator.  Training
    is unchanged; only what gets evaluated differs.

    The average starts at the weights of step ``start`` and takes in every later step.  The
    trainer calls it after each step; for ``start=0`` also call it once yourself before
    ``fit``, so the initial weights are the start.

    Args:
        start: the step whose weights start the average (>= 0).
        decay: β of an EMA, in [0, 1); ``None`` for the uniform mean of steps start, …, now.
        player: ``"generator"`` or ``"discriminator"``, the trainer's network to average.
    """

    def __init__(self, start: int, decay: float | None = None, player: str = "generator"):
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError(f"start must be an int >= 0 (a training step), got {start!r}")
        if decay is not None and not 0 <= decay < 1:
            raise ValueError(f"decay must be in [0, 1), or None for a uniform mean; got {decay}")
        if player not in ("generator", "discriminator"):
            raise ValueError(f"player must be 'generator' or 'discriminator', got {player!r}")
        self.start, self.decay, self.player = start, decay, player
        self.average: ExponentialMovingAverage | None = None

    def __call__(self, trainer: Any) -> None:
        network = getattr(trainer, self.player)
        if self.average is not None:
            self.average.update(network)
        elif trainer.step >= self.start:
            self.average = (
                UniformAverage(network)
                if self.decay is None
                else ExponentialMovingAverage(network, rate=1 - self.decay, warmup=False)
            )

    @property
    def model(self) -> nn.Module:
        """The averaged network (in eval mode, without gradients)."""
        if self.average is None:
            raise ValueError(f"the average starts at step {self.start}; training has not got there")
        return self.average.model

    @property
    def snapshots(self) -> int:
        """How many steps' weights the average has taken in (the start included)."""
        return 0 if self.average is None else self.average.num_updates + 1

    def __repr__(self) -> str:
        kind = "uniform" if self.decay is None else f"EMA β={self.decay}"
        return f"WeightAverage({kind}, start={self.start}, player={self.player!r})"
