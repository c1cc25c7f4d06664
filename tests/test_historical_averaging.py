"""Historical averaging (§3.3): the running mean, the penalty, and both composed with a trainer."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlab.data import ring_mixture
from ganlab.losses import vanilla_discriminator_objective
from ganlab.nets import MLPDiscriminator, MLPGenerator
from ganlab.training import Trainer
from ganlab.tricks import HistoricalAveraging, penalised


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


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_mean_follows_the_module_to_the_device() -> None:
    layer = nn.Linear(3, 2)
    averaging = HistoricalAveraging(layer)
    layer.to("cuda")
    assert averaging.penalty().device.type == "cuda"
    averaging.update()
    assert all(m.device.type == "cuda" for m in averaging.means)


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


def _small_trainer(**kwargs: object) -> Trainer:
    """A tiny seeded 2-D GAN trainer on the CPU."""
    torch.manual_seed(0)
    return Trainer(
        MLPGenerator(2, 2, 16, 2),
        MLPDiscriminator(2, 16, 2),
        ring_mixture(),
        batch_size=16,
        device="cpu",
        progress=False,
        **kwargs,
    )


def test_penalised_adds_w_times_the_squared_distance_to_the_mean() -> None:
    trainer = _small_trainer()
    D = trainer.discriminator
    averaging = HistoricalAveraging(D, weight=0.3)
    start = [p.detach().clone() for p in D.parameters()]
    with torch.no_grad():
        for p in D.parameters():
            p.add_(0.1)
    averaging.update()  # mean of two snapshots: start and start + 0.1
    real, fake = trainer.real_data(8, trainer.device), trainer.sample(8)
    objective = penalised(vanilla_discriminator_objective, averaging)
    by_hand = vanilla_discriminator_objective(D, real, fake) + 0.3 * sum(
        (p - (s + p.detach()) / 2).pow(2).sum() for p, s in zip(D.parameters(), start, strict=True)
    )
    torch.testing.assert_close(objective(D, real, fake), by_hand)
    assert averaging.penalty().item() == pytest.approx(0.3 * 0.05**2 * _numel(D))


def _numel(module: nn.Module) -> int:
    """How many numbers the module's parameters hold."""
    return sum(p.numel() for p in module.parameters())


def test_composed_with_a_trainer_the_mean_is_the_mean_of_the_trajectory() -> None:
    trainer = _small_trainer()
    averaging = HistoricalAveraging(trainer.discriminator, weight=0.5)
    snapshots = [[p.detach().clone() for p in trainer.discriminator.parameters()]]
    trainer.d_objective = penalised(trainer.d_objective, averaging)
    trainer.callbacks += [
        lambda t: averaging.update(),
        lambda t: snapshots.append([p.detach().clone() for p in t.discriminator.parameters()]),
    ]
    trainer.fit(3)
    assert averaging.count == 4 == len(snapshots)
    for i, mean in enumerate(averaging.means):
        torch.testing.assert_close(mean, sum(s[i] for s in snapshots) / 4)
    plain = _small_trainer().fit(3)
    assert plain.history["d_loss"] != trainer.history["d_loss"]  # the penalty changed training


def test_weight_zero_tracks_the_mean_without_changing_training() -> None:
    tracked = _small_trainer()
    tracker = HistoricalAveraging(tracked.generator, weight=0.0)
    tracked.g_objective = penalised(tracked.g_objective, tracker)
    tracked.callbacks.append(lambda t: tracker.update())
    tracked.fit(4)
    plain = _small_trainer().fit(4)
    assert tracked.history == plain.history
    averaged = tracker.averaged_copy(tracked.generator)
    assert tracker.count == 5
    assert not torch.equal(averaged.out.weight, tracked.generator.out.weight)
