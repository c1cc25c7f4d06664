import itertools
import math

import pytest
import torch

from ganlab.metrics import (
    class_histogram,
    diversity_table,
    mean_pairwise_distance,
    near_duplicate_fraction,
)


def test_mean_pairwise_distance_equals_a_loop_over_pairs():
    x = torch.randn(7, 2, 3, generator=torch.Generator().manual_seed(0))
    flat = x.flatten(1).tolist()
    pairs = list(itertools.combinations(range(7), 2))
    expected = sum(math.dist(flat[i], flat[j]) for i, j in pairs) / len(pairs)
    assert abs(mean_pairwise_distance(x) - expected) < 1e-9
    assert mean_pairwise_distance(torch.ones(5, 3)) == 0.0


def test_near_duplicates():
    x = torch.tensor([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [9.0, 9.0]])
    assert near_duplicate_fraction(x, threshold=0.5) == 0.5
    assert near_duplicate_fraction(x, threshold=10.0) == 1.0
    with pytest.raises(ValueError):
        near_duplicate_fraction(x[:1], 1.0)


class _ByMean(torch.nn.Module):
    """A stand-in classifier: class = round(mean pixel × 9)."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, x):
        label = (x.flatten(1).mean(1) * 9).round().long()
        return torch.nn.functional.one_hot(label, 10).float() + self.dummy


def test_class_histogram_counts_argmax_in_batches():
    images = torch.cat([torch.full((3, 1, 2, 2), 0.0), torch.full((4, 1, 2, 2), 1.0)])
    counts = class_histogram(images, _ByMean(), batch_size=2)
    assert counts.tolist() == [3, 0, 0, 0, 0, 0, 0, 0, 0, 4]


def test_class_histogram_runs_in_eval_mode_and_restores_the_modes():
    classifier = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Dropout(0.9), _ByMean())
    classifier[1].eval()  # a submodule left in eval mode stays there
    images = torch.full((5, 1, 2, 2), 1.0)
    assert class_histogram(images, classifier).tolist() == [0] * 9 + [5]  # dropout off
    assert [m.training for m in classifier] == [True, False, True]
    with pytest.raises(ValueError, match="expected"):
        class_histogram(images, classifier, num_classes=3)
    assert [m.training for m in classifier] == [True, False, True]


def test_diversity_table_rows_hold_the_two_measures():
    gen = torch.Generator().manual_seed(0)
    batches = {"spread": torch.rand(6, 1, 4, 4, generator=gen), "collapsed": torch.zeros(6, 3)}
    lines = diversity_table(batches, threshold=0.5).splitlines()
    assert "near-duplicates (< 0.5)" in lines[0]
    assert len(lines) == 3
    for line, (name, batch) in zip(lines[1:], batches.items(), strict=True):
        distance, duplicates = (float(v) for v in line.split()[-2:])
        assert line.startswith(name)
        assert distance == pytest.approx(mean_pairwise_distance(batch), abs=0.005)
        assert duplicates == pytest.approx(near_duplicate_fraction(batch, 0.5), abs=0.005)
    assert lines[2].split()[-2:] == ["0.00", "1.00"]
