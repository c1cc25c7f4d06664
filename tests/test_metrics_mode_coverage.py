import torch

from ganlab.data import ring_mixture
from ganlab.metrics import mode_coverage


def test_samples_exactly_on_the_modes(device):
    centers = ring_mixture(8).centers.to(device)
    samples = centers.repeat(10, 1)  # 10 per mode
    result = mode_coverage(samples, centers, std=0.02, min_count=10)
    assert result.modes_covered == 8 and result.high_quality == 1.0
    assert result.counts.tolist() == [10] * 8


def test_collapsed_generator_covers_one_mode():
    centers = ring_mixture(8).centers
    samples = centers[3].repeat(100, 1) + 0.01
    result = mode_coverage(samples, centers, std=0.02)
    assert result.modes_covered == 1
    assert result.counts[3] == 100 and result.counts.sum() == 100


def test_threshold_decides_high_quality():
    centers = torch.zeros(1, 2)
    samples = torch.tensor([[0.05, 0.0], [0.07, 0.0], [0.2, 0.0], [0.0, -0.059]])
    result = mode_coverage(samples, centers, std=0.02, threshold=3.0, min_count=1)
    assert result.high_quality == 0.5  # 0.05 and 0.059 are within 0.06; 0.07, 0.2 are not


def test_default_min_count_is_pacgan_fraction():
    centers = ring_mixture(8).centers
    # 2500 samples: 20 on mode 0 is covered (PacGAN), 19 on mode 1 is not.
    samples = torch.cat(
        [centers[0].repeat(20, 1), centers[1].repeat(19, 1), torch.full((2461, 2), 9.0)]
    )
    result = mode_coverage(samples, centers, std=0.02)
    assert result.min_count == 20
    assert result.modes_covered == 1


def test_real_data_matches_the_gaussian_tail():
    mix = ring_mixture(8, std=0.02)
    x = mix.sample(50000, generator=torch.Generator().manual_seed(0))
    result = mode_coverage(x, mix.centers, mix.std)
    # P(|N(0, I_2)| <= 3) = 1 - exp(-9/2)
    assert abs(result.high_quality - (1 - torch.exp(torch.tensor(-4.5)).item())) < 2e-3
    assert result.modes_covered == 8


def test_bad_input_messages():
    import pytest

    with pytest.raises(ValueError, match="same D"):
        mode_coverage(torch.zeros(3, 2), torch.zeros(2, 3), 0.1)
    with pytest.raises(ValueError, match="NaN"):
        mode_coverage(torch.full((3, 2), float("nan")), torch.zeros(2, 2), 0.1)
    with pytest.raises(ValueError, match="empty"):
        mode_coverage(torch.zeros(0, 2), torch.zeros(2, 2), 0.1)
