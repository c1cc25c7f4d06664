"""Statistics a student can trust: seeds summarised honestly, arms compared seed by seed.

Every comparison in the course runs each arm on the same seeds.  A summary is the mean ± the
*sample* standard deviation (ddof = 1) over seeds, and a single seed is shown without a ±.
A claim "A beats B" rests on the paired differences B − A over the shared seeds: their mean,
a 95 % Student-t interval and how many seeds went each way (:func:`paired_comparison`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# Student's t quantile t_{0.975, df} for df = 1..30 (two-sided 95 %); beyond, the normal's.
_T975 = (
    12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060, 2.2622, 2.2281,
    2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098, 2.1009, 2.0930, 2.0860,
    2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555, 2.0518, 2.0484, 2.0452, 2.0423,
)  # fmt: skip
SUMMARY = "mean ± sample std (ddof 1) over seeds"


def t_quantile_975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom (df ≥ 1)."""
    if df < 1:
        raise ValueError(f"a t interval needs at least 1 degree of freedom, got {df}")
    return _T975[df - 1] if df <= len(_T975) else 1.959964


def _values(values: Sequence[float] | np.ndarray) -> np.ndarray:
    array = np.asarray(values, dtype=float).reshape(-1)
    if len(array) == 0:
        raise ValueError("expected at least one value (one per seed), got none")
    return array


def describe(values: Sequence[float] | np.ndarray, digits: int = 1) -> str:
    """``"m ± s"``: mean and sample std (ddof 1) of per-seed values; one value: ``"m"``."""
    array = _values(values)
    if len(array) == 1:
        return f"{array[0]:.{digits}f}"
    return f"{array.mean():.{digits}f} ± {array.std(ddof=1):.{digits}f}"


@dataclass(frozen=True)
class PairedComparison:
    """Arms A and B measured on the same seeds; differences are B − A.

    Attributes:
        seeds: the shared seeds, in order.
        a, b: each arm's value per seed.
        mean_diff: mean of B − A.
        std_diff: sample std (ddof 1) of B − A; nan for one seed.
        ci95: the 95 % Student-t interval of the mean difference; (nan, nan) for one seed.
        higher, lower, ties: seeds where B was above, below or equal to A.
    """

    seeds: tuple[int, ...]
    a: tuple[float, ...]
    b: tuple[float, ...]
    mean_diff: float
    std_diff: float
    ci95: tuple[float, float]
    higher: int
    lower: int
    ties: int

    @property
    def significant(self) -> bool:
        """True when the 95 % interval of the mean difference excludes 0."""
        low, high = self.ci95
        return bool(low > 0 or high < 0)

    def summary(self, name_a: str = "A", name_b: str = "B", digits: int = 1) -> str:
        """One line: mean difference, its interval and the seed count each way."""
        n = len(self.seeds)
        line = f"{name_b} − {name_a}: {self.mean_diff:+.{digits}f}"
        if n > 1:
            low, high = self.ci95
            line += f" (95 % t-interval {low:+.{digits}f} to {high:+.{digits}f})"
        return (
            f"{line}; higher in {self.higher} of {n} seeds, lower in {self.lower}, "
            f"equal in {self.ties}"
        )


def paired_comparison(
    a: Mapping[int, float] | Sequence[float], b: Mapping[int, float] | Sequence[float]
) -> PairedComparison:
    """Compare two arms seed by seed.

    Args:
        a, b: per-seed values, either ``{seed: value}`` (the seeds both share are used) or
            two sequences of equal length in the same seed order (seeds 0, 1, …).

    Returns:
        A :class:`PairedComparison` of B − A.
    """
    if not isinstance(a, Mapping):
        a = dict(enumerate(a))
    if not isinstance(b, Mapping):
        if len(b) != len(a):
            raise ValueError(f"the arms have {len(a)} and {len(b)} values; pair them by seed")
        b = dict(enumerate(b))
    seeds = tuple(s for s in a if s in b)
    if not seeds:
        raise ValueError("the two arms share no seed; a paired comparison needs the same seeds")
    va = np.array([a[s] for s in seeds], dtype=float)
    vb = np.array([b[s] for s in seeds], dtype=float)
    diff = vb - va
    n = len(diff)
    if n > 1:
        std = float(diff.std(ddof=1))
        half = t_quantile_975(n - 1) * std / math.sqrt(n)
        ci = (float(diff.mean() - half), float(diff.mean() + half))
    else:
        std, ci = math.nan, (math.nan, math.nan)
    return PairedComparison(
        seeds=seeds,
        a=tuple(va.tolist()),
        b=tuple(vb.tolist()),
        mean_diff=float(diff.mean()),
        std_diff=std,
        ci95=ci,
        higher=int((diff > 0).sum()),
        lower=int((diff < 0).sum()),
        ties=int((diff == 0).sum()),
    )


def paired_table(
    a: Mapping[int, float],
    b: Mapping[int, float],
    names: tuple[str, str] = ("A", "B"),
    digits: int = 1,
) -> str:
    """A text table: one row per shared seed (A, B, B − A), then the mean row and the
    paired 95 % interval (see :func:`paired_comparison`)."""
    comparison = paired_comparison(a, b)
    name_a, name_b = names
    width = max(12, len(name_a), len(name_b))
    lines = [f"{'seed':>6} {name_a:>{width}} {name_b:>{width}} {'B − A':>9}"]
    for seed, x, y in zip(comparison.seeds, comparison.a, comparison.b, strict=True):
        lines.append(
            f"{seed:>6} {x:>{width}.{digits}f} {y:>{width}.{digits}f} {y - x:>+9.{digits}f}"
        )
    lines.append(
        f"{'mean':>6} {np.mean(comparison.a):>{width}.{digits}f} "
        f"{np.mean(comparison.b):>{width}.{digits}f} {comparison.mean_diff:>+9.{digits}f}"
    )
    lines.append(comparison.summary(name_a, name_b, digits))
    return "\n".join(lines)
