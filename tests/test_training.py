import pytest
import torch

from ganlab.config import seed_everything
from ganlab.data import ring_mixture
from ganlab.metrics import mode_coverage
from ganlab.nets import MLPDiscriminator, MLPGenerator
from ganlab.training import NonFiniteLossError, Trainer, every, frozen


def _trainer(device="cpu", seed=0, **kwargs):
    mix = ring_mixture(8, 2.0, 0.02)
    seed_everything(seed)  # the models' initial weights, before the trainer seeds training
    return Trainer(
        MLPGenerator(2, 2, 32, 2),
        MLPDiscriminator(2, 32, 2),
        mix,
        batch_size=32,
        seed=seed,
        device=device,
        progress=False,
        **kwargs,
    )


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


def test_vanilla_gan_moves_samples_onto_the_modes():
    mix = ring_mixture(8, 2.0, 0.05)
    seed_everything(0)
    trainer = Trainer(
        MLPGenerator(2, 2, 64, 2),
        MLPDiscriminator(2, 64, 2),
        mix,
        batch_size=64,
        lr=2e-3,
        seed=0,
        device="cpu",
        progress=False,
    )
    before = torch.cdist(trainer.sample(500), mix.centers).min(dim=1).values.mean()
    trainer.fit(600)
    after = torch.cdist(trainer.sample(500), mix.centers).min(dim=1).values.mean()
    assert after < 0.5 * before
    assert mode_coverage(trainer.sample(1000), mix.centers, mix.std).modes_covered >= 3


def test_d_steps_and_callbacks():
    calls = []
    trainer = _trainer(d_steps=3, callbacks=[every(5, lambda t: calls.append(t.step))])
    seen = []
    original = trainer.d_optimizer.step

    def counting_step(*args, **kwargs):
        seen.append(1)
        return original(*args, **kwargs)

    trainer.d_optimizer.step = counting_step
    trainer.fit(10)
    assert calls == [5, 10]
    assert len(seen) == 30


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


def test_nan_loss_stops_with_the_step():
    calls = {"n": 0}

    def exploding(discriminator, real, fake):
        calls["n"] += 1
        value = float("nan") if calls["n"] == 4 else 0.0
        return discriminator(real).mean() * 0 + value

    with pytest.raises(NonFiniteLossError, match="discriminator loss became nan at step 4"):
        _trainer(d_objective=exploding).fit(10)


def test_checkpoint_resume_reproduces_an_uninterrupted_run(tmp_path):
    path = tmp_path / "ckpt.pt"
    straight = _trainer(seed=5).fit(30)

    first = _trainer(seed=5, checkpoint_path=path, checkpoint_every=10)
    first.fit(20)
    resumed = _trainer(seed=99, checkpoint_path=path)  # a different seed: state must come from disk
    assert resumed.resume()
    assert resumed.step == 20
    resumed.fit(30)
    assert resumed.history == straight.history
    for a, b in zip(resumed.generator.parameters(), straight.generator.parameters(), strict=True):
        torch.testing.assert_close(a, b)


def test_interrupted_save_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.pt"
    trainer = _trainer()
    trainer.fit(2)
    trainer.save(path)
    good = path.read_bytes()

    def broken_save(obj, f, *args, **kwargs):
        f.write(b"half a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", broken_save)
    with pytest.raises(KeyboardInterrupt):
        trainer.save(path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.pt"]


def test_bad_configuration():
    with pytest.raises(ValueError, match="checkpoint_path"):
        _trainer(checkpoint_every=5)
    with pytest.raises(ValueError, match="total steps"):
        _trainer().fit(3).fit(1)


def test_frozen_restores_each_parameters_flag_even_after_an_error():
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 1))
    net[0].bias.requires_grad_(False)  # one parameter frozen by its owner beforehand
    before = [p.requires_grad for p in net.parameters()]
    x = torch.randn(5, 3, requires_grad=True)
    with frozen(net):
        assert not any(p.requires_grad for p in net.parameters())
        net(x).sum().backward()
    assert x.grad is not None and all(p.grad is None for p in net.parameters())
    assert [p.requires_grad for p in net.parameters()] == before
    with pytest.raises(RuntimeError, match="boom"), frozen(net):
        raise RuntimeError("boom")
    assert [p.requires_grad for p in net.parameters()] == before
