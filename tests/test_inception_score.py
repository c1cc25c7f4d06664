"""The Inception score against torch-fidelity's reference implementation and closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganlab.metrics import inception_score

fidelity_isc = pytest.importorskip("torch_fidelity.metric_isc")


def _oracle(logits: torch.Tensor, splits: int, shuffle: bool, seed: int) -> tuple[float, float]:
    out = fidelity_isc.isc_features_to_metric(logits, splits=splits, shuffle=shuffle, rng_seed=seed)
    return out["inception_score_mean"], out["inception_score_std"]


@pytest.mark.parametrize(
    ("n", "k", "splits", "shuffle", "seed", "scale"),
    [
        (10, 3, 1, True, 2020, 1.0),
        (100, 10, 10, True, 2020, 3.0),
        (257, 10, 7, True, 1, 5.0),
        (500, 1008, 10, True, 7, 2.0),
        (64, 5, 3, False, 0, 10.0),
        (1000, 10, 10, False, 3, 0.3),
    ],
)
def test_equals_torch_fidelity(n, k, splits, shuffle, seed, scale) -> None:
    generator = torch.Generator().manual_seed(n + k)
    logits = scale * torch.randn(n, k, generator=generator)
    mean, std = inception_score(logits=logits, splits=splits, shuffle=shuffle, seed=seed)
    ref_mean, ref_std = _oracle(logits, splits, shuffle, seed)
    assert mean == pytest.approx(ref_mean, rel=1e-9)
    assert std == pytest.approx(ref_std, rel=1e-9, abs=1e-12)


def test_known_answer() -> None:
    # TorchGAN's test value (peers.md), given to 7 decimals (truncated: ours is 1.24357915)
    mean, std = inception_score(logits=torch.tensor([[1.0, 2, 3], [-1, 5, 3.1]]), splits=1)
    assert mean == pytest.approx(1.2435791, abs=1e-7)  # published to 7 decimals
    assert std == 0.0


def test_matches_a_naive_float64_loop() -> None:
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(30, 4)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    scores = []
    for part in np.split(probs, 3):  # no shuffle: consecutive thirds
        marginal = part.mean(0)
        kl = [sum(p[y] * math.log(p[y] / marginal[y]) for y in range(4)) for p in part]
        scores.append(math.exp(sum(kl) / len(kl)))
    mean, std = inception_score(logits=logits, splits=3, shuffle=False)
    assert mean == pytest.approx(np.mean(scores), rel=1e-12)
    assert std == pytest.approx(np.std(scores), rel=1e-10)


def test_probs_and_logits_give_the_same_score() -> None:
    logits = torch.randn(200, 10, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    from_logits = inception_score(logits=logits, splits=4, seed=3)
    from_probs = inception_score(probs=logits.softmax(1), splits=4, seed=3)
    assert from_probs == pytest.approx(from_logits, rel=1e-12)


@pytest.mark.parametrize("k", [2, 10, 1008])
def test_bounds_are_reached(k: int) -> None:
    confident_and_diverse = torch.eye(k).repeat(3, 1)  # (3K, K) one-hot, every class 3 times
    assert inception_score(probs=confident_and_diverse, splits=1)[0] == pytest.approx(k)
    one_class = torch.eye(k)[[0] * 20]  # confident but all the same
    assert inception_score(probs=one_class, splits=2)[0] == pytest.approx(1.0)
    uncertain = torch.full((20, k), 1.0 / k)  # diverse on average, never confident
    assert inception_score(probs=uncertain, splits=2)[0] == pytest.approx(1.0)


def test_large_logits_stay_finite() -> None:
    logits = torch.tensor([[1000.0, 0.0], [0.0, 1000.0]])  # softmax rounds to exactly 0 and 1
    assert inception_score(logits=logits, splits=1)[0] == pytest.approx(2.0)


def test_shuffle_is_deterministic_for_a_seed_and_depends_on_it() -> None:
    ordered = torch.eye(10).repeat_interleave(20, dim=0)  # (200, 10), sorted by class
    assert inception_score(probs=ordered, splits=10, seed=5) == inception_score(
        probs=ordered, splits=10, seed=5
    )
    assert inception_score(probs=ordered, splits=10, seed=5) != inception_score(
        probs=ordered, splits=10, seed=6
    )
    # without shuffling, every split of class-ordered samples holds one class: score 1
    assert inception_score(probs=ordered, splits=10, shuffle=False) == pytest.approx((1.0, 0.0))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "exactly one of logits= and probs="),
        ({"logits": torch.zeros(4, 3), "probs": torch.ones(4, 3) / 3}, "exactly one"),
        ({"logits": torch.zeros(12)}, "shape (N, K)"),
        ({"logits": torch.zeros(2, 3, 4)}, "got shape (2, 3, 4)"),
        ({"logits": torch.zeros(5, 3), "splits": 10}, "5 samples cannot be cut into 10 splits"),
        ({"logits": torch.zeros(5, 3), "splits": 0}, "splits must be a positive int"),
        ({"probs": torch.tensor([[1.5, -0.5], [0.5, 0.5]]), "splits": 1}, "non-negative"),
        ({"probs": torch.tensor([[0.5, 0.4], [0.5, 0.5]]), "splits": 1}, "row 0 sums to 0.9"),
        ({"probs": torch.tensor([[2.0, 3.0]]), "splits": 1}, "did you pass logits as probs"),
        ({"logits": torch.tensor([[0.0, float("nan")], [1, 2]]), "splits": 1}, "NaN or inf"),
        ({"logits": torch.tensor([[0.0, 1], [1, float("inf")]]), "splits": 1}, "first in row 1"),
        ({"logits": [[0.0, 1.0]], "splits": 1}, "torch.Tensor or a NumPy array"),
    ],
)
def test_invalid_inputs_are_explained(kwargs: dict, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=None) as info:
        inception_score(**kwargs)
    assert message in str(info.value)


def test_accepts_numpy_and_float32() -> None:
    logits = np.random.default_rng(2).normal(size=(50, 5)).astype(np.float32)
    assert inception_score(logits=logits, splits=5) == pytest.approx(
        _oracle(torch.from_numpy(logits), 5, True, 2020), rel=1e-9
    )
