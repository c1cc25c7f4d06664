"""Training the K+1 classifier with a generator, as the official MNIST script (§5).

Per step: 100 labelled examples (the class-balanced labelled set, reshuffled and tiled so
that it pairs with every unlabelled batch), 100 unlabelled and 100 generated examples;
one Adam step on D for  L = L_supervised + L_unsupervised,  then one on G (three with the
minibatch objective, as the official minibatch scripts).  One epoch is one pass over the
unlabelled set.  D's parameters are averaged (rate 0.0001) and the
average, with the noise off, is what gets evaluated.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from ganlab.averaging import ExponentialMovingAverage
from ganlab.config import get_device
from ganlab.data import labeled_subset
from ganlab.files import save_torch
from ganlab.losses import generator_loss
from ganlab.modes import frozen
from ganlab.semisupervised.losses import log_partition, supervised_loss, unsupervised_loss
from ganlab.semisupervised.models import (
    Discriminator,
    Generator,
    data_dependent_init,
    error_rate,
)
from ganlab.semisupervised.optim import make_adam
from ganlab.semisupervised.settings import EpochRecord, SSLConfig
from ganlab.tricks.feature_matching import feature_matching_loss


@dataclass
class SemiSupervisedTrainer:
    """D (and G) on MNIST-like data, one :meth:`train_epoch` at a time, with checkpoints.

    Args:
        train_images, train_labels: the training set (N, 1, 28, 28) and (N,); all of it is
            the unlabelled set, a class-balanced ``config.labels`` of it the labelled set.
        test_images, test_labels: what :meth:`evaluate` scores.
        config: the hyperparameters.
        seed: seeds the labelled subset, the initialisation and the data order.
        device: default :func:`ganlab.config.get_device`.
    """

    train_images: Tensor
    train_labels: Tensor
    test_images: Tensor
    test_labels: Tensor
    config: SSLConfig = field(default_factory=SSLConfig)
    seed: int = 0
    device: torch.device | str | None = None
    history: list[EpochRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        cfg = self.config
        self.device = get_device(self.device)
        num_classes = int(self.train_labels.max()) + 1
        n = len(self.train_labels)
        if cfg.labels > n or (cfg.labels < n and cfg.labels % num_classes):
            raise ValueError(
                f"labels must be a multiple of {num_classes} classes and at most {n} (all of "
                f"the training set), got {cfg.labels}"
            )
        torch.manual_seed(self.seed)
        if cfg.labels == n:
            self.labeled = torch.arange(n)
        else:
            self.labeled = labeled_subset(self.train_labels, cfg.labels // num_classes, self.seed)
        self.rng = torch.Generator().manual_seed(self.seed)
        minibatch = cfg.minibatch_kernels if cfg.generator_objective == "minibatch" else 0
        self.discriminator = Discriminator(
            num_classes, cfg.hidden, minibatch_kernels=minibatch, kernel_dim=cfg.kernel_dim
        ).to(self.device)
        init_idx = torch.randperm(len(self.train_images), generator=self.rng)[: cfg.init_examples]
        data_dependent_init(self.discriminator, self.train_images[init_idx].to(self.device))
        self.ema = ExponentialMovingAverage(self.discriminator, cfg.ema_rate)
        adam = {"lr": cfg.lr, "betas": (cfg.beta1, cfg.beta2), "form": cfg.adam}
        self.d_optimizer = make_adam(self.discriminator.parameters(), eps=cfg.adam_eps, **adam)
        self.generator = None
        if cfg.generator_objective != "none":
            self.generator = Generator(cfg.latent_dim).to(self.device)
            self.g_optimizer = make_adam(self.generator.parameters(), eps=cfg.adam_eps, **adam)

    @property
    def epoch(self) -> int:
        """Epochs completed so far."""
        return len(self.history)

    @property
    def steps_per_epoch(self) -> int:
        """Steps in one pass over the unlabelled set (the same for every objective)."""
        return len(self.train_images) // self.config.batch_size

    def _batches(self) -> Iterator[tuple[Tensor, Tensor, Tensor]]:
        """Yield one epoch of index batches ``(lab, unl, real_for_g)``.

        ``lab``: labelled examples; ``unl``: unlabelled examples for D's step;
        ``real_for_g``: the real examples whose features G's feature-matching step matches,
        drawn from a separate shuffle of the unlabelled set.
        """
        n, b = len(self.train_images), self.config.batch_size
        tiles = math.ceil(n / len(self.labeled))
        lab = torch.cat(
            [
                self.labeled[torch.randperm(len(self.labeled), generator=self.rng)]
                for _ in range(tiles)
            ]
        )
        unl = torch.randperm(n, generator=self.rng)
        real_for_g = torch.randperm(n, generator=self.rng)  # shuffled separately from unl
        for i in range(self.steps_per_epoch):
            sl = slice(i * b, (i + 1) * b)
            yield lab[sl], unl[sl], real_for_g[sl]

    def train_step(
        self, lab: Tensor, unl: Tensor, real_for_g: Tensor
    ) -> tuple[float, float, float]:
        """One D step, then G's step(s); returns (L_supervised, L_unsupervised, last L_G).

        Args:
            lab, unl, real_for_g: index batches into the training set, as yielded by
                :meth:`_batches` (labelled, unlabelled for D, real examples for G).
        """
        dev, cfg = self.device, self.config
        x_lab, y_lab = self.train_images[lab].to(dev), self.train_labels[lab].to(dev)
        D, G = self.discriminator, self.generator
        loss_unl = torch.zeros((), device=dev)
        if G is None:
            loss_lab = supervised_loss(D(x_lab), y_lab)
        else:
            with torch.no_grad():
                fake = G(G.sample_latent(cfg.batch_size, dev))
            # one forward pass over all three batches (the noise is per example, so this is
            # the same as three passes, and faster); the minibatch layer, though, must only
            # ever compare an example with its own batch
            x_unl = self.train_images[unl].to(dev)
            if D.minibatch is None:
                logits_lab, logits_unl, logits_fake = D(
                    torch.cat([x_lab.flatten(1), x_unl.flatten(1), fake.flatten(1)])
                ).split([len(x_lab), len(x_unl), len(fake)])
            else:
                logits_lab, logits_unl, logits_fake = D(x_lab), D(x_unl), D(fake)
            loss_lab = supervised_loss(logits_lab, y_lab)
            loss_unl = unsupervised_loss(logits_unl, logits_fake)
        self.d_optimizer.zero_grad(set_to_none=True)
        loss = cfg.unlabeled_weight * loss_unl
        if cfg.use_labels:
            loss = loss + loss_lab
        loss.backward()
        self.d_optimizer.step()
        self.ema.update(D)
        if G is None:
            return loss_lab.item(), 0.0, 0.0
        steps = cfg.minibatch_generator_steps if cfg.generator_objective == "minibatch" else 1
        for _ in range(steps):
            loss_gen = self._generator_step(real_for_g)
        return loss_lab.item(), loss_unl.item(), loss_gen

    def _generator_step(self, real_for_g: Tensor) -> float:
        """One Adam step on G with D frozen; returns L_G."""
        dev, cfg = self.device, self.config
        D, G = self.discriminator, self.generator
        fake = G(G.sample_latent(cfg.batch_size, dev))
        with frozen(D):  # G's step needs gradients through D, not for D's weights
            if cfg.generator_objective == "feature_matching":
                # L_G = mean_f (E f(x) - E f(G(z)))², f = D's last hidden layer, noise on
                with torch.no_grad():
                    real_features = D.features(self.train_images[real_for_g].to(dev))
                fake_features = D.features(fake)
                loss_gen = feature_matching_loss(real_features, fake_features, reduction="mean")
            else:  # the official minibatch scripts' G minimises log(1 - D(G(z))): "minimax"
                loss_gen = generator_loss(log_partition(D(fake)), cfg.minibatch_generator_loss)
            self.g_optimizer.zero_grad(set_to_none=True)
            loss_gen.backward()
        self.g_optimizer.step()
        return loss_gen.item()

    def evaluate(self) -> tuple[float, float]:
        """Test error (fraction) of the averaged D and of the raw D, noise off."""
        averaged = error_rate(self.ema.model, self.test_images, self.test_labels)
        raw = error_rate(self.discriminator, self.test_images, self.test_labels)
        return averaged, raw

    def train_epoch(self, bar: Any = None) -> EpochRecord:
        """One pass over the unlabelled set, then an evaluation; appended to ``history``."""
        start = time.perf_counter()
        self.discriminator.train()
        if self.generator is not None:
            self.generator.train()
        totals = torch.zeros(3, dtype=torch.float64)
        for lab, unl, real_for_g in self._batches():
            totals += torch.tensor(self.train_step(lab, unl, real_for_g), dtype=torch.float64)
            if bar is not None:
                bar.update(1)
        means = (totals / self.steps_per_epoch).tolist()
        averaged, raw = self.evaluate()
        record = EpochRecord(self.epoch + 1, averaged, raw, *means, time.perf_counter() - start)
        self.history.append(record)
        return record

    def fit(self, epochs: int, bar: Any = None, on_epoch: Any = None) -> SemiSupervisedTrainer:
        """Train until ``epochs`` epochs are done; ``on_epoch(trainer)`` runs after each."""
        while self.epoch < epochs:
            self.train_epoch(bar)
            if on_epoch is not None:
                on_epoch(self)
        return self

    # -- checkpoints ----------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """Models, optimisers, the average, the history and the random state."""
        state = {
            "config": asdict(self.config),
            "seed": self.seed,
            "discriminator": self.discriminator.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict(),
            "ema": self.ema.state_dict(),
            "history": [asdict(r) for r in self.history],
            "rng": self.rng.get_state(),
            "torch_rng": torch.get_rng_state(),
        }
        if self.generator is not None:
            state["generator"] = self.generator.state_dict()
            state["g_optimizer"] = self.g_optimizer.state_dict()
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved (the config and seed must match).

        A setting missing from the checkpoint (one added to :class:`SSLConfig` since it was
        written) counts as its default.
        """
        defaults = {f.name: f.default for f in fields(SSLConfig) if f.default is not MISSING}
        saved = {**defaults, **state["config"]}
        if saved != asdict(self.config) or state["seed"] != self.seed:
            raise ValueError(
                f"checkpoint was written with seed {state['seed']} and config {state['config']}, "
                f"not seed {self.seed} and {asdict(self.config)}; use another output folder"
            )
        self.discriminator.load_state_dict(state["discriminator"])
        self.d_optimizer.load_state_dict(state["d_optimizer"])
        self.ema.load_state_dict(state["ema"])
        if self.generator is not None:
            self.generator.load_state_dict(state["generator"])
            self.g_optimizer.load_state_dict(state["g_optimizer"])
        self.history = [EpochRecord(**r) for r in state["history"]]
        self.rng.set_state(state["rng"])
        torch.set_rng_state(state["torch_rng"])

    def save(self, path: str | os.PathLike) -> Path:
        """Write :meth:`state_dict` to ``path`` atomically (a reader never sees half a file)."""
        return save_torch(self.state_dict(), path)

    def resume(self, path: str | os.PathLike) -> bool:
        """Load the checkpoint at ``path`` if it exists; returns whether one was loaded.

        Only tensors and plain data are read (``weights_only=True``): a checkpoint cannot
        run code.

        Raises:
            ValueError: the file is truncated, damaged or not a checkpoint of this trainer;
                the message says to delete it (or choose another ``--out``) to start afresh.
        """
        path = Path(path)
        if not path.exists():
            return False
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
            self.load_state_dict(state)
        except Exception as err:  # truncated zip, pickle refused by weights_only, wrong keys
            raise ValueError(
                f"cannot resume from {path}: it is damaged or not a ganlab ssl checkpoint "
                f"({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                "delete it, or give another --out, to start afresh"
            ) from None
        return True
