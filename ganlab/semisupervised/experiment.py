"""Running the semi-supervised experiment of §5: training with checkpoints, result records.

:func:`train` trains a :class:`~ganlab.semisupervised.training.SemiSupervisedTrainer` on
MNIST, resuming from and rewriting a checkpoint; :func:`run_experiment` adds a result file.
``ganlab ssl`` (:mod:`ganlab.semisupervised.cli`) and ``ganlab bench ssl``
(:mod:`ganlab.bench.ssl`) are thin layers over these.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from torch import Tensor

from ganlab.data import labeled_subset, mnist
from ganlab.files import save_json
from ganlab.progress import progress_bar
from ganlab.semisupervised.settings import SSLConfig
from ganlab.semisupervised.training import SemiSupervisedTrainer


def default_out_dir(data: str, config: SSLConfig, seed: int) -> Path:
    """``runs/ssl/<data>-<labels>labels-<objective>-seed<seed>``."""
    name = f"{data}-{config.labels}labels-{config.generator_objective}-seed{seed}"
    return Path("runs") / "ssl" / name


def training_pool(data: str = "offline", pool: int | None = None) -> tuple[Tensor, Tensor]:
    """The training split of ``data``, or a class-balanced, nested subset of ``pool`` digits.

    The subset is :func:`ganlab.data.labeled_subset` with seed 0 (``pool / 10`` per class),
    in the split's order, so a pool of 4000 lies inside the pool of 8000.
    """
    images, labels = mnist("train", data)
    if pool is None or pool == len(labels):
        return images, labels
    classes = int(labels.max()) + 1
    if pool < classes or pool % classes or pool > len(labels):
        raise ValueError(
            f"pool must be a multiple of {classes} between {classes} and {len(labels)}, got {pool}"
        )
    keep = labeled_subset(labels, pool // classes, seed=0).sort().values
    return images[keep], labels[keep]


def train(
    config: SSLConfig,
    epochs: int,
    seed: int = 0,
    data: str = "offline",
    checkpoint: str | os.PathLike | None = None,
    device: str | None = None,
    progress: bool | None = False,
    log: Callable[[str], None] = print,
    pool: int | None = None,
) -> SemiSupervisedTrainer:
    """Train on MNIST for ``epochs`` epochs in all, logging each.

    Args:
        config: the hyperparameters.
        epochs: the total number of epochs (a resumed run trains only the missing ones).
        seed: the trainer's seed.
        data: the MNIST source of :func:`ganlab.data.mnist` (``"offline"``, ``"torchvision"``).
        checkpoint: if given, resume from this file when it exists, and rewrite it
            (atomically) after every epoch.
        device: default :func:`ganlab.config.get_device`.
        progress: a progress bar over the steps; ``None`` leaves it to
            :func:`ganlab.progress.progress_bar` (on when interactive under the full profile).
        log: receives one line per epoch (and one on resuming).
        pool: train on a class-balanced ``pool`` of the training split (``pool / 10`` per
            class, the same digits for every seed, smaller pools nested in larger ones);
            default all of it.

    Returns:
        The trainer, after ``epochs`` epochs.
    """
    if epochs < 1:
        raise ValueError(f"epochs must be >= 1, got {epochs}")
    train_x, train_y = training_pool(data, pool)
    test_x, test_y = mnist("test", data)
    trainer = SemiSupervisedTrainer(train_x, train_y, test_x, test_y, config, seed, device)
    if checkpoint is not None and trainer.resume(checkpoint):
        log(f"resumed from {checkpoint} at epoch {trainer.epoch}")
    steps = trainer.steps_per_epoch
    bar = progress_bar(
        epochs * steps, "K+1 classifier", unit="step", show=progress, initial=trainer.epoch * steps
    )

    def after_epoch(t: SemiSupervisedTrainer) -> None:
        """Log the epoch just finished and rewrite the checkpoint."""
        r = t.history[-1]
        log(
            f"epoch {r.epoch:4d}  test error {100 * r.test_error:6.2f}% "
            f"(raw {100 * r.test_error_raw:6.2f}%)  L_lab {r.loss_lab:.3f}  "
            f"L_unl {r.loss_unl:.3f}  L_G {r.loss_gen:.3f}  {r.seconds:.1f}s"
        )
        if checkpoint is not None:
            t.save(checkpoint)

    with bar:
        trainer.fit(epochs, bar=bar, on_epoch=after_epoch)
    return trainer


def result_of(trainer: SemiSupervisedTrainer, data: str) -> dict[str, Any]:
    """The result record of a trained run, ready for JSON.

    Keys: ``test_error`` (final, averaged D, fraction), ``test_error_raw``, ``epochs``,
    ``labels``, ``seed``, ``seconds`` (training time, summed over resumes),
    ``generator_objective``, ``data``, ``config`` and the per-epoch ``history``.
    """
    last = trainer.history[-1]
    return {
        "test_error": last.test_error,
        "test_error_raw": last.test_error_raw,
        "epochs": trainer.epoch,
        "labels": trainer.config.labels,
        "seed": trainer.seed,
        "seconds": sum(r.seconds for r in trainer.history),
        "generator_objective": trainer.config.generator_objective,
        "data": data,
        "config": asdict(trainer.config),
        "history": [asdict(r) for r in trainer.history],
    }


def run_experiment(
    config: SSLConfig,
    epochs: int,
    seed: int = 0,
    data: str = "offline",
    out: str | os.PathLike | None = None,
    device: str | None = None,
    progress: bool | None = False,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """:func:`train` with ``out/checkpoint.pt``, then write ``out/result.json``; returns it.

    ``out`` defaults to :func:`default_out_dir`; a run whose checkpoint is there resumes.
    """
    out = Path(out) if out is not None else default_out_dir(data, config, seed)
    trainer = train(config, epochs, seed, data, out / "checkpoint.pt", device, progress, log)
    result = result_of(trainer, data)
    save_json(result, out / "result.json")
    return result
