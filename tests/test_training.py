import copy

import pytest
import torch
import torch.nn.functional as F

from ganlab.config import seed_everything
from ganlab.data import ring_mixture
from ganlab.metrics import mode_coverage
from ganlab.nets import MLPDiscriminator, MLPGenerator
from ganlab.training import Trainer, every


def _trainer(device="cpu", seed=0, batch_size=32, **kwargs):
    seed_everything(seed)  # the models' initial weights, batches and noise
    return Trainer(
        MLPGenerator(2, 2, 32, 2),
        MLPDiscriminator(2, 32, 2),
        ring_mixture(8, 2.0, 0.02),
        batch_size=batch_size,
        device=device,
        progress=False,
        **kwargs,
    )


def test_one_step_equals_a_hand_written_d_step_then_g_step():
    """Oracle: the same step written in plain PyTorch, from the same weights and seed."""
    mixture = ring_mixture(8, 2.0, 0.02)
    torch.manual_seed(0)
    G, D = MLPGenerator(4, 2, 16, 2), MLPDiscriminator(2, 16, 2)
    G_ref, D_ref = copy.deepcopy(G), copy.deepcopy(D)

    trainer = Trainer(G, D, mixture, lr=1e-2, d_lr=3e-3, batch_size=8, device="cpu", progress=False)
    torch.manual_seed(7)
    d_loss, g_loss = trainer.train_step()

    opt_g = torch.optim.Adam(G_ref.parameters(), lr=1e-2, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D_ref.parameters(), lr=3e-3, betas=(0.5, 0.999))
    torch.manual_seed(7)
    # D step: -mean log sigmoid(D(x)) - mean log(1 - sigmoid(D(G(z)))), G's samples detached
    real = mixture(8, "cpu")
    fake = G_ref(torch.randn(8, 4)).detach()
    d_ref = -F.logsigmoid(D_ref(real)).mean() - torch.log1p(-torch.sigmoid(D_ref(fake))).mean()
    opt_d.zero_grad()
    d_ref.backward()
    opt_d.step()
    # G step: -mean log sigmoid(D(G(z))) with D's weights untouched
    mixture(8, "cpu")  # the trainer draws a real batch for G's objective too
    g_ref = -F.logsigmoid(D_ref(G_ref(torch.randn(8, 4)))).mean()
    opt_g.zero_grad()
    g_ref.backward()
    opt_g.step()

    assert d_loss == pytest.approx(d_ref.item(), abs=1e-6)
    assert g_loss == pytest.approx(g_ref.item(), abs=1e-6)
    for net, ref in ((G, G_ref), (D, D_ref)):
        for p, q in zip(net.parameters(), ref.parameters(), strict=True):
            torch.testing.assert_close(p, q, atol=1e-6, rtol=0)


def test_the_g_step_computes_no_gradients_for_d():
    trainer = _trainer()
    step, after_d_step = trainer.d_optimizer.step, []

    def recording_step(*args, **kwargs):
        after_d_step.extend(p.grad.clone() for p in trainer.discriminator.parameters())
        return step(*args, **kwargs)

    trainer.d_optimizer.step = recording_step
    trainer.train_step()
    # D's gradients are still those of its own step: G's backward added nothing to them
    for p, grad in zip(trainer.discriminator.parameters(), after_d_step, strict=True):
        assert torch.equal(p.grad, grad)
    assert all(p.requires_grad for p in trainer.discriminator.parameters())


def test_models_and_samples_live_on_the_device(device):
    trainer = _trainer(device).fit(3)
    assert trainer.sample(5).device.type == device.type
    assert next(trainer.generator.parameters()).device.type == device.type
    assert trainer.history["step"] == [1, 2, 3]


def test_seeded_cpu_runs_are_reproducible():
    a = _trainer(seed=1).fit(20)
    b = _trainer(seed=1).fit(20)
    assert a.history == b.history
    c = _trainer(seed=2).fit(20)
    assert a.history != c.history


def test_fit_continues_where_it_stopped():
    straight = _trainer(seed=4).fit(12)
    halves = _trainer(seed=4).fit(5).fit(12)
    assert halves.history == straight.history
    with pytest.raises(ValueError, match="total steps"):
        halves.fit(3)


def test_vanilla_gan_moves_samples_onto_the_modes():
    mix = ring_mixture(8, 2.0, 0.05)
    seed_everything(0)
    trainer = Trainer(
        MLPGenerator(2, 2, 64, 2),
        MLPDiscriminator(2, 64, 2),
        mix,
        batch_size=64,
        lr=2e-3,
        device="cpu",
        progress=False,
    )
    before = torch.cdist(trainer.sample(500), mix.centers).min(dim=1).values.mean()
    trainer.fit(600)
    after = torch.cdist(trainer.sample(500), mix.centers).min(dim=1).values.mean()
    assert after < 0.5 * before
    assert mode_coverage(trainer.sample(1000), mix.centers, mix.std).modes_covered >= 3


def test_callbacks_run_after_every_step_and_every_n():
    calls, all_steps = [], []
    trainer = _trainer(
        callbacks=[every(5, lambda t: calls.append(t.step)), lambda t: all_steps.append(t.step)]
    )
    trainer.fit(10)
    assert calls == [5, 10]
    assert all_steps == list(range(1, 11))
    with pytest.raises(ValueError, match="n >= 1"):
        every(0, print)


def test_pluggable_objectives_receive_real_and_fake():
    shapes = []

    def g_objective(discriminator, real, fake):
        shapes.append((real.shape, fake.shape))
        return (
            (discriminator.features(real).mean(0) - discriminator.features(fake).mean(0))
            .pow(2)
            .sum()
        )

    _trainer(g_objective=g_objective).fit(2)
    assert shapes == [(torch.Size([32, 2]), torch.Size([32, 2]))] * 2


@pytest.mark.parametrize("player", ["discriminator", "generator"])
def test_nan_loss_stops_with_the_step_and_the_player(player):
    calls = {"n": 0}

    def exploding(discriminator, real, fake):
        calls["n"] += 1
        value = float("nan") if calls["n"] == 4 else 0.0
        return discriminator(fake).mean() * 0 + value

    objective = {"d_objective" if player == "discriminator" else "g_objective": exploding}
    with pytest.raises(FloatingPointError, match=f"the {player} loss became nan at step 4"):
        _trainer(**objective).fit(10)


def test_bad_configuration():
    with pytest.raises(ValueError, match="batch_size"):
        _trainer(batch_size=0)
    with pytest.raises(ValueError, match="latent_dim"):
        Trainer(torch.nn.Linear(2, 2), MLPDiscriminator(2, 8, 1), ring_mixture(), device="cpu")
