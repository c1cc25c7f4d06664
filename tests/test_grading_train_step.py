"""Tests of exercise 00.5, one GAN training step written by the student.

The oracle is the course's engine: :meth:`ganlab.training.Trainer.train_step`, fed the same
weights, batches and noise, must give what the grader's reference step gives.  The student's
versions below are written the way a student would, one per classic mistake.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ganlab.grading.lessons import l00
from ganlab.training import Trainer


def _d_loss(D, real, fake):
    real_logits, fake_logits = D(real), D(fake)
    return F.binary_cross_entropy_with_logits(
        real_logits, torch.ones_like(real_logits)
    ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))


def _ns_loss(logits):
    return F.softplus(-logits).mean()


def _d_step(G, D, opt_d, real, z_d):
    """D's update on real samples and detached fakes, as every correct step does it."""
    d_loss = _d_loss(D, real, G(z_d).detach())
    opt_d.zero_grad()
    d_loss.backward()
    opt_d.step()
    return d_loss


def train_step(G, D, opt_g, opt_d, real, z_d, z_g):
    """A correct step: D on real and detached fakes, then G with D frozen."""
    d_loss = _d_step(G, D, opt_d, real, z_d)
    D.requires_grad_(False)
    g_loss = _ns_loss(D(G(z_g)))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    D.requires_grad_(True)
    return d_loss.item(), g_loss.item()


def unfrozen_step(G, D, opt_g, opt_d, real, z_d, z_g):
    """Also correct: D not frozen, but its gradients are zeroed before its own step."""
    opt_d.zero_grad()
    d_loss = _d_loss(D, real, G(z_d).detach())
    d_loss.backward()
    opt_d.step()
    opt_g.zero_grad()
    g_loss = _ns_loss(D(G(z_g)))
    g_loss.backward()
    opt_g.step()
    return float(d_loss), float(g_loss)


def saturating(G, D, opt_g, opt_d, real, z_d, z_g):
    d_loss = _d_step(G, D, opt_d, real, z_d)
    g_loss = -F.softplus(D(G(z_g))).mean()  # mean log(1 − σ(l))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def no_zero_grad(G, D, opt_g, opt_d, real, z_d, z_g):
    d_loss = _d_loss(D, real, G(z_d).detach())
    d_loss.backward()
    opt_d.step()
    g_loss = _ns_loss(D(G(z_g)))
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


def no_detach(G, D, opt_g, opt_d, real, z_d, z_g):
    opt_d.zero_grad()
    opt_g.zero_grad()
    d_loss = _d_loss(D, real, G(z_d))  # D's loss reaches G's gradients
    d_loss.backward()
    opt_d.step()
    D.requires_grad_(False)
    g_loss = _ns_loss(D(G(z_g)))
    g_loss.backward()
    opt_g.step()
    D.requires_grad_(True)
    return d_loss.item(), g_loss.item()


def g_moves_d(G, D, opt_g, opt_d, real, z_d, z_g):
    d_loss = _d_step(G, D, opt_d, real, z_d)
    g_loss = _ns_loss(D(G(z_g)))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    opt_d.step()  # "step both optimizers"
    return d_loss.item(), g_loss.item()


def g_first(G, D, opt_g, opt_d, real, z_d, z_g):
    D.requires_grad_(False)
    g_loss = _ns_loss(D(G(z_g)))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    D.requires_grad_(True)
    d_loss = _d_step(G, D, opt_d, real, z_d)
    return d_loss.item(), g_loss.item()


def reuse_noise(G, D, opt_g, opt_d, real, z_d, z_g):
    return train_step(G, D, opt_g, opt_d, real, z_d, z_d)


def fresh_adam(G, D, opt_g, opt_d, real, z_d, z_g):
    opt_g = torch.optim.Adam(G.parameters(), opt_g.param_groups[0]["lr"], betas=l00.BETAS)
    opt_d = torch.optim.Adam(D.parameters(), opt_d.param_groups[0]["lr"], betas=l00.BETAS)
    return train_step(G, D, opt_g, opt_d, real, z_d, z_g)


def left_frozen(G, D, opt_g, opt_d, real, z_d, z_g):
    d_loss = _d_step(G, D, opt_d, real, z_d)
    D.requires_grad_(False)  # never unfrozen
    g_loss = _ns_loss(D(G(z_g)))
    opt_g.zero_grad()
    g_loss.backward()
    opt_g.step()
    return d_loss.item(), g_loss.item()


CORRECT = {"00.5": train_step}
TARGETS: dict = {}  # lesson 00's list is in tests/test_grading.py
_HINTS = l00.STEP_MISTAKES
WRONG = {
    "00.5 saturating G loss": ("00.5", saturating, _HINTS["saturating"], [0, 1, 2]),
    "00.5 no zero_grad": (
        "00.5",
        no_zero_grad,
        {1: _HINTS["no zero_grad"], 2: _HINTS["no zero_grad"]},
        [1, 2],
    ),
    "00.5 fake not detached": ("00.5", no_detach, _HINTS["no detach"], [0, 1, 2]),
    "00.5 G's step moves D": ("00.5", g_moves_d, _HINTS["G's step moved D"], [0, 1, 2]),
    "00.5 G first": ("00.5", g_first, _HINTS["G first"], [0, 1, 2]),
    "00.5 z_d for G": ("00.5", reuse_noise, _HINTS["z_d for G"], [0, 1, 2]),
    "00.5 fresh Adam": (
        "00.5",
        fresh_adam,
        {1: _HINTS["fresh Adam"], 2: _HINTS["fresh Adam"]},
        [1, 2],
    ),
    "00.5 D left frozen": ("00.5", left_frozen, "was D left frozen", [1, 2]),
}


def test_the_reference_step_is_the_engines_step() -> None:
    """Trainer.train_step on the same weights, batches and noise moves both players alike."""
    G, D = l00._players(50)
    G.latent_dim = l00.LATENT  # what the trainer reads to draw z
    trainer = Trainer(G, D, lambda n, device: None, lr=1e-3, batch_size=16, device="cpu")
    reference = l00._play(l00._reference_step, 50, 3, 16, (1e-3, 1e-3))
    for step, (real, z_d, z_g) in enumerate(l00._batches(51, 3, 16)):
        trainer.real_data = lambda n, device, real=real: real
        noises = iter([z_d, z_g])
        trainer.noise = lambda n, noises=noises: next(noises)
        d_loss, g_loss = trainer.train_step()
        assert torch.allclose(l00._parameters(G, D), reference["parameters"][step], atol=1e-6)
        assert [d_loss, g_loss] == torch.tensor(reference["losses"][step]).tolist()


def test_a_step_that_leaves_d_frozen_is_correct_on_the_first_call() -> None:
    """The first call is right; the second fails on D's loss: the hint names the cause."""
    from ganlab.grading import get_exercise
    from ganlab.grading.core import run_cases

    result = run_cases(get_exercise("00.5"), left_frozen)
    assert result.cases[0].passed and not result.cases[1].passed
    assert "does not require grad" in result.cases[1].message


def test_not_freezing_d_is_fine_when_its_gradients_are_zeroed() -> None:
    from ganlab.grading import get_exercise
    from ganlab.grading.core import run_cases

    assert run_cases(get_exercise("00.5"), unfrozen_step).status == "passed"
