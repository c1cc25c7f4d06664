"""Historical averaging (§3.3): the running mean, the penalty and its trainer plug-in."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlab.data import ring_mixture
from ganlab.nets import MLPDiscriminator, MLPGenerator
from ganlab.training import Trainer
from ganlab.tricks import HistoricalAveraging, HistoricalAveragingCallback


def _random_walk(
    params: list[torch.Tensor], steps: int, seed: int, averaging: HistoricalAveraging
) -> list[list[torch.Tensor]]:
    """Move ``params`` in place ``steps`` times, updating ``averaging`` after each move;
    returns every snapshot, the start included."""
    generator = torch.Generator().manual_seed(seed)
    snapshots = [[p.detach().clone() for p in params]]
    with torch.no_grad():
        for _ in range(steps):
            for p in params:
                p.add_(torch.randn(p.shape, generator=generator, dtype=p.dtype).to(p.device))
            averaging.update()
            snapshots.append([p.detach().clone() for p in params])
    return snapshots


def test_running_mean_is_the_arithmetic_mean_of_all_snapshots(device: torch.device) -> None:
    params = [
        torch.randn(3, 4, dtype=torch.float64, device=device, requires_grad=True),
        torch.randn(5, dtype=torch.float64, device=device, requires_grad=True),
    ]
    averaging = HistoricalAveraging(params, weight=0.5)
    generator = torch.Generator().manual_seed(0)
    snapshots = [[p.detach().cpu().clone() for p in params]]
    for _ in range(200):
        with torch.no_grad():
            for p in params:
                p.add_(3.0 + torch.randn(p.shape, generator=generator, dtype=p.dtype).to(device))
        averaging.update()
        snapshots.append([p.detach().cpu().clone() for p in params])
    assert averaging.count == len(snapshots) == 201
    for i in range(len(params)):
        # the oracle: a plain sum in float64, divided once
        expected = sum(s[i] for s in snapshots) / len(snapshots)
        torch.testing.assert_close(averaging.means[i].cpu(), expected, rtol=0, atol=1e-12)


def test_the_mean_starts_at_the_initial_parameters() -> None:
    layer = nn.Linear(3, 2)
    averaging = HistoricalAveraging(layer, weight=1.0)
    assert averaging.count == 1
    assert averaging.penalty().item() == 0.0
    for mean, param in zip(averaging.means, layer.parameters(), strict=True):
        assert torch.equal(mean, param.detach())


def test_penalty_value_and_gradient_match_the_closed_form(device: torch.device) -> None:
    params = [torch.randn(4, 3, dtype=torch.float64, device=device, requires_grad=True)]
    weight = 0.3
    averaging = HistoricalAveraging(params, weight=weight)
    snapshots = _random_walk(params, 5, seed=1, averaging=averaging)
    mean = sum(s[0] for s in snapshots) / len(snapshots)
    theta = params[0]
    penalty = averaging.penalty()
    expected_value = weight * ((theta.detach() - mean) ** 2).sum()
    torch.testing.assert_close(penalty.detach(), expected_value, rtol=1e-12, atol=1e-12)
    (gradient,) = torch.autograd.grad(penalty, theta)
    # d/dθ w·||θ − θ̄||² = 2w(θ − θ̄): the mean is a constant
    torch.testing.assert_close(gradient, 2 * weight * (theta.detach() - mean), rtol=1e-12, atol=0)


def test_state_dict_round_trip_resumes_the_same_mean() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    averaging = HistoricalAveraging(model, weight=0.2)
    _random_walk(list(model.parameters()), 3, seed=2, averaging=averaging)
    state = averaging.state_dict()
    copy_model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)).double()
    copy_model.load_state_dict(model.state_dict())
    restored = HistoricalAveraging(copy_model, weight=1.0)
    restored.load_state_dict(state)
    assert restored.count == 4 and restored.weight == 0.2
    for a, b in zip(averaging.means, restored.means, strict=True):
        assert torch.equal(a, b)
    assert torch.equal(averaging.penalty(), restored.penalty())
    with pytest.raises(ValueError, match="shapes"):
        HistoricalAveraging(nn.Linear(5, 5)).load_state_dict(state)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_mean_follows_the_module_to_the_device() -> None:
    layer = nn.Linear(3, 2)
    averaging = HistoricalAveraging(layer)
    layer.to("cuda")
    assert averaging.penalty().device.type == "cuda"
    averaging.update()
    assert all(m.device.type == "cuda" for m in averaging.means)
    assert all(m.device.type == "cpu" for m in averaging.state_dict()["means"])


def test_averaged_copy_holds_the_mean() -> None:
    layer = nn.Linear(3, 2)
    averaging = HistoricalAveraging(layer)
    snapshots = _random_walk(list(layer.parameters()), 3, seed=3, averaging=averaging)
    averaged = averaging.averaged_copy(layer)
    for i, param in enumerate(averaged.parameters()):
        torch.testing.assert_close(param.detach(), sum(s[i] for s in snapshots) / 4)
    with pytest.raises(ValueError, match="whose parameters"):
        averaging.averaged_copy(nn.Linear(3, 2))


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="weight"):
        HistoricalAveraging(nn.Linear(2, 2), weight=-1)
    with pytest.raises(ValueError, match="non-empty"):
        HistoricalAveraging([])
    with pytest.raises(ValueError, match="players"):
        HistoricalAveragingCallback(0.1, players="critic")


def _small_trainer(callbacks: list, **kwargs: object) -> Trainer:
    """A tiny seeded 2-D GAN trainer on the CPU."""
    torch.manual_seed(0)
    return Trainer(
        MLPGenerator(2, 2, 16, 2),
        MLPDiscriminator(2, 16, 2),
        ring_mixture(),
        batch_size=16,
        callbacks=callbacks,
        device="cpu",
        seed=0,
        progress=False,
        **kwargs,
    )


def _trainer(tmp_path, players: str, d_steps: int = 1) -> Trainer:
    return _small_trainer(
        [HistoricalAveragingCallback(0.5, players)],
        d_steps=d_steps,
        checkpoint_path=tmp_path / "ckpt.pt",
        checkpoint_every=3,
    )


@pytest.mark.parametrize(("players", "averaged"), [("discriminator", 1), ("both", 2)])
def test_the_callback_counts_one_snapshot_per_optimiser_step(tmp_path, players, averaged) -> None:
    trainer = _trainer(tmp_path, players, d_steps=2)
    callback = trainer.callbacks[0]
    assert len(callback.averages) == averaged
    trainer.fit(3)
    assert callback.averages["discriminator"].count == 1 + 3 * 2
    if players == "both":
        assert callback.averages["generator"].count == 1 + 3
    # the mean is the mean of the trajectory, not the last value
    last = list(trainer.discriminator.parameters())[0]
    assert not torch.equal(callback.averages["discriminator"].means[0], last.detach())


def test_the_penalty_reaches_the_objective(tmp_path) -> None:
    trainer = _trainer(tmp_path, "discriminator")
    trainer.fit(2)
    real, fake = trainer.real_data(8, trainer.device), trainer.sample(8)
    penalised = trainer.d_objective(trainer.discriminator, real, fake)
    plain = trainer.d_objective.objective(trainer.discriminator, real, fake)
    penalty = trainer.callbacks[0].averages["discriminator"].penalty()
    assert penalty.item() > 0
    torch.testing.assert_close(penalised, plain + penalty)


def test_checkpoint_resume_continues_exactly(tmp_path) -> None:
    straight = _trainer(tmp_path / "a", "both").fit(6)
    first = _trainer(tmp_path / "b", "both").fit(3)  # saves at step 3
    resumed = _trainer(tmp_path / "b", "both")
    assert resumed.resume(first.checkpoint_path) and resumed.step == 3
    resumed.fit(6)
    for player in ("discriminator", "generator"):
        a = straight.callbacks[0].averages[player]
        b = resumed.callbacks[0].averages[player]
        assert a.count == b.count == 7
        for x, y in zip(a.means, b.means, strict=True):
            torch.testing.assert_close(x, y)
    for x, y in zip(straight.generator.parameters(), resumed.generator.parameters(), strict=True):
        torch.testing.assert_close(x, y)


def test_decay_gives_the_exponential_moving_average() -> None:
    param = torch.zeros(3, dtype=torch.float64)
    averaging = HistoricalAveraging([param], weight=0.0, decay=0.9)
    values = [1.0, 2.0, -1.0]
    expected = torch.zeros(3, dtype=torch.float64)
    for value in values:
        param.fill_(value)
        averaging.update()
        expected = 0.9 * expected + 0.1 * value  # the EMA recurrence, by hand
    torch.testing.assert_close(averaging.means[0], expected, rtol=1e-14, atol=0)
    assert averaging.penalty().item() == 0.0
    with pytest.raises(ValueError, match="decay"):
        HistoricalAveraging([param], decay=1.0)


def test_weight_zero_tracks_the_mean_without_changing_training(tmp_path) -> None:
    tracker = HistoricalAveragingCallback(0.0, "generator")
    tracked, plain = _small_trainer([tracker]).fit(4), _small_trainer([]).fit(4)
    assert tracked.history == plain.history
    averaged = tracker.averages["generator"].averaged_copy(tracked.generator)
    assert tracker.averages["generator"].count == 5
    assert not torch.equal(averaged.out.weight, tracked.generator.out.weight)
