"""Two-sided label smoothing (§3.4): β > 0 lets D settle at β where only the model has mass,
and :func:`off_data_report` measures what D says and does about samples off the data."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from ganlab.tricks.label_smoothing import (
    SmoothedDiscriminatorObjective,
    off_data_report,
    optimal_discriminator,
)


class _TableDiscriminator(nn.Module):
    """One free logit per point of a finite set: inputs are (N, 1) point indices."""

    def __init__(self, points: int):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(points, dtype=torch.float64))

    def forward(self, x: Tensor) -> Tensor:
        return self.logits[x[:, 0].long()]  # (N,)


class _LinearDiscriminator(nn.Module):
    """logit(x) = w·x + b, whose D and push have closed forms."""

    def __init__(self, w: list[float], b: float):
        super().__init__()
        self.w = nn.Parameter(torch.tensor(w, dtype=torch.float64))
        self.b = nn.Parameter(torch.tensor(b, dtype=torch.float64))

    def forward(self, x: Tensor) -> Tensor:
        return x @ self.w + self.b  # (N,)


@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 0.0), (0.9, 0.0), (0.9, 0.1), (0.9, 0.3)])
def test_trained_objective_reaches_the_optimal_discriminator(alpha, beta) -> None:
    """A D free at every point, trained on the smoothed objective, ends at D* of the formula.

    Point 0 only real, point 1 only generated (the generator's misplaced mass), point 2
    both, point 3 real three times as often as generated.
    """
    real = torch.tensor([0, 0, 2, 2, 3, 3, 3], dtype=torch.float64)[:, None]  # (7, 1)
    fake = torch.tensor([1, 1, 1, 2, 2, 3], dtype=torch.float64)[:, None]  # (6, 1)
    p_data = np.bincount(real[:, 0].long(), minlength=4) / len(real)
    p_model = np.bincount(fake[:, 0].long(), minlength=4) / len(fake)
    discriminator = _TableDiscriminator(4)
    objective = SmoothedDiscriminatorObjective(alpha, beta)
    optimizer = torch.optim.LBFGS(discriminator.parameters(), lr=1, max_iter=500)

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = objective(discriminator, real, fake)
        loss.backward()
        return loss

    optimizer.step(closure)
    got = torch.sigmoid(discriminator.logits.detach()).numpy()
    expected = optimal_discriminator(p_data, p_model, alpha, beta)
    # with α = 1, β = 0 points 0 and 1 are at ±∞: compare where D* is interior
    interior = (expected > 0) & (expected < 1)
    np.testing.assert_allclose(got[interior], expected[interior], atol=1e-5)
    if beta > 0:
        # where only the model has mass, D settles at β instead of calling it fake
        assert got[1] == pytest.approx(beta, abs=1e-5)
    else:
        assert got[1] < 1e-3


def _naive_nearest(samples: Tensor, centers: Tensor) -> list[float]:
    """Distance from each sample to its nearest centre, by two loops."""
    out = []
    for s in samples.tolist():
        out.append(min(math.dist(s, c) for c in centers.tolist()))
    return out


def test_off_data_report_against_closed_forms() -> None:
    generator = torch.Generator().manual_seed(0)
    centers = torch.tensor([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    std = 0.1
    near = centers[torch.randint(0, 3, (40,), generator=generator)]
    near = near + 0.05 * torch.randn(40, 2, generator=generator, dtype=torch.float64)
    far = 3 * torch.rand(25, 2, generator=generator, dtype=torch.float64) - 0.5
    samples = torch.cat([near, far])  # (65, 2)
    w, b = [0.7, -1.3], 0.4
    discriminator = _LinearDiscriminator(w, b)
    report = off_data_report(samples, centers, std, discriminator, radius=6.0)

    dist = _naive_nearest(samples, centers)
    off = [i for i, d in enumerate(dist) if d > 6 * std]
    on = [i for i, d in enumerate(dist) if d <= 3 * std]
    assert 0 < len(off) < len(samples) and on
    assert report.fraction == pytest.approx(len(off) / len(samples))

    def d_of(i: int) -> float:
        x = samples[i].tolist()
        return 1 / (1 + math.exp(-(w[0] * x[0] + w[1] * x[1] + b)))

    assert report.d_off == pytest.approx(np.mean([d_of(i) for i in off]), rel=1e-12)
    assert report.d_on == pytest.approx(np.mean([d_of(i) for i in on]), rel=1e-12)
    # −log σ(w·x + b) has gradient −(1 − σ) w: its norm is (1 − D(x)) ‖w‖
    norm_w = math.hypot(*w)
    expected_force = np.mean([(1 - d_of(i)) * norm_w for i in off])
    assert report.force_off == pytest.approx(expected_force, rel=1e-12)
    # D is only measured: no gradient left on it, its flags as before
    assert all(p.grad is None and p.requires_grad for p in discriminator.parameters())


def test_off_data_report_without_off_data_samples_and_bad_input() -> None:
    centers = torch.tensor([[0.0, 0.0], [1.0, 1.0]])
    samples = torch.tensor([[0.01, 0.0], [1.0, 0.99]])
    report = off_data_report(samples, centers, 0.05, _LinearDiscriminator([1.0, 1.0], 0.0).float())
    assert report.fraction == 0.0 and math.isnan(report.d_off) and math.isnan(report.force_off)
    assert not math.isnan(report.d_on)
    discriminator = _LinearDiscriminator([1.0, 1.0], 0.0).float()
    with pytest.raises(ValueError, match="same D"):
        off_data_report(torch.zeros(3, 3), centers, 0.05, discriminator)
    with pytest.raises(ValueError, match="std and radius"):
        off_data_report(samples, centers, 0.0, discriminator)
    with pytest.raises(ValueError, match="empty"):
        off_data_report(torch.zeros(0, 2), centers, 0.05, discriminator)
