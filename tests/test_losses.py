import pytest
import torch

from ganlab import losses


def _naive_bce(logits, target):
    p = torch.sigmoid(logits.double())
    return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()


def test_discriminator_loss_equals_naive_formula(device):
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(64, generator=gen).to(device)
    fake = torch.randn(32, 1, generator=gen).to(device)
    for rt, ft in ((1.0, 0.0), (0.9, 0.0), (0.8, 0.1)):
        got = losses.discriminator_loss(real, fake, rt, ft)
        expected = _naive_bce(real, rt) + _naive_bce(fake.flatten(), ft)
        torch.testing.assert_close(got.double(), expected, rtol=1e-5, atol=1e-6)


def test_generator_losses_equal_their_formulas():
    fake = torch.randn(50, dtype=torch.float64)
    p = torch.sigmoid(fake)
    torch.testing.assert_close(losses.generator_loss(fake, "minimax"), torch.log(1 - p).mean())
    torch.testing.assert_close(losses.generator_loss(fake, "nonsaturating"), -torch.log(p).mean())


def test_losses_are_finite_at_extreme_logits():
    extreme = torch.tensor([-1000.0, 1000.0])
    assert torch.isfinite(losses.discriminator_loss(extreme, extreme))
    for kind in losses.GENERATOR_LOSSES:
        assert torch.isfinite(losses.generator_loss(extreme, kind))


def test_minimax_saturates_where_nonsaturating_does_not():
    logit = torch.tensor([-10.0], dtype=torch.float64, requires_grad=True)
    (g_minimax,) = torch.autograd.grad(losses.generator_loss(logit, "minimax"), logit)
    (g_ns,) = torch.autograd.grad(losses.generator_loss(logit, "nonsaturating"), logit)
    sigma = torch.sigmoid(logit.detach())
    torch.testing.assert_close(g_minimax, -sigma)  # d/dl log(1 - σ(l)) = -σ(l)
    torch.testing.assert_close(g_ns, sigma - 1)  # d/dl -log σ(l) = σ(l) - 1
    assert abs(g_minimax.item()) < 1e-4 < abs(g_ns.item())


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind must be one of"):
        losses.generator_loss(torch.zeros(3), "wasserstein")
    with pytest.raises(ValueError, match="real_target"):
        losses.discriminator_loss(torch.zeros(3), torch.zeros(3), real_target=1.5)
    with pytest.raises(TypeError):
        losses.discriminator_loss(torch.zeros(3, dtype=torch.long), torch.zeros(3))
