import math

import numpy as np
import pytest
import torch

from ganlab.data import ring_mixture
from ganlab.metrics import ModeCoverage, stability


def _coverage(counts, n_samples=2500, min_count=20):
    counts = torch.as_tensor(counts, dtype=torch.int64)
    return ModeCoverage(
        modes_covered=int((counts >= min_count).sum()),
        high_quality=float(counts.sum()) / n_samples,
        counts=counts,
        min_count=min_count,
    )


def _log(count_rows, every=100):
    return [(every * t, _coverage(row)) for t, row in enumerate(count_rows)]


def test_mode_histogram_normalises_counts_and_is_nan_without_samples():
    np.testing.assert_allclose(
        stability.mode_histogram(_coverage([1, 3, 0, 4])), [1 / 8, 3 / 8, 0, 4 / 8]
    )
    assert np.isnan(stability.mode_histogram(_coverage([0, 0, 0]))).all()


def test_mode_hopping_hand_computed_cases():
    # all mass on mode 0, then all on mode 1 (TV 1), then the same again (TV 0),
    # then half of it moved to mode 2 (TV 0.5)
    log = _log([[200, 0, 0], [0, 200, 0], [0, 200, 0], [0, 100, 100]])
    steps, tv = stability.mode_hopping(log, min_hq=100)
    np.testing.assert_array_equal(steps, [100, 200, 300])
    np.testing.assert_allclose(tv, [1.0, 0.0, 0.5])


def test_mode_hopping_matches_a_naive_loop_and_skips_thin_checkpoints():
    rng = np.random.default_rng(0)
    rows = rng.integers(0, 60, size=(12, 8))
    rows[4] = [5, 0, 0, 0, 0, 0, 0, 0]  # 5 high-quality samples: below min_hq
    log = _log(rows)
    _, tv = stability.mode_hopping(log, min_hq=50)
    for t in range(1, len(rows)):
        a, b = rows[t - 1], rows[t]
        if a.sum() < 50 or b.sum() < 50:
            assert math.isnan(tv[t - 1])
            continue
        expected = sum(abs(b[k] / b.sum() - a[k] / a.sum()) for k in range(8)) / 2
        assert tv[t - 1] == pytest.approx(expected)
    assert math.isnan(tv[3]) and math.isnan(tv[4])


def test_coverage_spread_looks_at_the_last_quarter():
    # modes covered per checkpoint: 0, 8, 8, 8, 1, 3, 5, 4 -> last 2 of 8: range of (5, 4) = 1
    rows = [[0] * 8, [30] * 8, [30] * 8, [30] * 8, [30] + [0] * 7]
    rows += [[30] * 3 + [0] * 5, [30] * 5 + [0] * 3, [30] * 4 + [0] * 4]
    log = _log(rows)
    assert [c.modes_covered for _, c in log] == [0, 8, 8, 8, 1, 3, 5, 4]
    assert stability.coverage_spread(log) == 1
    assert stability.coverage_spread(log, last_fraction=0.5) == 5 - 1  # (1, 3, 5, 4)
    assert stability.coverage_spread(log, last_fraction=1.0) == 8
    with pytest.raises(ValueError, match="last_fraction"):
        stability.coverage_spread(log, last_fraction=0)
    with pytest.raises(ValueError, match="eval_every"):
        stability.coverage_spread([])


class _Exploding:
    """A stand-in trainer whose fit raises the given error."""

    def __init__(self, error, finite=True):
        self.error = error
        value = 1.0 if finite else math.nan
        self.generator = torch.nn.Linear(1, 1)
        torch.nn.init.constant_(self.generator.weight, value)

    def fit(self, steps):
        if self.error is not None:
            raise self.error
        return self


def test_fit_or_diverge_counts_non_finite_losses_and_weights_only():
    assert stability.fit_or_diverge(_Exploding(None), 10) is False
    assert stability.fit_or_diverge(_Exploding(FloatingPointError("loss nan")), 10) is True
    assert stability.fit_or_diverge(_Exploding(ValueError("samples NaN"), finite=False), 10) is True
    with pytest.raises(ValueError, match="unrelated"):
        stability.fit_or_diverge(_Exploding(ValueError("unrelated"), finite=True), 10)


def test_records_failures_and_table():
    collapsed = stability.stability_record("a", 0, _log([[30] * 8, [300, 0, 0, 0, 0, 0, 0, 0]]))
    healthy = stability.stability_record("a", 1, _log([[30] * 8, [30] * 8]))
    diverged = stability.stability_record("b", 0, _log([[30] * 8]), diverged=True)
    assert collapsed.final_modes == 1 and collapsed.failed
    assert healthy.final_modes == 8 and not healthy.failed
    assert diverged.final_modes == 0 and diverged.failed
    assert collapsed.mean_hopping == pytest.approx(7 / 8)  # 1/8 per mode -> all on mode 0
    assert math.isnan(diverged.mean_hopping)  # a single checkpoint: no pair
    assert stability.failure_fraction([collapsed, healthy, diverged], "a") == 0.5
    assert stability.failure_fraction([collapsed, healthy, diverged], "b") == 1.0
    table = stability.stability_table([collapsed, healthy, diverged])
    assert "1 of 2 (0 diverged)" in table and "1 of 1 (1 diverged)" in table


def test_compare_stability_runs_a_tiny_gan_per_method_and_seed():
    mixture = ring_mixture(8, 2.0, 0.02)
    records = stability.compare_stability(
        mixture,
        {"x": {}, "y": {"lr": 2e-3}},
        seeds=[0, 1],
        steps=4,
        eval_every=2,
        hidden=8,
        eval_samples=50,
        progress=False,
    )
    assert [(r.method, r.seed) for r in records] == [("x", 0), ("x", 1), ("y", 0), ("y", 1)]
    assert all(list(r.steps) == [0, 2, 4] and len(r.hopping) == 2 for r in records)


def test_mean_hopping_averages_the_second_half_only():
    # TV per pair at steps 100..400: 1, 0, 0, 0.5; the second half (> 200) is 0 and 0.5
    record = stability.stability_record(
        "a", 0, _log([[200, 0], [0, 200], [0, 200], [0, 200], [100, 100]])
    )
    np.testing.assert_allclose(record.hopping, [1.0, 0.0, 0.0, 0.5])
    assert record.mean_hopping == pytest.approx(0.25)
    fig = stability.plot_stability([record])
    assert len(fig.axes) == 2


def test_per_seed_stability_drops_undefined_seeds():
    thin = stability.stability_record(
        "a", 0, _log([[5, 0], [0, 5]])
    )  # too few samples: NaN hopping
    moving = stability.stability_record("a", 1, _log([[200, 0], [0, 200]]))
    assert stability.per_seed_stability([thin, moving], "a", "mean_hopping") == {1: 1.0}
    assert stability.per_seed_stability([thin, moving], "a", "final_modes") == {0: 0.0, 1: 1.0}
    with pytest.raises(ValueError, match="measure"):
        stability.per_seed_stability([thin], "a", "hopping")
    with pytest.raises(ValueError, match="no records"):
        stability.per_seed_stability([thin], "b", "spread")
