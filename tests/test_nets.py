import pytest
import torch

from ganlab.nets import MLPDiscriminator, MLPGenerator, MNISTDiscriminator, MNISTGenerator
from ganlab.tricks import MinibatchDiscrimination


@pytest.mark.parametrize("kernels", [0, 6])
def test_mlp_discriminator_forward_is_head_of_features(device, kernels):
    torch.manual_seed(0)
    disc = MLPDiscriminator(2, 16, 2, minibatch_kernels=kernels, kernel_dim=3).to(device)
    x = torch.randn(10, 2, device=device)
    assert disc.features(x).shape == (10, 16)
    torch.testing.assert_close(disc(x), disc.head(disc.features(x)).squeeze(1))
    has_mbd = any(isinstance(m, MinibatchDiscrimination) for m in disc.modules())
    assert has_mbd == bool(kernels)


def test_minibatch_discriminator_output_depends_on_batchmates():
    torch.manual_seed(0)
    x = torch.randn(8, 2)
    plain, mbd = MLPDiscriminator(2, 16, 2), MLPDiscriminator(2, 16, 2, minibatch_kernels=4)
    assert torch.allclose(plain(x)[:4], plain(x[:4]))
    assert not torch.allclose(mbd(x)[:4], mbd(x[:4]))


@pytest.mark.parametrize("kernels", [0, 4])
def test_mnist_nets_shapes_and_range(device, kernels):
    torch.manual_seed(0)
    gen = MNISTGenerator(latent_dim=16, width=8).to(device)
    disc = MNISTDiscriminator(width=8, hidden=32, minibatch_kernels=kernels).to(device)
    images = gen(torch.randn(5, 16, device=device))
    assert images.shape == (5, 1, 28, 28)
    assert 0 <= float(images.min().detach()) and float(images.max().detach()) <= 1
    assert disc(images).shape == (5,) and disc.features(images).shape == (5, 32)


def test_bad_shapes_are_reported():
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        MLPGenerator(2)(torch.zeros(3, 5))
    with pytest.raises(ValueError, match="28, 28"):
        MNISTDiscriminator()(torch.zeros(3, 1, 32, 32))
