import pytest
import torch

from ganlab import config


def test_profile_defaults_to_full(monkeypatch):
    monkeypatch.delenv("GANLAB_PROFILE", raising=False)
    assert config.profile_name() == "full"


def test_unknown_profile_names_the_valid_ones(monkeypatch):
    monkeypatch.setenv("GANLAB_PROFILE", "fast")
    with pytest.raises(ValueError, match="full, quick"):
        config.profile_name()


def test_every_lesson_has_the_same_keys_in_both_profiles():
    for lesson, profiles in config.all_sizes().items():
        assert set(profiles) == set(config.PROFILES), lesson
        assert profiles["full"].keys() == profiles["quick"].keys(), lesson


def test_sizes_follow_the_profile(monkeypatch):
    monkeypatch.setenv("GANLAB_PROFILE", "quick")
    quick = config.sizes("00")
    monkeypatch.setenv("GANLAB_PROFILE", "full")
    full = config.sizes("00")
    assert quick.profile == "quick" and full.profile == "full"
    assert quick.steps < full.steps
    with pytest.raises(KeyError, match="known"):
        config.sizes("99")


def test_device_override_and_errors(monkeypatch):
    monkeypatch.setenv("GANLAB_DEVICE", "cpu")
    assert config.get_device() == torch.device("cpu")
    monkeypatch.setenv("GANLAB_DEVICE", "toaster")
    with pytest.raises(ValueError, match="not a torch device"):
        config.get_device()
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            config.get_device("cuda")


def test_default_device_prefers_accelerators(monkeypatch):
    monkeypatch.delenv("GANLAB_DEVICE", raising=False)
    expected = "cuda" if torch.cuda.is_available() else None
    if expected is None:
        expected = "mps" if torch.backends.mps.is_available() else "cpu"
    assert config.get_device().type == expected


def test_seed_everything_makes_runs_reproducible():
    config.seed_everything(3)
    a = torch.randn(5)
    config.seed_everything(3)
    b = torch.randn(5)
    assert torch.equal(a, b)
    with pytest.raises(ValueError):
        config.seed_everything(-1)
