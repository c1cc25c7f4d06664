import numpy as np
import pytest
import torch

from ganlab.tricks import MinibatchDiscrimination


def _loop(x: torch.Tensor, kernel: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """o(x) of the paper's formula as a double loop over examples (the oracle)."""
    n, b, c = len(x), kernel.shape[1], kernel.shape[2]
    m = torch.einsum("na,abc->nbc", x, kernel)
    o = torch.zeros(n, b, dtype=x.dtype, device=x.device)
    for i in range(n):
        for j in range(n):
            if i != j:
                o[i] += torch.exp(-(m[i] - m[j]).abs().sum(dim=1))
    assert m.shape == (n, b, c)
    return o if bias is None else o + bias


def _naive(layer: MinibatchDiscrimination, x: torch.Tensor) -> torch.Tensor:
    """[x, o(x)] with o from :func:`_loop`."""
    return torch.cat([x, _loop(x, layer.weight, layer.bias)], dim=1)


@pytest.mark.parametrize(("n", "a", "b", "c"), [(1, 3, 2, 1), (7, 5, 4, 3), (16, 10, 6, 5)])
@pytest.mark.parametrize("bias", [True, False])
def test_layer_equals_double_loop(device, n, a, b, c, bias):
    torch.manual_seed(n + a)
    layer = MinibatchDiscrimination(a, b, c, bias=bias).double().to(device)
    x = torch.randn(n, a, dtype=torch.float64, device=device)
    out = layer(x)
    assert out.shape == (n, a + b)
    torch.testing.assert_close(out, _naive(layer, x), rtol=0, atol=1e-6)


def test_self_term_is_excluded():
    layer = MinibatchDiscrimination(4, 3, 2, bias=False)
    alone = layer(torch.randn(1, 4))
    assert torch.equal(alone[:, 4:], torch.zeros(1, 3))  # no other example: o = 0
    twins = layer(torch.ones(2, 4))
    torch.testing.assert_close(twins[:, 4:], torch.ones(2, 3))  # one identical neighbour: e^0


def test_bias_starts_at_minus_one():
    layer = MinibatchDiscrimination(4, 3, 2)
    assert torch.equal(layer.bias, torch.full((3,), -1.0))
    assert layer.weight.shape == (4, 3, 2)


@pytest.mark.parametrize("chunk", [1, 3, 64])
def test_chunked_equals_unchunked(device, chunk):
    torch.manual_seed(1)
    x = torch.randn(20, 8, dtype=torch.float64, device=device)
    whole = MinibatchDiscrimination(8, 5, 4, chunk_size=1000).double().to(device)
    parts = MinibatchDiscrimination(8, 5, 4, chunk_size=chunk).double().to(device)
    parts.load_state_dict(whole.state_dict())
    torch.testing.assert_close(parts(x), whole(x), rtol=0, atol=1e-12)


def test_gradcheck():
    torch.manual_seed(2)
    layer = MinibatchDiscrimination(5, 3, 2, chunk_size=2).double()
    x = torch.randn(6, 5, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x, w, b: torch.func.functional_call(layer, {"weight": w, "bias": b}, (x,)),
        (
            x,
            layer.weight.detach().clone().requires_grad_(),
            layer.bias.detach().clone().requires_grad_(),
        ),
    )


def test_collapsed_batch_scores_higher_than_a_diverse_one():
    torch.manual_seed(3)
    layer = MinibatchDiscrimination(2, 8, 3, bias=False)
    diverse = torch.randn(64, 2) * 3
    collapsed = torch.randn(64, 2) * 0.01
    assert layer(collapsed)[:, 2:].mean() > layer(diverse)[:, 2:].mean()


def test_bad_input():
    layer = MinibatchDiscrimination(4, 3, 2)
    with pytest.raises(ValueError, match=r"expected input \(N, 4\)"):
        layer(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="must be >= 1"):
        MinibatchDiscrimination(4, 0, 2)


def test_normalize_averages_over_the_other_examples(device):
    torch.manual_seed(4)
    x = torch.randn(9, 6, dtype=torch.float64, device=device)
    summed = MinibatchDiscrimination(6, 4, 3, bias=False).double().to(device)
    averaged = MinibatchDiscrimination(6, 4, 3, bias=False, normalize=True).double().to(device)
    averaged.load_state_dict(summed.state_dict())
    torch.testing.assert_close(averaged(x)[:, 6:], summed(x)[:, 6:] / 8)
    assert float(averaged(x)[:, 6:].max().detach()) <= 1.0
    torch.testing.assert_close(
        averaged(x[:1])[:, 6:], torch.zeros(1, 4, dtype=x.dtype, device=device)
    )


def test_weight_norm_kernel_is_theta_times_scale_over_column_norm():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(6, 4, 3, weight_norm=True).double()
    with torch.no_grad():
        layer.log_scale.normal_()
    expected = torch.empty(6, 4, 3, dtype=torch.float64)
    for b in range(4):
        for c in range(3):
            column = layer.theta[:, b, c]
            expected[:, b, c] = column * layer.log_scale[b, c].exp() / column.norm()
    torch.testing.assert_close(layer.kernel(), expected)
    x = torch.randn(5, 6, dtype=torch.float64)
    torch.testing.assert_close(layer.minibatch_features(x), _loop(x, expected, layer.bias))
    assert "weight_norm=True" in repr(layer)


def test_official_init_sets_nearest_neighbour_distance_two_and_centres_o():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(8, 5, 4, weight_norm=True).double()
    x = 3 * torch.randn(40, 8, dtype=torch.float64)
    layer.init_from_batch(x)
    m = torch.einsum("na,abc->nbc", x, layer.kernel())
    for b in range(5):  # naive loop over pairs
        nearest = [
            min((m[i, b] - m[j, b]).abs().sum().item() for j in range(40) if j != i)
            for i in range(40)
        ]
        assert np.mean(nearest) == pytest.approx(2.0, rel=1e-9)
    torch.testing.assert_close(
        layer.minibatch_features(x).mean(0), torch.zeros(5, dtype=torch.float64), atol=1e-12, rtol=0
    )
    with pytest.raises(ValueError, match="weight_norm=True"):
        MinibatchDiscrimination(8, 5, 4).init_from_batch(x.float())
    with pytest.raises(ValueError, match="expected a batch"):
        layer.init_from_batch(x[:1])
