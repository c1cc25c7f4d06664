import math
import statistics

import numpy as np
import pytest

from ganlab.stats import describe, paired_comparison, paired_table, t_quantile_975


def test_t_quantiles_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    for df in [1, 2, 4, 9, 30, 31, 200]:
        expected = stats.t.ppf(0.975, df) if df <= 30 else stats.norm.ppf(0.975)
        assert t_quantile_975(df) == pytest.approx(expected, abs=1e-4 if df <= 30 else 0.04)
    with pytest.raises(ValueError, match="degree"):
        t_quantile_975(0)


def test_describe_uses_the_sample_std_and_drops_it_for_one_seed():
    values = [3, 5, 3, 3, 5]
    assert describe(values) == f"{statistics.fmean(values):.1f} ± {statistics.stdev(values):.1f}"
    assert describe([7.25], digits=2) == "7.25"
    with pytest.raises(ValueError, match="at least one"):
        describe([])


def test_paired_comparison_against_a_hand_computation_and_scipy():
    a = {0: 3.0, 1: 5.0, 2: 3.0, 3: 3.0, 4: 5.0, 9: 1.0}
    b = {0: 7.0, 1: 3.0, 2: 7.0, 3: 3.0, 4: 6.0}  # seed 9 missing: ignored
    c = paired_comparison(a, b)
    diffs = [4.0, -2.0, 4.0, 0.0, 1.0]
    assert c.seeds == (0, 1, 2, 3, 4)
    assert c.mean_diff == pytest.approx(statistics.fmean(diffs))
    assert c.std_diff == pytest.approx(statistics.stdev(diffs))
    assert (c.higher, c.lower, c.ties) == (3, 1, 1)
    stats = pytest.importorskip("scipy.stats")
    low, high = stats.t.interval(0.95, 4, loc=np.mean(diffs), scale=stats.sem(diffs))
    assert c.ci95 == pytest.approx((low, high), abs=1e-3)
    assert not c.significant  # the interval contains 0
    assert paired_comparison([0, 0, 0, 0], [2.0, 2.5, 3.0, 2.0]).significant


def test_one_seed_has_no_interval_and_bad_pairs_are_refused():
    c = paired_comparison({4: 1.0}, {4: 2.5})
    assert c.mean_diff == 1.5 and math.isnan(c.std_diff) and math.isnan(c.ci95[0])
    assert "interval" not in c.summary()
    with pytest.raises(ValueError, match="share no seed"):
        paired_comparison({0: 1.0}, {1: 1.0})
    with pytest.raises(ValueError, match="pair them"):
        paired_comparison([1.0, 2.0], [1.0])


def test_paired_table_rows_and_summary():
    table = paired_table({0: 1.0, 1: 2.0}, {0: 4.0, 1: 4.0}, names=("vanilla", "trick"))
    lines = table.splitlines()
    assert "vanilla" in lines[0] and "trick" in lines[0]
    assert lines[1].split() == ["0", "1.0", "4.0", "+3.0"]
    assert lines[3].split()[:4] == ["mean", "1.5", "4.0", "+2.5"]
    assert lines[4].startswith("trick − vanilla: +2.5 (95 % t-interval")
