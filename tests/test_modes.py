import pytest
import torch

from ganlab.modes import evaluating, frozen


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


def test_evaluating_switches_off_dropout_and_restores_every_submodules_mode():
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 64), torch.nn.Dropout(0.5), torch.nn.BatchNorm1d(64)
    )
    net.train()
    net[2].eval()  # a mixed state, as after freezing one layer's statistics
    before = [m.training for m in net.modules()]
    x = torch.randn(8, 4)
    with evaluating(net):
        assert not any(m.training for m in net.modules())
        torch.testing.assert_close(net(x), net(x))  # deterministic: dropout is off
    assert [m.training for m in net.modules()] == before
    with pytest.raises(RuntimeError, match="boom"), evaluating(net):
        raise RuntimeError("boom")
    assert [m.training for m in net.modules()] == before
    assert not torch.equal(net(x), net(x))  # dropout is back on
