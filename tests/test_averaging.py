import pytest
import torch
from torch import nn

from ganlab.averaging import ExponentialMovingAverage


def test_without_warmup_it_is_the_plain_ema_recurrence() -> None:
    model = nn.Linear(2, 1).double()
    with torch.no_grad():
        model.weight.zero_()
    ema = ExponentialMovingAverage(model, rate=0.1, warmup=False)
    expected = torch.zeros(1, 2, dtype=torch.float64)
    for value in (1.0, 2.0, -1.0):
        with torch.no_grad():
            model.weight.fill_(value)
        ema.update(model)
        expected = 0.9 * expected + 0.1 * value  # θ̄ ← β θ̄ + (1 − β) θ, by hand
    torch.testing.assert_close(ema.model.weight, expected, rtol=1e-14, atol=0)
    assert not ema.model.weight.requires_grad and not ema.model.training
    with pytest.raises(ValueError, match="rate"):
        ExponentialMovingAverage(model, rate=0.0)
