"""One-sided label smoothing (§3.4): the smoothed loss, D* and the confidence measurements."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from ganlab.data import ring_mixture
from ganlab.losses import discriminator_loss
from ganlab.nets import MLPDiscriminator, MLPGenerator
from ganlab.training import Trainer
from ganlab.tricks import (
    SmoothedDiscriminatorObjective,
    confidence_tracker,
    discriminator_confidence,
    optimal_discriminator,
)


def _soft_bce(logits: list[float], target: float) -> float:
    """Mean of −[t log σ(l) + (1 − t) log(1 − σ(l))], by hand in float64."""
    total = 0.0
    for logit in logits:
        p = 1.0 / (1.0 + math.exp(-logit))
        total -= target * math.log(p) + (1 - target) * math.log(1 - p)
    return total / len(logits)


@pytest.mark.parametrize(("alpha", "beta"), [(1.0, 0.0), (0.9, 0.0), (0.75, 0.0), (0.9, 0.1)])
def test_smoothed_loss_is_bce_with_soft_targets(device: torch.device, alpha, beta) -> None:
    generator = torch.Generator().manual_seed(0)
    real = (2 * torch.randn(7, generator=generator, dtype=torch.float64)).tolist()
    fake = (2 * torch.randn(5, generator=generator, dtype=torch.float64) - 1).tolist()
    got = discriminator_loss(
        torch.tensor(real, device=device, dtype=torch.float64),
        torch.tensor(fake, device=device, dtype=torch.float64),
        real_target=alpha,
        fake_target=beta,
    )
    expected = _soft_bce(real, alpha) + _soft_bce(fake, beta)
    assert got.item() == pytest.approx(expected, rel=1e-12)


def test_smoothed_loss_is_stable_for_huge_logits() -> None:
    real = torch.tensor([200.0, -200.0])
    fake = torch.tensor([300.0, -300.0])
    value = discriminator_loss(real, fake, real_target=0.9)
    # −[0.9 log σ(l) + 0.1 log(1 − σ(l))] → 0.1·l for l → +∞ and 0.9·|l| for l → −∞
    expected = (0.1 * 200 + 0.9 * 200) / 2 + 300 / 2
    assert value.item() == pytest.approx(expected, rel=1e-5)
    logits = torch.tensor([50.0, -50.0], requires_grad=True)
    discriminator_loss(logits, torch.tensor([0.0]), real_target=0.9).backward()
    # d/dl = σ(l) − α, per example, divided by the batch of 2
    torch.testing.assert_close(logits.grad, torch.tensor([0.1, -0.9]) / 2)


def test_smoothed_logit_optimum_is_the_log_odds_of_alpha() -> None:
    """With only real examples, the loss is minimal at σ(l) = α, i.e. l = log(α / (1 − α))."""
    logit = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([logit], lr=1, max_iter=100)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        # the fake term is a constant: one fake example with a fixed logit
        loss = discriminator_loss(logit, torch.tensor([-30.0]), real_target=0.9)
        loss.backward()
        return loss

    optimizer.step(closure)
    assert logit.item() == pytest.approx(math.log(9), abs=1e-4)


def test_optimal_discriminator_formula() -> None:
    p_data = np.array([0.0, 0.5, 1.0, 2.0, 0.0])
    p_model = np.array([1.0, 0.5, 0.0, 1.0, 3.0])
    for alpha, beta in [(1.0, 0.0), (0.9, 0.0), (0.9, 0.1)]:
        got = optimal_discriminator(p_data, p_model, alpha, beta)
        expected = [(alpha * d + beta * m) / (d + m) for d, m in zip(p_data, p_model, strict=True)]
        np.testing.assert_allclose(got, expected, rtol=1e-15)
    # no smoothing: D* = p_data / (p_data + p_model), 1/2 where the densities agree
    assert optimal_discriminator(1.0, 1.0) == 0.5
    # two-sided smoothing: where only the model puts mass, D* = β, not 0
    assert optimal_discriminator(0.0, 2.0, 0.9, 0.1) == pytest.approx(0.1)


def test_optimal_discriminator_with_tensors_and_broadcasting(device: torch.device) -> None:
    p_data = torch.tensor([[1.0], [3.0]], device=device)
    p_model = torch.tensor([1.0, 3.0], device=device)
    got = optimal_discriminator(p_data, p_model, alpha=0.9)
    assert isinstance(got, torch.Tensor) and got.shape == (2, 2)
    expected = torch.tensor([[0.45, 0.9 / 4], [0.9 * 3 / 4, 0.45]], device=device)
    torch.testing.assert_close(got, expected)


def test_optimal_discriminator_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="p_model must be a density"):
        optimal_discriminator(np.array([1.0]), np.array([-0.1]))
    with pytest.raises(ValueError, match="p_data must be a density"):
        optimal_discriminator(torch.tensor([float("nan")]), torch.tensor([1.0]))
    with pytest.raises(ValueError, match="alpha"):
        optimal_discriminator(1.0, 1.0, alpha=1.5)
    with pytest.raises(ValueError, match="real_target"):
        SmoothedDiscriminatorObjective(-0.1)
    assert math.isnan(optimal_discriminator(0.0, 0.0))


def test_objective_and_confidence_measurements() -> None:
    torch.manual_seed(0)
    trainer = Trainer(
        MLPGenerator(2, 2, 16, 2),
        MLPDiscriminator(2, 16, 2),
        ring_mixture(),
        d_objective=SmoothedDiscriminatorObjective(0.9),
        batch_size=32,
        callbacks=[confidence_tracker(64, 2)],
        device="cpu",
        progress=False,
    ).fit(4)
    assert [step for step, _ in trainer.metrics["confidence"]] == [2, 4]
    torch.manual_seed(5)
    measured = discriminator_confidence(trainer, 64)
    torch.manual_seed(5)
    real = trainer.real_data(64, trainer.device)
    fake = trainer.sample(64).requires_grad_(True)
    logits = trainer.discriminator(fake)
    # per sample: d softplus(−l(x)) / dx = −σ(−l(x)) ∂l/∂x
    (dl_dx,) = torch.autograd.grad(logits.sum(), fake)
    expected = (torch.sigmoid(-logits.detach())[:, None] * dl_dx).norm(dim=1).mean()
    assert measured["g_grad_norm"] == pytest.approx(expected.item(), rel=1e-5)
    with torch.no_grad():
        assert measured["real_logit"] == pytest.approx(trainer.discriminator(real).mean().item())
