"""Weight averaging read out from training: the uniform mean and WeightAverage's schedule."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlab.averaging import UniformAverage, WeightAverage
from ganlab.data import ring_mixture
from ganlab.recipes import toy_gan


def test_uniform_average_is_the_arithmetic_mean_of_all_snapshots() -> None:
    torch.manual_seed(0)
    model = nn.Linear(3, 2).double()
    average = UniformAverage(model)
    snapshots = [model.weight.detach().clone()]
    with torch.no_grad():
        for _ in range(6):
            model.weight.add_(torch.randn_like(model.weight))
            average.update(model)
            snapshots.append(model.weight.detach().clone())
    naive = torch.stack(snapshots).mean(dim=0)  # a plain sum, independent of the online rule
    torch.testing.assert_close(average.model.weight, naive, rtol=1e-13, atol=1e-13)


class _Recorder:
    """Keeps a copy of the generator's first weight matrix after every step."""

    def __init__(self) -> None:
        self.weights: dict[int, torch.Tensor] = {}

    def __call__(self, trainer) -> None:
        self.weights[trainer.step] = next(trainer.generator.parameters()).detach().clone()


def test_weight_average_starts_at_its_step_and_matches_a_naive_average() -> None:
    mixture = ring_mixture(4, 1.0, 0.05)
    recorder, start, decay = _Recorder(), 3, 0.6
    ema, uniform, from_zero = WeightAverage(start, decay), WeightAverage(start), WeightAverage(0)
    trainer = toy_gan(mixture, seed=0, hidden=8, batch_size=16, progress=False, device="cpu",
                      callbacks=[recorder, ema, uniform, from_zero])  # fmt: skip
    recorder(trainer)
    from_zero(trainer)
    with pytest.raises(ValueError, match="step 3"):
        _ = ema.model
    trainer.fit(8)
    w = recorder.weights
    expected_ema = w[start]
    for step in range(start + 1, 9):
        expected_ema = decay * expected_ema + (1 - decay) * w[step]
    first = lambda average: next(average.model.parameters())  # noqa: E731
    torch.testing.assert_close(first(ema), expected_ema, rtol=1e-5, atol=1e-6)
    expected_uniform = torch.stack([w[s] for s in range(start, 9)]).mean(dim=0)
    torch.testing.assert_close(first(uniform), expected_uniform, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(first(from_zero), torch.stack(list(w.values())).mean(dim=0))
    assert uniform.snapshots == 6 and from_zero.snapshots == 9
    # reading out changes nothing in training: the same seed without averages, same weights
    plain = toy_gan(mixture, seed=0, hidden=8, batch_size=16, progress=False, device="cpu")
    plain.fit(8)
    torch.testing.assert_close(next(plain.generator.parameters()), w[8], rtol=0, atol=0)


def test_weight_average_rejects_bad_settings() -> None:
    with pytest.raises(ValueError, match="start"):
        WeightAverage(-1)
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(0, decay=1.0)
    with pytest.raises(ValueError, match="player"):
        WeightAverage(0, player="critic")
