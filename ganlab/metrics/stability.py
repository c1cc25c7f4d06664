"""Training stability of a 2-D GAN, read off its coverage log.

A GAN trained with ``eval_every > 0`` logs ``trainer.metrics["coverage"]``: a list of
``(step, ModeCoverage)`` checkpoints.  Three measures summarise how steady the run was:

- **mode hopping**: the total variation distance between the per-mode histograms of two
  successive checkpoints, ``TV(p, q) = ½ Σ_k |p_k − q_k|`` with ``p = counts / counts.sum()``:
  0 when the generator kept the same modes in the same proportions, 1 when it moved all its
  mass to other modes.  It is only defined (else NaN) when both checkpoints have at least
  ``min_hq`` high-quality samples, so a generator between the modes does not count as hopping.
- **coverage spread**: max − min of the modes covered over the last ``last_fraction`` of the
  checkpoints: 0 for a generator that settled, large for one that keeps gaining and losing modes.
- **failure**: a run *diverged* (its loss became non-finite, the trainer's ``FloatingPointError``)
  or *collapsed* (``collapse_modes`` or fewer modes covered at its last checkpoint).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import torch

from ganlab.metrics.mode_coverage import ModeCoverage
from ganlab.stats import SUMMARY, describe

MIN_HQ = 100  # high-quality samples a checkpoint needs for its histogram (4 % of 2500)
LAST_FRACTION = 0.25  # the coverage spread looks at the last quarter of the checkpoints
COLLAPSE_MODES = 2  # a run ending with this many modes covered or fewer has collapsed

CoverageLog = Sequence[tuple[int, ModeCoverage]]


def _check_log(log: CoverageLog) -> None:
    if len(log) == 0:
        raise ValueError(
            "the coverage log is empty; train with eval_every > 0 so that "
            'trainer.metrics["coverage"] holds (step, ModeCoverage) checkpoints'
        )


def mode_histogram(coverage: ModeCoverage) -> np.ndarray:
    """The (K,) distribution of high-quality samples over the modes (counts / their sum);
    all NaN when there is no high-quality sample."""
    counts = np.asarray(torch.as_tensor(coverage.counts).cpu(), dtype=float)  # (K,)
    total = counts.sum()
    return counts / total if total > 0 else np.full_like(counts, math.nan)


def mode_hopping(log: CoverageLog, min_hq: int = MIN_HQ) -> tuple[np.ndarray, np.ndarray]:
    """Total variation distance between the mode histograms of successive checkpoints.

    ``TV_t = ½ Σ_k |p_t,k − p_{t−1},k|``, NaN where either checkpoint has fewer than
    ``min_hq`` high-quality samples.

    Args:
        log: ``trainer.metrics["coverage"]``, T checkpoints ``(step, ModeCoverage)``.
        min_hq: the high-quality samples both checkpoints need.

    Returns:
        ``(steps, tv)``: two (T − 1,) arrays, the later checkpoint's step and TV_t in [0, 1].
    """
    _check_log(log)
    if min_hq < 1:
        raise ValueError(f"min_hq must be >= 1, got {min_hq}")
    steps = np.array([step for step, _ in log[1:]], dtype=int)
    tv = np.full(len(log) - 1, math.nan)
    for t in range(1, len(log)):
        before, after = log[t - 1][1], log[t][1]
        if int(before.counts.sum()) >= min_hq and int(after.counts.sum()) >= min_hq:
            tv[t - 1] = 0.5 * np.abs(mode_histogram(after) - mode_histogram(before)).sum()
    return steps, tv


def coverage_spread(log: CoverageLog, last_fraction: float = LAST_FRACTION) -> int:
    """max − min of the modes covered over the last ``ceil(last_fraction · T)`` checkpoints
    of a log of T checkpoints (at least one)."""
    _check_log(log)
    if not 0 < last_fraction <= 1:
        raise ValueError(f"last_fraction must be in (0, 1], got {last_fraction}")
    last = max(1, math.ceil(last_fraction * len(log)))
    modes = [coverage.modes_covered for _, coverage in log[-last:]]
    return max(modes) - min(modes)


def fit_or_diverge(trainer: object, steps: int) -> bool:
    """``trainer.fit(steps)``; True if training diverged on the way (a non-finite loss, or
    non-finite generator weights that made the coverage check fail), else False."""
    try:
        trainer.fit(steps)
    except FloatingPointError:
        return True
    except ValueError:
        if all(torch.isfinite(p).all() for p in trainer.generator.parameters()):
            raise  # a genuine error, not a diverged generator
        return True
    return False


@dataclass(frozen=True)
class StabilityRecord:
    """The stability of one seed of one method.

    Attributes:
        method, seed: which run.
        steps: (T,) the checkpoints' steps (up to divergence).
        modes: (T,) modes covered at each checkpoint.
        high_quality: (T,) fraction of high-quality samples at each checkpoint.
        hopping: (T − 1,) :func:`mode_hopping` between successive checkpoints (NaN: skipped).
        spread: :func:`coverage_spread` of the log.
        diverged: the loss became non-finite before the last step.
        num_modes: K, the mixture's number of modes.
        collapse_modes: the mode count at or below which the run counts as collapsed.
    """

    method: str
    seed: int
    steps: np.ndarray
    modes: np.ndarray
    high_quality: np.ndarray
    hopping: np.ndarray
    spread: int
    diverged: bool
    num_modes: int
    collapse_modes: int = COLLAPSE_MODES

    @property
    def final_modes(self) -> int:
        """Modes covered at the last checkpoint (0 for a diverged run)."""
        return 0 if self.diverged else int(self.modes[-1])

    @property
    def failed(self) -> bool:
        """Diverged, or collapsed to ``collapse_modes`` modes or fewer at the end."""
        return self.diverged or self.final_modes <= self.collapse_modes

    @property
    def mean_hopping(self) -> float:
        """Mean TV over the checkpoint pairs of the second half of training (later step
        > half the last step), where it is defined; NaN if nowhere.  The first half is
        left out: there the generator is still finding the modes."""
        late = self.hopping[self.steps[1:] > self.steps[-1] / 2]
        defined = late[~np.isnan(late)]
        return float(defined.mean()) if len(defined) else math.nan


def stability_record(
    method: str,
    seed: int,
    log: CoverageLog,
    *,
    diverged: bool = False,
    min_hq: int = MIN_HQ,
    last_fraction: float = LAST_FRACTION,
    collapse_modes: int = COLLAPSE_MODES,
) -> StabilityRecord:
    """Summarise one run's coverage log (``trainer.metrics["coverage"]``) as a
    :class:`StabilityRecord`; ``diverged`` says whether :func:`fit_or_diverge` said so."""
    _check_log(log)
    _, hopping = mode_hopping(log, min_hq)
    return StabilityRecord(
        method=method,
        seed=seed,
        steps=np.array([step for step, _ in log], dtype=int),
        modes=np.array([c.modes_covered for _, c in log], dtype=int),
        high_quality=np.array([c.high_quality for _, c in log], dtype=float),
        hopping=hopping,
        spread=coverage_spread(log, last_fraction),
        diverged=diverged,
        num_modes=log[0][1].num_modes,
        collapse_modes=collapse_modes,
    )


def compare_stability(
    mixture: object,
    methods: Mapping[str, Mapping[str, object]],
    seeds: Sequence[int],
    *,
    steps: int,
    eval_every: int,
    **common: object,
) -> list[StabilityRecord]:
    """Train every method on every seed (:func:`ganlab.recipes.toy_gan` with ``methods[name]``
    and ``common``), logging coverage every ``eval_every`` steps; a diverged seed is kept
    and counted, not raised.  Returns one :class:`StabilityRecord` per method and seed."""
    from ganlab.recipes import toy_gan  # recipes imports metrics: import on use

    if eval_every < 1 or steps < eval_every:
        raise ValueError(f"need 1 <= eval_every <= steps, got eval_every={eval_every}, {steps=}")
    records = []
    for name, kwargs in methods.items():
        for seed in seeds:
            trainer = toy_gan(mixture, seed=seed, eval_every=eval_every, **common, **kwargs)
            diverged = fit_or_diverge(trainer, steps)
            records.append(
                stability_record(name, seed, trainer.metrics["coverage"], diverged=diverged)
            )
    return records


MEASURES = ("mean_hopping", "spread", "final_modes")


def per_seed_stability(
    records: Sequence[StabilityRecord], method: str, measure: str
) -> dict[int, float]:
    """``{seed: value}`` of one method's ``measure`` (one of :data:`MEASURES`), for
    :func:`ganlab.stats.paired_comparison`; a seed whose value is NaN (no checkpoint pair
    with enough high-quality samples) is left out."""
    if measure not in MEASURES:
        raise ValueError(f"measure must be one of {MEASURES}, got {measure!r}")
    values = {r.seed: float(getattr(r, measure)) for r in records if r.method == method}
    if not values:
        known = ", ".join(dict.fromkeys(r.method for r in records))
        raise ValueError(f"no records for method {method!r}; the methods are {known}")
    return {seed: value for seed, value in values.items() if not math.isnan(value)}


def failure_fraction(records: Sequence[StabilityRecord], method: str) -> float:
    """The fraction of ``method``'s seeds that diverged or collapsed (see ``failed``)."""
    mine = [r for r in records if r.method == method]
    if not mine:
        raise ValueError(f"no records for method {method!r}")
    return sum(r.failed for r in mine) / len(mine)


def stability_table(records: Sequence[StabilityRecord]) -> str:
    """A text table, one row per method: final modes, mean mode hopping (TV), coverage
    spread (each mean ± sample std over seeds) and the seeds that collapsed or diverged."""
    if not records:
        raise ValueError("expected at least one record, got none")
    collapse = records[0].collapse_modes
    lines = [
        f"{'method':<20} {'seeds':>5} {'final modes':>12} {'mode hopping (TV)':>18} "
        f"{'coverage spread':>16} {'collapsed (<=' + str(collapse) + ') or diverged':>28}",
        f"({SUMMARY}; hopping: a run's mean TV over its second half)",
    ]
    for method in dict.fromkeys(r.method for r in records):
        mine = [r for r in records if r.method == method]
        hopping = [r.mean_hopping for r in mine if not math.isnan(r.mean_hopping)]
        diverged = sum(r.diverged for r in mine)
        failed = f"{sum(r.failed for r in mine)} of {len(mine)} ({diverged} diverged)"
        lines.append(
            f"{method:<20} {len(mine):>5} {describe([r.final_modes for r in mine]):>12} "
            f"{describe(hopping, 2) if hopping else 'n/a':>18} "
            f"{describe([r.spread for r in mine]):>16} {failed:>28}"
        )
    return "\n".join(lines)


def plot_stability(records: Sequence[StabilityRecord], *, title: str = "") -> plt.Figure:
    """Per-checkpoint curves, one column per method and one line per seed (same colour for
    a seed in every panel): modes covered (top) and mode hopping, the TV between successive
    checkpoints (bottom; gaps where a checkpoint had too few high-quality samples)."""
    if not records:
        raise ValueError("expected at least one record, got none")
    methods = list(dict.fromkeys(r.method for r in records))
    seeds = list(dict.fromkeys(r.seed for r in records))
    fig, axes = plt.subplots(
        2, len(methods), figsize=(5.2 * len(methods), 6.4), sharex=True, sharey="row", squeeze=False
    )
    for column, method in enumerate(methods):
        top, bottom = axes[0, column], axes[1, column]
        for r in (r for r in records if r.method == method):
            colour = f"C{seeds.index(r.seed) % 10}"
            label = f"seed {r.seed}" + (" (diverged)" if r.diverged else "")
            top.plot(r.steps, r.modes, color=colour, label=label, drawstyle="steps-post")
            bottom.plot(r.steps[1:], r.hopping, color=colour, marker=".", label=label)
        top.set(title=method, ylabel="modes covered")
        top.set_ylim(-0.3, records[0].num_modes + 0.3)
        bottom.set(xlabel="training step", ylabel="mode hopping (TV to previous checkpoint)")
        bottom.set_ylim(-0.03, 1.03)
    axes[0, -1].legend(fontsize="small", loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
