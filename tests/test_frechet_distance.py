"""The Fréchet distance against torch-fidelity's FID and closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.metrics import feature_statistics, frechet_distance, frechet_distance_from_statistics

fidelity_fid = pytest.importorskip("torch_fidelity.metric_fid")


def _oracle(a: torch.Tensor, b: torch.Tensor) -> float:
    stats_a = fidelity_fid.fid_features_to_statistics(a.double())
    stats_b = fidelity_fid.fid_features_to_statistics(b.double())
    return fidelity_fid.fid_statistics_to_metric(stats_a, stats_b, verbose=False)[
        "frechet_inception_distance"
    ]


@pytest.mark.parametrize(
    ("n", "m", "f", "shift", "scale"),
    [
        (50, 50, 3, 0.5, 1.0),
        (200, 150, 16, 1.0, 2.0),
        (500, 400, 64, 0.1, 0.5),
        (300, 300, 128, 0.0, 1.0),
    ],
)
def test_equals_torch_fidelity(n: int, m: int, f: int, shift: float, scale: float) -> None:
    generator = torch.Generator().manual_seed(n + f)
    mixing = torch.randn(f, f, generator=generator) / f**0.5  # correlated features
    a = torch.randn(n, f, generator=generator) @ mixing
    b = scale * torch.randn(m, f, generator=generator) @ mixing + shift
    assert frechet_distance(a, b) == pytest.approx(_oracle(a, b), rel=1e-6)


def test_closed_form_for_diagonal_gaussians() -> None:
    # N(μ_a, diag(s_a²)) vs N(μ_b, diag(s_b²)): d² = ||μ_a − μ_b||² + Σ (s_a − s_b)²
    mu_a, mu_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    s_a, s_b = np.array([1.0, 2.0, 0.5]), np.array([3.0, 1.0, 0.5])
    value = frechet_distance_from_statistics(mu_a, np.diag(s_a**2), mu_b, np.diag(s_b**2))
    assert value == pytest.approx(((mu_a - mu_b) ** 2).sum() + ((s_a - s_b) ** 2).sum())


def test_same_features_give_zero_and_order_does_not_matter() -> None:
    x = torch.randn(100, 8, generator=torch.Generator().manual_seed(0))
    y = torch.randn(80, 8, generator=torch.Generator().manual_seed(1)) + 0.3
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-9)
    assert frechet_distance(x, y) == pytest.approx(frechet_distance(y, x), rel=1e-9)


def test_rank_deficient_covariances() -> None:
    # fewer samples than features: singular covariances, still finite and >= 0
    generator = torch.Generator().manual_seed(3)
    a, b = torch.randn(10, 32, generator=generator), torch.randn(12, 32, generator=generator)
    assert frechet_distance(a, b) == pytest.approx(_oracle(a, b), rel=1e-6)
    assert frechet_distance(a, b) > 0


def test_statistics_use_ddof_1() -> None:
    x = np.array([[0.0, 1.0], [2.0, 5.0], [4.0, 3.0]])
    mu, sigma = feature_statistics(x)
    np.testing.assert_allclose(mu, [2.0, 3.0])
    np.testing.assert_allclose(sigma, np.cov(x.T, ddof=1))


@pytest.mark.parametrize(
    ("a", "b", "message"),
    [
        (torch.zeros(10), torch.zeros(10, 2), "features_a must have shape (N, F)"),
        (torch.zeros(10, 2), torch.zeros(10, 3), "same number of features; got 2 and 3"),
        (torch.zeros(1, 2), torch.zeros(10, 2), "at least 2 samples"),
        (torch.zeros(4, 2), torch.tensor([[0.0, float("nan")], [1, 1]]), "NaN or inf"),
        ([[0.0, 1.0], [1.0, 0.0]], torch.zeros(3, 2), "torch.Tensor or a NumPy array"),
    ],
)
def test_invalid_inputs_are_explained(a, b, message: str) -> None:
    with pytest.raises((ValueError, TypeError)) as info:
        frechet_distance(a, b)
    assert message in str(info.value)


def test_statistics_shapes_are_checked() -> None:
    with pytest.raises(ValueError, match="sigma_b must have shape"):
        frechet_distance_from_statistics(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))
    with pytest.raises(ValueError, match="mu_b must have shape"):
        frechet_distance_from_statistics(np.zeros(2), np.eye(2), np.zeros(3), np.eye(2))
