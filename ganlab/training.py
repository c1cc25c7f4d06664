"""A small, readable GAN trainer that every lesson reuses.

One training step optimises the minimax game of Goodfellow et al.:

    D step (``d_steps`` times):  minimise d_objective(D, x, G(z))   (G fixed)
    G step:                      minimise g_objective(D, x, G(z))   (D fixed)

Objectives are callables ``objective(discriminator, real, fake) -> scalar loss`` (see
:mod:`ganlab.losses`), so the tricks of the later lessons plug in without a new loop.
Callbacks run after every step: ``callback(trainer)``; :func:`every` runs one every n steps.
A callback with an ``attach(trainer)`` method is attached when the trainer is built.
"""

from __future__ import annotations

import math
import os
import random
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
from torch import Tensor, nn

from ganlab.config import get_device, profile_name, seed_everything
from ganlab.data import gaussian_noise
from ganlab.losses import nonsaturating_generator_objective, vanilla_discriminator_objective

Objective = Callable[[nn.Module, Tensor, Tensor], Tensor]
Callback = Callable[["Trainer"], None]


class Sampler(Protocol):
    """Anything that returns ``n`` real samples on ``device`` (e.g. :class:`Mixture2D`)."""

    def __call__(self, n: int, device: torch.device) -> Tensor: ...


class NonFiniteLossError(FloatingPointError):
    """A loss became NaN or infinite; the message names the step and the player."""


def every(n: int, callback: Callback) -> Callback:
    """Wrap ``callback`` so that it runs only when ``trainer.step`` is a multiple of ``n``."""
    if n < 1:
        raise ValueError(f"every(n, ...) needs n >= 1, got {n}")

    def periodic(trainer: Trainer) -> None:
        if trainer.step % n == 0:
            callback(trainer)

    periodic.__wrapped__ = callback  # type: ignore[attr-defined]
    return periodic


@contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Inside the block, no parameter of ``module`` requires a gradient; afterwards (also
    after an exception) each one's flag is what it was before.

    For a generator's step: gradients still flow through the discriminator to the
    generated samples, but none are computed for the discriminator's own weights.
    """
    flags = [(param, param.requires_grad) for param in module.parameters()]
    module.requires_grad_(False)
    try:
        yield module
    finally:
        for param, flag in flags:
            param.requires_grad_(flag)


def _interactive() -> bool:
    if "ipykernel" in sys.modules:
        return True
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


class Trainer:
    """Alternating GAN training with pluggable objectives, callbacks and checkpoints.

    Args:
        generator: G, mapping (N, latent_dim) noise to samples.
        discriminator: D, mapping samples to (N,) logits (objectives decide how it is used).
        real_data: a sampler ``real_data(n, device) -> (n, ...)`` of real samples.
        latent_dim: size of z; ``noise`` overrides the default z ~ N(0, I).
        d_objective / g_objective: losses that D and G minimise.
        g_optimizer / d_optimizer: default ``Adam(lr=lr, betas=(beta1, 0.999))``.
        lr, beta1: Adam settings used when no optimiser is given.
        batch_size: samples per step for real and generated batches.
        d_steps: D steps per G step (k in Goodfellow et al.).
        callbacks: called as ``callback(trainer)`` after every step; one with an
            ``attach(trainer)`` method is attached here, once the models and optimisers exist.
        device: default :func:`ganlab.config.get_device`; the models are moved there.
        seed: if given, :func:`ganlab.config.seed_everything` is called here, seeding the
            batches and noise of training (seed before building the models as well for a
            reproducible initialisation).
        progress: show a tqdm bar; default: on when interactive and the profile is ``full``.
        checkpoint_path / checkpoint_every: save atomically every that many steps.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        real_data: Sampler,
        *,
        latent_dim: int | None = None,
        noise: Callable[[int, torch.device], Tensor] | None = None,
        d_objective: Objective = vanilla_discriminator_objective,
        g_objective: Objective = nonsaturating_generator_objective,
        g_optimizer: torch.optim.Optimizer | None = None,
        d_optimizer: torch.optim.Optimizer | None = None,
        lr: float = 1e-3,
        beta1: float = 0.5,
        batch_size: int = 256,
        d_steps: int = 1,
        callbacks: Iterable[Callback] = (),
        device: str | torch.device | None = None,
        seed: int | None = None,
        progress: bool | None = None,
        checkpoint_path: str | os.PathLike | None = None,
        checkpoint_every: int = 0,
    ):
        if seed is not None:
            seed_everything(seed)
        if batch_size < 1 or d_steps < 1:
            raise ValueError(f"batch_size and d_steps must be >= 1, got {batch_size}, {d_steps}")
        if checkpoint_every and checkpoint_path is None:
            raise ValueError("checkpoint_every needs a checkpoint_path to write to")
        self.device = get_device(device)
        self.generator = generator.to(self.device)
        self.discriminator = discriminator.to(self.device)
        self.real_data = real_data
        if noise is None:
            dim = latent_dim if latent_dim is not None else getattr(generator, "latent_dim", None)
            if dim is None:
                raise ValueError("give latent_dim (or a noise function) for this generator")
            self.latent_dim = int(dim)
            noise = lambda n, device: gaussian_noise(n, self.latent_dim, device)  # noqa: E731
        self.noise = noise
        self.d_objective = d_objective
        self.g_objective = g_objective
        self.g_optimizer = g_optimizer or torch.optim.Adam(
            self.generator.parameters(), lr=lr, betas=(beta1, 0.999)
        )
        self.d_optimizer = d_optimizer or torch.optim.Adam(
            self.discriminator.parameters(), lr=lr, betas=(beta1, 0.999)
        )
        self.batch_size = batch_size
        self.d_steps = d_steps
        self.callbacks = list(callbacks)
        self.progress = progress
        self.checkpoint_path = Path(checkpoint_path) if checkpoint_path is not None else None
        self.checkpoint_every = checkpoint_every
        self.step = 0
        self.history: dict[str, list[float]] = {"step": [], "d_loss": [], "g_loss": []}
        self.metrics: dict[str, list[tuple[int, Any]]] = {}
        for callback in self.callbacks:  # e.g. historical averaging wraps the objectives
            attach = getattr(getattr(callback, "__wrapped__", callback), "attach", None)
            if attach is not None:
                attach(self)

    # -- one step -------------------------------------------------------------------------
    def sample(self, n: int) -> Tensor:
        """``n`` samples from the generator, without gradients, on the trainer's device."""
        with torch.no_grad():
            return self.generator(self.noise(n, self.device))

    def _check_finite(self, loss: Tensor, player: str) -> float:
        value = float(loss.detach())
        if not math.isfinite(value):
            raise NonFiniteLossError(
                f"the {player} loss became {value} at step {self.step + 1}; lower the learning "
                "rate, check the objective for log(0), or resume from an earlier checkpoint"
            )
        return value

    def train_step(self) -> tuple[float, float]:
        """One round: ``d_steps`` discriminator updates, then one generator update."""
        n = self.batch_size
        for _ in range(self.d_steps):
            real = self.real_data(n, self.device)
            fake = self.sample(n)
            d_loss = self.d_objective(self.discriminator, real, fake)
            d_value = self._check_finite(d_loss, "discriminator")
            self.d_optimizer.zero_grad(set_to_none=True)
            d_loss.backward()
            self.d_optimizer.step()

        with frozen(self.discriminator):  # G's step needs gradients w.r.t. x only
            real = self.real_data(n, self.device)
            fake = self.generator(self.noise(n, self.device))
            g_loss = self.g_objective(self.discriminator, real, fake)
            g_value = self._check_finite(g_loss, "generator")
            self.g_optimizer.zero_grad(set_to_none=True)
            g_loss.backward()
        self.g_optimizer.step()
        return d_value, g_value

    # -- the loop -------------------------------------------------------------------------
    def fit(self, steps: int) -> Trainer:
        """Train until ``self.step == steps`` (a resumed trainer continues where it stopped)."""
        if steps < self.step:
            raise ValueError(f"already at step {self.step}; fit(steps) counts total steps")
        show = self.progress
        if show is None:
            show = _interactive() and profile_name() == "full"
        bar = None
        if show:
            from tqdm.auto import tqdm

            bar = tqdm(total=steps, initial=self.step, desc="training", unit="step")
        self.generator.train()
        self.discriminator.train()
        try:
            while self.step < steps:
                d_value, g_value = self.train_step()
                self.step += 1
                self.history["step"].append(self.step)
                self.history["d_loss"].append(d_value)
                self.history["g_loss"].append(g_value)
                for callback in self.callbacks:
                    callback(self)
                if self.checkpoint_every and self.step % self.checkpoint_every == 0:
                    self.save(self.checkpoint_path)
                if bar is not None:
                    bar.update(1)
                    if self.step % 50 == 0:
                        bar.set_postfix(d_loss=f"{d_value:.3f}", g_loss=f"{g_value:.3f}")
        finally:
            if bar is not None:
                bar.close()
        return self

    def log(self, name: str, value: Any) -> None:
        """Record ``value`` under ``name`` at the current step in ``self.metrics``."""
        self.metrics.setdefault(name, []).append((self.step, value))

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Everything needed to resume: models, optimisers, step, history and RNG states."""
        state = {
            "step": self.step,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
            "history": self.history,
            "metrics": self.metrics,
            "rng": {
                "torch": torch.get_rng_state(),
                "numpy": np.random.get_state(),
                "python": random.getstate(),
            },
            "callbacks": {},
        }
        if torch.cuda.is_available():
            state["rng"]["cuda"] = torch.cuda.get_rng_state_all()
        for i, callback in enumerate(self.callbacks):
            target = getattr(callback, "__wrapped__", callback)
            if hasattr(target, "state_dict"):
                state["callbacks"][i] = target.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved."""
        self.generator.load_state_dict(state["generator"])
        self.discriminator.load_state_dict(state["discriminator"])
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        self.step = int(state["step"])
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.metrics = {k: list(v) for k, v in state["metrics"].items()}
        rng = state["rng"]
        torch.set_rng_state(rng["torch"])
        np.random.set_state(rng["numpy"])
        random.setstate(rng["python"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])
        for i, callback in enumerate(self.callbacks):
            target = getattr(callback, "__wrapped__", callback)
            if i in state["callbacks"] and hasattr(target, "load_state_dict"):
                target.load_state_dict(state["callbacks"][i])

    def save(self, path: str | os.PathLike | None = None) -> Path:
        """Write a checkpoint atomically: to a temporary file first, then renamed into place."""
        path = Path(path if path is not None else self.checkpoint_path or "")
        if not path.name:
            raise ValueError("save() needs a path (or the trainer's checkpoint_path)")
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                torch.save(self.state_dict(), f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def resume(self, path: str | os.PathLike | None = None) -> bool:
        """Load a checkpoint if it exists; returns whether one was loaded."""
        path = Path(path if path is not None else self.checkpoint_path or "")
        if not path.name or not path.exists():
            return False
        try:
            state = torch.load(path, map_location="cpu", weights_only=False)
        except Exception as err:
            raise RuntimeError(
                f"checkpoint {path} could not be read ({err}); delete it to start afresh"
            ) from err
        self.load_state_dict(state)
        return True
