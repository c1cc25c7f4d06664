import math

import pytest
import torch

from ganlab.metrics import kl_from_uniform, total_variation_from_uniform


def _naive_tv(counts):
    total, k = sum(counts), len(counts)
    return 0.5 * sum(abs(c / total - 1 / k) for c in counts)


def _naive_kl(counts):
    total, k = sum(counts), len(counts)
    kl = 0.0
    for c in counts:
        if c > 0:
            kl += (c / total) * math.log((c / total) / (1 / k))
    return kl


@pytest.mark.parametrize("seed", range(5))
def test_distances_match_a_naive_loop(seed):
    gen = torch.Generator().manual_seed(seed)
    counts = torch.randint(0, 50, (10,), generator=gen)
    counts[seed] = 0  # an empty class, where 0 log 0 = 0
    assert total_variation_from_uniform(counts) == pytest.approx(_naive_tv(counts.tolist()))
    assert kl_from_uniform(counts) == pytest.approx(_naive_kl(counts.tolist()))


def test_extremes_in_closed_form():
    flat = torch.full((10,), 7)
    one_class = torch.zeros(10, dtype=torch.int64)
    one_class[3] = 100
    assert total_variation_from_uniform(flat) == pytest.approx(0.0)
    assert kl_from_uniform(flat) == pytest.approx(0.0)
    assert total_variation_from_uniform(one_class) == pytest.approx(0.9)
    assert kl_from_uniform(one_class) == pytest.approx(math.log(10))
    # two of four classes, equally: TV = 1/2, KL = log 2
    assert total_variation_from_uniform(torch.tensor([5, 5, 0, 0])) == pytest.approx(0.5)
    assert kl_from_uniform(torch.tensor([5, 5, 0, 0])) == pytest.approx(math.log(2))


def test_depends_on_frequencies_not_on_sample_count():
    counts = torch.tensor([3, 1, 0, 6])
    assert total_variation_from_uniform(counts) == pytest.approx(
        total_variation_from_uniform(10 * counts)
    )
    assert kl_from_uniform(counts) == pytest.approx(kl_from_uniform(10 * counts))


@pytest.mark.parametrize(
    "bad", [torch.tensor([1, -1, 3]), torch.zeros(4), torch.tensor([5]), torch.ones(2, 3)]
)
def test_bad_histograms_raise(bad):
    with pytest.raises(ValueError):
        total_variation_from_uniform(bad)
    with pytest.raises(ValueError):
        kl_from_uniform(bad)
