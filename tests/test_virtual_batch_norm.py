"""Virtual batch normalization (§3.5): the layer, and the generator-level reference batch."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from ganlab.data import TensorSampler
from ganlab.nets import MNISTDiscriminator, MNISTGenerator
from ganlab.training import Trainer
from ganlab.tricks import (
    VirtualBatchNorm,
    VirtualBatchNormGenerator,
    batchmate_dependence,
    reference_mode,
)

SHAPES = {"(N, C)": (3,), "(N, C, H, W)": (3, 4, 5)}


def _layer(device: torch.device, seed: int = 0) -> VirtualBatchNorm:
    torch.manual_seed(seed)
    layer = VirtualBatchNorm(3).double().to(device)
    with torch.no_grad():  # not the identity affine map, so that the test sees γ and β
        layer.weight.uniform_(0.5, 1.5)
        layer.bias.uniform_(-1, 1)
    return layer


def _naive_vbn(x: torch.Tensor, ref: torch.Tensor, layer: VirtualBatchNorm) -> torch.Tensor:
    """The formula of §3.5 by loops over examples and channels, in float64."""
    out = torch.empty_like(x, dtype=torch.float64)
    c = 1.0 / (len(ref) + 1)
    for n in range(len(x)):
        for k in range(x.shape[1]):
            values = x[n, k].double().reshape(-1).tolist()  # the example's positions
            ref_values = ref[:, k].double().reshape(-1).tolist()
            ref_mean = sum(ref_values) / len(ref_values)
            ref_mean_sq = sum(v * v for v in ref_values) / len(ref_values)
            mean = c * sum(values) / len(values) + (1 - c) * ref_mean
            mean_sq = c * sum(v * v for v in values) / len(values) + (1 - c) * ref_mean_sq
            std = math.sqrt(layer.eps + mean_sq - mean * mean)
            gamma, beta = layer.weight[k].item(), layer.bias[k].item()
            out[n, k] = gamma * (x[n, k].double() - mean) / std + beta
    return out


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_vbn_equals_the_formula(device: torch.device, shape) -> None:
    layer = _layer(device)
    ref = 2 + 3 * torch.randn(6, *shape, dtype=torch.float64, device=device)
    x = torch.randn(4, *shape, dtype=torch.float64, device=device)
    layer.set_reference(ref)
    got = layer(x)
    torch.testing.assert_close(
        got.cpu(), _naive_vbn(x.cpu(), ref.cpu(), layer), rtol=1e-12, atol=1e-12
    )


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_an_example_does_not_depend_on_its_batchmates(device: torch.device, shape) -> None:
    layer = _layer(device)
    layer.set_reference(torch.randn(8, *shape, dtype=torch.float64, device=device))
    x = torch.randn(1, *shape, dtype=torch.float64, device=device)
    batches = [
        torch.cat([x, torch.randn(5, *shape, dtype=torch.float64, device=device)]),
        torch.cat([torch.randn(9, *shape, dtype=torch.float64, device=device) * 10, x]),
        x,
    ]
    alone = layer(x)[0]
    assert torch.equal(layer(batches[0])[0], alone)
    assert torch.equal(layer(batches[1])[-1], alone)
    # batch norm in training mode: the same example comes out differently
    bn = nn.BatchNorm1d(3) if len(shape) == 1 else nn.BatchNorm2d(3)
    bn = bn.double().to(device)
    difference = (bn(batches[0])[0] - bn(batches[1])[-1]).abs().max()
    assert difference > 0.1


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_the_reference_batch_is_normalised_by_itself(device: torch.device, shape) -> None:
    layer = _layer(device)
    ref = 1 + 2 * torch.randn(6, *shape, dtype=torch.float64, device=device)
    got = layer.set_reference(ref)
    # torch's batch norm with batch statistics (biased variance) is the oracle
    expected = F.batch_norm(ref, None, None, layer.weight, layer.bias, training=True, eps=layer.eps)
    torch.testing.assert_close(got, expected, rtol=1e-12, atol=1e-12)
    with reference_mode(layer):
        torch.testing.assert_close(layer(ref), expected, rtol=1e-12, atol=1e-12)
    assert layer.reference_size == 6 and not layer.reference_mode


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_gradcheck(shape) -> None:
    layer = _layer(torch.device("cpu"))
    ref = torch.randn(5, *shape, dtype=torch.float64, requires_grad=True)
    x = torch.randn(3, *shape, dtype=torch.float64, requires_grad=True)

    def vbn(x, ref, weight, bias):
        fresh = VirtualBatchNorm(3).double()
        params = {"weight": weight, "bias": bias}
        with reference_mode(fresh):
            normalised_ref = torch.func.functional_call(fresh, params, (ref,))
        return normalised_ref, torch.func.functional_call(fresh, params, (x,))

    weight = layer.weight.detach().clone().requires_grad_()
    bias = layer.bias.detach().clone().requires_grad_()
    assert torch.autograd.gradcheck(vbn, (x, ref, weight, bias))


def test_error_before_a_reference_and_on_wrong_shapes() -> None:
    layer = VirtualBatchNorm(3)
    with pytest.raises(RuntimeError, match="no reference batch yet"):
        layer(torch.randn(2, 3))
    layer.set_reference(torch.randn(4, 3))
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 3\)"):
        layer(torch.randn(2, 4))
    with pytest.raises(ValueError, match="H, W"):
        layer(torch.randn(2, 3, 5))
    assert {name for name, _ in layer.named_parameters()} == {"weight", "bias"}


def test_dcgan_style_init_finds_weight_and_bias() -> None:
    generator = MNISTGenerator(8, width=4, norm="virtual")
    for module in generator.modules():
        if "Norm" in type(module).__name__:
            nn.init.normal_(module.weight, 1.0, 0.02)
            nn.init.zeros_(module.bias)
    assert sum(isinstance(m, VirtualBatchNorm) for m in generator.modules()) == 2


def _vbn_generator(seed: int = 0) -> VirtualBatchNormGenerator:
    torch.manual_seed(seed)
    reference_noise = torch.randn(16, 8)
    return VirtualBatchNormGenerator(MNISTGenerator(8, width=4, norm="virtual"), reference_noise)


def test_generator_output_is_independent_of_batchmates(device: torch.device) -> None:
    generator = _vbn_generator().to(device)
    z = torch.randn(1, 8, device=device)
    alone = generator(z)
    with_others = generator(torch.cat([torch.randn(7, 8, device=device), z]))[-1:]
    torch.testing.assert_close(with_others, alone, rtol=0, atol=1e-6)
    bn = MNISTGenerator(8, width=4, norm="batch").to(device)
    first = bn(torch.cat([z, torch.randn(7, 8, device=device)]))[:1]
    second = bn(torch.cat([z, torch.randn(7, 8, device=device)]))[:1]
    assert (first - second).abs().max() > 1e-3


def test_generator_recomputes_the_reference_with_the_current_weights() -> None:
    generator = _vbn_generator()
    inner = generator.generator
    z = torch.randn(3, 8)
    before = generator(z)
    with torch.no_grad():
        inner.project[0].weight.mul_(2.0)
    after = generator(z)
    # by hand: the reference pass in reference mode, then z
    with reference_mode(inner):
        inner(generator.reference_noise)
    torch.testing.assert_close(after, inner(z))
    assert not torch.allclose(before, after)
    # gradients reach the weights through the reference statistics too
    (grad_with,) = torch.autograd.grad(generator(z).sum(), inner.project[0].bias)
    layer = inner.project[1]
    with torch.no_grad(), reference_mode(inner):
        inner(generator.reference_noise)  # the same statistics, as constants
    (grad_without,) = torch.autograd.grad(inner(z).sum(), inner.project[0].bias)
    assert not torch.allclose(grad_with, grad_without)
    assert layer.reference_mean is not None


def test_generator_wrapper_validates_and_saves_its_reference_noise() -> None:
    with pytest.raises(ValueError, match="no VirtualBatchNorm"):
        VirtualBatchNormGenerator(MNISTGenerator(8, width=4), torch.randn(4, 8))
    with pytest.raises(ValueError, match="B_ref, latent_dim"):
        VirtualBatchNormGenerator(MNISTGenerator(8, width=4, norm="virtual"), torch.randn(8))
    generator = _vbn_generator()
    assert generator.latent_dim == 8
    state = generator.state_dict()
    assert torch.equal(state["reference_noise"], generator.reference_noise)
    other = _vbn_generator(seed=1)
    other.load_state_dict(state)
    z = torch.randn(2, 8)
    torch.testing.assert_close(other(z), generator(z))


def test_a_vbn_generator_trains_in_the_trainer() -> None:
    torch.manual_seed(0)
    images = torch.rand(32, 1, 28, 28)
    trainer = Trainer(
        _vbn_generator(),
        MNISTDiscriminator(width=4, hidden=8),
        TensorSampler(images),
        batch_size=8,
        device="cpu",
        progress=False,
    ).fit(2)
    samples = trainer.sample(5)
    assert samples.shape == (5, 1, 28, 28) and torch.isfinite(samples).all()


def test_batchmate_dependence_is_zero_for_vbn_and_not_for_bn() -> None:
    z = torch.randn(6, 8)
    vbn = batchmate_dependence(_vbn_generator(), z, num_batches=3, batch_size=4)
    assert vbn.shape == (6,) and vbn.max() < 1e-6
    bn = MNISTGenerator(8, width=4, norm="batch").train()
    assert batchmate_dependence(bn, z, num_batches=3, batch_size=4).min() > 1e-3
    # in eval mode batch norm uses its running statistics: no dependence either
    assert batchmate_dependence(bn.eval(), z, num_batches=3, batch_size=4).max() < 1e-6
    with pytest.raises(ValueError, match="num_batches >= 2"):
        batchmate_dependence(bn, z, num_batches=1, batch_size=4)


def test_mnist_generator_norm_option() -> None:
    kinds = {
        "batch": (nn.BatchNorm1d, nn.BatchNorm2d),
        "virtual": (VirtualBatchNorm, VirtualBatchNorm),
        None: (nn.Identity, nn.Identity),
    }
    for norm, (first, second) in kinds.items():
        generator = MNISTGenerator(8, width=4, norm=norm)
        assert type(generator.project[1]) is first and type(generator.upsample[1]) is second
    with pytest.raises(ValueError, match="norm must be one of"):
        MNISTGenerator(8, norm="layer")
