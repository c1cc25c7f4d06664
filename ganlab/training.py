"""The GAN training loop that every lesson uses, one screen long.

One step is one round of the two-player game of Goodfellow et al. (2014), written as the
PyTorch DCGAN example writes it: first the discriminator D takes a step on its objective
with the generator G fixed, then G takes a step on its own objective with D frozen.

An objective is a callable ``objective(D, real, fake) -> scalar loss``.  The defaults are
the vanilla ones of :mod:`ganlab.losses`; the tricks of the later lessons (feature matching,
label smoothing, a historical-averaging penalty) are other objectives passed in at the call
site, so this loop never changes.  Callbacks run after every step as ``callback(trainer)``
(e.g. to measure coverage with :func:`every`, or to update a running average).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import torch
from torch import Tensor, nn

from ganlab.config import get_device
from ganlab.losses import nonsaturating_generator_objective, vanilla_discriminator_objective
from ganlab.modes import frozen
from ganlab.progress import progress_bar

BETAS = (0.5, 0.999)  # Adam's (β1, β2) for both players, as in DCGAN
Objective = Callable[[nn.Module, Tensor, Tensor], Tensor]
Callback = Callable[["Trainer"], None]


class Sampler(Protocol):
    """Anything that returns ``n`` real samples on ``device`` (e.g. :class:`Mixture2D`)."""

    def __call__(self, n: int, device: torch.device) -> Tensor: ...


def every(n: int, callback: Callback) -> Callback:
    """Wrap ``callback`` so that it runs only when ``trainer.step`` is a multiple of ``n``."""
    if n < 1:
        raise ValueError(f"every(n, ...) needs n >= 1, got {n}")
    return lambda trainer: callback(trainer) if trainer.step % n == 0 else None


class Trainer:
    """Alternating GAN training: a D step, then a G step, ``fit(steps)`` times.

    Args:
        generator: G, mapping (N, latent_dim) noise z ~ N(0, I) to samples; it must have a
            ``latent_dim`` attribute (the course's generators do).
        discriminator: D, mapping samples to (N,) logits.
        real_data: ``real_data(n, device) -> (n, ...)`` real samples.
        d_objective, g_objective: what D and G minimise (defaults: the vanilla GAN losses).
        lr: Adam's learning rate for both players (β1, β2 = :data:`BETAS`).
        d_lr: D's learning rate, if it differs from G's.
        batch_size: real and generated samples per step.
        callbacks: ``callback(trainer)`` after every step.
        device: default :func:`ganlab.config.get_device`; the models are moved there.
        progress: a progress bar; default on when interactive under the ``full`` profile.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        real_data: Sampler,
        *,
        d_objective: Objective = vanilla_discriminator_objective,
        g_objective: Objective = nonsaturating_generator_objective,
        lr: float = 1e-3,
        d_lr: float | None = None,
        batch_size: int = 256,
        callbacks: Iterable[Callback] = (),
        device: str | torch.device | None = None,
        progress: bool | None = None,
    ):
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.latent_dim = getattr(generator, "latent_dim", None)
        if not isinstance(self.latent_dim, int) or self.latent_dim < 1:
            raise ValueError("the generator needs a latent_dim attribute: the size of its z")
        self.device = get_device(device)
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.real_data = real_data
        self.d_objective, self.g_objective = d_objective, g_objective
        self.g_optimizer = torch.optim.Adam(generator.parameters(), lr, betas=BETAS)
        d_lr = lr if d_lr is None else d_lr
        self.d_optimizer = torch.optim.Adam(discriminator.parameters(), d_lr, betas=BETAS)
        self.batch_size = batch_size
        self.callbacks = list(callbacks)
        self.progress = progress
        self.step = 0
        self.history: dict[str, list[float]] = {"step": [], "d_loss": [], "g_loss": []}
        self.metrics: dict[str, list[tuple[int, Any]]] = {}

    def noise(self, n: int) -> Tensor:
        """z ~ N(0, I): (n, latent_dim) on the trainer's device."""
        return torch.randn(n, self.latent_dim, device=self.device)

    @torch.no_grad()
    def sample(self, n: int) -> Tensor:
        """``n`` samples G(z), without gradients."""
        return self.generator(self.noise(n))

    def train_step(self) -> tuple[float, float]:
        """One D step, then one G step; returns the two losses."""
        D, G, n = self.discriminator, self.generator, self.batch_size

        # (1) D: minimise -E log D(x) - E log(1 - D(G(z)))   (by default; G is fixed here:
        #     its samples are drawn without gradients)
        real, fake = self.real_data(n, self.device), self.sample(n)
        d_loss = self.d_objective(D, real, fake)
        self._check_finite(d_loss, "discriminator")
        self.d_optimizer.zero_grad(set_to_none=True)
        d_loss.backward()
        self.d_optimizer.step()

        # (2) G: minimise -E log D(G(z)); D frozen (gradients flow through D into G only).
        #     A fresh real batch, for objectives that compare with data (feature matching).
        real = self.real_data(n, self.device)
        with frozen(D):
            g_loss = self.g_objective(D, real, G(self.noise(n)))
            self._check_finite(g_loss, "generator")
            self.g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
        self.g_optimizer.step()
        return d_loss.item(), g_loss.item()

    def _check_finite(self, loss: Tensor, player: str) -> None:
        if not math.isfinite(loss.item()):
            raise FloatingPointError(
                f"the {player} loss became {loss.item()} at step {self.step + 1}; lower the "
                "learning rate or check the objective for log(0)"
            )

    def fit(self, steps: int) -> Trainer:
        """Train until ``self.step == steps`` (a second call continues where the first stopped)."""
        if steps < self.step:
            raise ValueError(f"already at step {self.step}; fit(steps) counts total steps")
        self.generator.train()
        self.discriminator.train()
        bar = progress_bar(steps, "training", initial=self.step, show=self.progress)
        with bar:
            while self.step < steps:
                d_loss, g_loss = self.train_step()
                self.step += 1
                for key, value in zip(self.history, (self.step, d_loss, g_loss), strict=True):
                    self.history[key].append(value)
                for callback in self.callbacks:
                    callback(self)
                bar.update(1)
                if self.step % 50 == 0:
                    bar.set_postfix(d_loss=f"{d_loss:.3f}", g_loss=f"{g_loss:.3f}")
        return self

    def log(self, name: str, value: Any) -> None:
        """Record ``value`` under ``name`` at the current step in ``self.metrics``."""
        self.metrics.setdefault(name, []).append((self.step, value))
