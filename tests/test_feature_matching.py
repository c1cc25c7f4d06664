import pytest
import torch

from ganlab.nets import MLPDiscriminator
from ganlab.tricks import FeatureMatchingObjective, feature_matching_loss


def _means(real, fake):
    mr = [sum(float(v) for v in real[:, k]) / len(real) for k in range(real.shape[1])]
    mf = [sum(float(v) for v in fake[:, k]) / len(fake) for k in range(fake.shape[1])]
    return [a - b for a, b in zip(mr, mf, strict=True)]


def test_all_reductions_equal_their_formula(device):
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(13, 6, generator=gen, dtype=torch.float64).to(device)
    fake = torch.randn(9, 6, generator=gen, dtype=torch.float64).to(device)
    diff = _means(real.cpu(), fake.cpu())
    expected = {
        "sum": sum(d * d for d in diff),
        "mean": sum(d * d for d in diff) / len(diff),
        "l1": sum(abs(d) for d in diff) / len(diff),
    }
    for reduction, value in expected.items():
        got = feature_matching_loss(real, fake, reduction)
        assert got.device.type == device.type
        assert abs(float(got) - value) < 1e-12, reduction


def test_features_of_any_rank_are_flattened():
    real, fake = torch.randn(4, 2, 3, 3), torch.randn(5, 2, 3, 3)
    torch.testing.assert_close(
        feature_matching_loss(real, fake), feature_matching_loss(real.flatten(1), fake.flatten(1))
    )


def test_identical_batches_give_zero_and_gradient_reaches_fake_only():
    real = torch.randn(8, 4)
    fake = real.clone().requires_grad_(True)
    loss = feature_matching_loss(real, fake)
    assert float(loss.detach()) == 0.0
    loss.backward()
    assert torch.equal(fake.grad, torch.zeros_like(fake))


def test_shape_mismatch_and_bad_reduction():
    with pytest.raises(ValueError, match="same shape per example"):
        feature_matching_loss(torch.zeros(3, 4), torch.zeros(3, 5))
    with pytest.raises(ValueError, match="reduction must be one of"):
        feature_matching_loss(torch.zeros(3, 4), torch.zeros(3, 4), "max")
    with pytest.raises(ValueError, match="batch dimension"):
        feature_matching_loss(torch.zeros(4), torch.zeros(4))


def test_objective_uses_the_discriminators_features():
    torch.manual_seed(0)
    disc = MLPDiscriminator(2, 16, 2)
    real, fake = torch.randn(10, 2), torch.randn(12, 2)
    objective = FeatureMatchingObjective("mean")
    expected = feature_matching_loss(disc.features(real), disc.features(fake), "mean")
    torch.testing.assert_close(objective(disc, real, fake), expected)
    with pytest.raises(TypeError, match="features"):
        objective(torch.nn.Linear(2, 1), real, fake)
