"""The official Adam (ε under the square root) against a naive loop and torch's Adam."""

import numpy as np
import pytest
import torch

from ganlab.semisupervised.optim import OfficialAdam, make_adam


def _naive_official_adam(p0, grads, lr, beta1, beta2, eps):
    """The official nn.adam_updates, one parameter, written out in float64 numpy."""
    p, m, v = p0.copy(), np.zeros_like(p0), np.zeros_like(p0)
    for t, g in enumerate(grads, start=1):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        p = p - lr * m_hat / np.sqrt(v_hat + eps)
    return p


@pytest.mark.parametrize("scale", [1.0, 1e-4, 1e-6])
def test_official_adam_equals_the_naive_loop(scale):
    rng = np.random.default_rng(0)
    p0 = rng.normal(size=(4, 3))
    grads = [scale * rng.normal(size=(4, 3)) for _ in range(12)]
    param = torch.tensor(p0, requires_grad=True)
    opt = OfficialAdam([param], lr=0.003, betas=(0.5, 0.999), eps=1e-8)
    for g in grads:
        param.grad = torch.tensor(g)
        opt.step()
    expected = _naive_official_adam(p0, grads, 0.003, 0.5, 0.999, 1e-8)
    np.testing.assert_allclose(param.detach().numpy(), expected, rtol=1e-12, atol=1e-15)


def test_without_eps_both_forms_are_torchs_adam():
    torch.manual_seed(0)
    a = torch.randn(6, dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_()
    opt_a = OfficialAdam([a], lr=0.01, betas=(0.5, 0.999), eps=0.0)
    opt_b = torch.optim.Adam([b], lr=0.01, betas=(0.5, 0.999), eps=0.0)
    for _ in range(10):
        g = torch.randn(6, dtype=torch.float64)
        a.grad, b.grad = g.clone(), g.clone()
        opt_a.step()
        opt_b.step()
    torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-15)


def test_the_torch_form_takes_smaller_steps_on_small_gradients():
    """With |g| = 1e-4 = √ε the official step is √2 times the torch form's (ε_torch = √ε)."""
    steps = {}
    for form in ("official", "torch"):
        p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
        opt = make_adam([p], lr=1.0, betas=(0.5, 0.999), form=form)
        p.grad = torch.full((1,), 1e-4, dtype=torch.float64)
        opt.step()
        steps[form] = -p.item()
    # one step: m̂ = g, v̂ = g²; official 1e-4 / √(2e-8), torch 1e-4 / (1e-4 + 1e-4)
    assert steps["official"] == pytest.approx(1 / np.sqrt(2), rel=1e-9)
    assert steps["torch"] == pytest.approx(0.5, rel=1e-9)
    assert isinstance(make_adam([p], 0.1, (0.5, 0.999), "torch"), torch.optim.Adam)


def test_bad_settings_are_refused():
    p = torch.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="lr must be > 0"):
        OfficialAdam([p], lr=0.0)
    with pytest.raises(ValueError, match="betas"):
        OfficialAdam([p], betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="form must be one of"):
        make_adam([p], 0.1, (0.5, 0.999), form="adamw")


def test_state_survives_a_checkpoint_round_trip(tmp_path):
    torch.manual_seed(0)
    p = torch.randn(3, requires_grad=True)
    opt = OfficialAdam([p], lr=0.01)
    p.grad = torch.randn(3)
    opt.step()
    torch.save(opt.state_dict(), tmp_path / "opt.pt")
    q = p.detach().clone().requires_grad_()
    other = OfficialAdam([q], lr=0.01)
    other.load_state_dict(torch.load(tmp_path / "opt.pt", weights_only=True))
    g = torch.randn(3)
    p.grad, q.grad = g.clone(), g.clone()
    opt.step()
    other.step()
    torch.testing.assert_close(p, q, rtol=0, atol=0)
