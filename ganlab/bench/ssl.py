"""Semi-supervised K+1 learning on the offline digits: ``ganlab bench ssl``.

Four runs of the same discriminator with the same step budget, 100 labels, several seeds:

    (a) supervised only, 100 labels          (the floor)
    (b) K+1 with a feature-matching G        (the paper's method)
    (c) K+1 with a minibatch-discrimination D, G on -log D(G(z))
        (not the official scripts' log(1 - D(G(z))) with 3 G steps per D step)
    (d) supervised on all 4000 labels        (the ceiling)

The paper's claim to check: (b) comes close to (d) with 40× fewer labels, and (c) helps
the classifier much less than (b).

Budget (:func:`budget`): the paper's 300 epochs of 40 steps and 3 seeds under the full
profile, 1 epoch and 1 seed under quick; the hyperparameters are the same under both.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from ganlab.config import sizes
from ganlab.files import save_json
from ganlab.semisupervised.experiment import result_of, train
from ganlab.semisupervised.settings import OFFLINE_LR, PAPER_EPOCHS, SSLConfig
from ganlab.semisupervised.training import SemiSupervisedTrainer

# kernels of variant (c)'s minibatch-discrimination layer, under every profile
# (SSLConfig's default is 100)
MINIBATCH_KERNELS = 32


def budget(profile: str | None = None) -> SimpleNamespace:
    """Epochs per run and seeds per variant under ``profile`` (default: the active one)."""
    return sizes(
        full=dict(epochs=PAPER_EPOCHS, seeds=3), quick=dict(epochs=1, seeds=1), profile=profile
    )


@dataclass(frozen=True)
class Variant:
    """One row of the benchmark table."""

    key: str
    name: str
    labels: int
    generator_objective: str


VARIANTS = (
    Variant("a", "supervised, 100 labels", 100, "none"),
    Variant("b", "K+1 + feature matching", 100, "feature_matching"),
    Variant("c", "K+1 + minibatch discrimination", 100, "minibatch"),
    Variant("d", "supervised, all 4000 labels", 4000, "none"),
)


@dataclass
class VariantResult:
    """Test errors (fractions), training seconds and the trainers of one variant over seeds."""

    variant: Variant
    errors: list[float] = field(default_factory=list)
    raw_errors: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    trainers: list[SemiSupervisedTrainer] = field(default_factory=list)

    @property
    def mean(self) -> float:
        """Mean test error over seeds."""
        return statistics.fmean(self.errors)

    @property
    def std(self) -> float:
        """Sample standard deviation of the test error over seeds (0 for one seed)."""
        return statistics.stdev(self.errors) if len(self.errors) > 1 else 0.0


def run(
    epochs: int,
    seeds: int,
    out: str | Path | None = None,
    variants: tuple[Variant, ...] = VARIANTS,
    log: Callable[[str], None] = print,
    progress: bool = False,
    **config: Any,
) -> list[VariantResult]:
    """Train every variant for ``epochs`` epochs with seeds 0..seeds-1 on the offline digits.

    ``config`` overrides :class:`SSLConfig` fields for every variant; the learning rate is
    0.001 (:data:`~ganlab.semisupervised.settings.OFFLINE_LR`) and the minibatch layer has
    :data:`MINIBATCH_KERNELS` kernels unless given.  With ``out``, each run
    checkpoints to ``out/<key>/seed<s>/`` and writes its ``result.json`` there, so that an
    interrupted benchmark resumes where it stopped.  ``progress`` shows a bar per run.
    """
    if seeds < 1 or epochs < 1:
        raise ValueError(f"need seeds >= 1 and epochs >= 1, got {seeds} and {epochs}")
    config.setdefault("lr", OFFLINE_LR)
    config.setdefault("minibatch_kernels", MINIBATCH_KERNELS)
    results = {variant.key: VariantResult(variant) for variant in variants}
    for seed in range(seeds):  # seeds outermost: a partial run already compares the variants
        for variant in variants:
            cfg = SSLConfig(
                labels=variant.labels, generator_objective=variant.generator_objective, **config
            )
            folder = None if out is None else Path(out) / variant.key / f"seed{seed}"
            checkpoint = None if folder is None else folder / "checkpoint.pt"
            trainer = train(
                cfg, epochs, seed, "offline", checkpoint, progress=progress, log=lambda _: None
            )
            result = result_of(trainer, "offline")
            if folder is not None:
                save_json(result, folder / "result.json")
            res = results[variant.key]
            res.errors.append(result["test_error"])
            res.raw_errors.append(result["test_error_raw"])
            res.seconds.append(result["seconds"])
            res.trainers.append(trainer)
            log(
                f"({variant.key}) {variant.name}, seed {seed}: test error "
                f"{100 * result['test_error']:.2f}% (raw {100 * result['test_error_raw']:.2f}%), "
                f"{result['seconds']:.0f}s"
            )
    return list(results.values())


def table(results: list[VariantResult]) -> str:
    """Markdown table: test error mean ± std (averaged and raw D) and seconds per seed."""
    lines = [
        "| run | test error (%) | raw D (%) | seconds / seed |",
        "|---|---|---|---|",
    ]
    for r in results:
        raw = statistics.fmean(r.raw_errors)
        lines.append(
            f"| ({r.variant.key}) {r.variant.name} | {100 * r.mean:.2f} ± {100 * r.std:.2f} "
            f"| {100 * raw:.2f} | {statistics.fmean(r.seconds):.0f} |"
        )
    by_key = {r.variant.key: r for r in results}
    if "b" in by_key and "d" in by_key and by_key["d"].mean > 0:
        ratio = by_key["b"].mean / by_key["d"].mean
        lines.append(f"\n(b) / (d) = {ratio:.2f}")
    return "\n".join(lines)


def _main(args: argparse.Namespace) -> int:
    size = budget("quick" if args.quick else None)
    epochs = args.epochs or size.epochs
    seeds = args.seeds or size.seeds
    print(
        f"offline digits (4000 train / 1000 test), 100 labels, {epochs} epochs of 40 steps, "
        f"{seeds} seeds, Adam lr {OFFLINE_LR}, minibatch discrimination with "
        f"{MINIBATCH_KERNELS} kernels"
    )
    results = run(
        epochs, seeds, args.out, minibatch_kernels=MINIBATCH_KERNELS, ema_rate=args.ema_rate
    )
    print(table(results))
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab bench ssl``."""
    parser = subparsers.add_parser("ssl", help="K+1 semi-supervised vs supervised baselines")
    parser.add_argument(
        "--quick", action="store_true", help="the quick profile's budget (default: $GANLAB_PROFILE)"
    )
    parser.add_argument("--seeds", type=int, help="number of seeds (default: profile)")
    parser.add_argument("--epochs", type=int, help="epochs per run (default: profile)")
    parser.add_argument("--ema-rate", type=float, default=SSLConfig.ema_rate)
    parser.add_argument("--out", help="folder for checkpoints; an interrupted run resumes")
    parser.set_defaults(func=_main)
