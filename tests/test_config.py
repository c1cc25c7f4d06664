import random

import numpy as np
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


def test_sizes_follow_the_profile(monkeypatch):
    budget = {"full": {"steps": 1000, "seeds": 5}, "quick": {"steps": 10, "seeds": 2}}
    monkeypatch.setenv("GANLAB_PROFILE", "quick")
    quick = config.sizes(**budget)
    monkeypatch.delenv("GANLAB_PROFILE")
    full = config.sizes(**budget)
    assert (quick.profile, quick.steps, quick.seeds) == ("quick", 10, 2)
    assert (full.profile, full.steps, full.seeds) == ("full", 1000, 5)
    assert config.sizes(**budget, profile="quick").steps == 10


def test_sizes_reject_budgets_that_differ_and_unknown_profiles(monkeypatch):
    with pytest.raises(ValueError, match=r"only in full: \['grid'\]"):
        config.sizes(full={"steps": 1, "grid": 3}, quick={"steps": 1})
    with pytest.raises(ValueError, match="unknown profile"):
        config.sizes(full={}, quick={}, profile="medium")
    monkeypatch.setenv("GANLAB_PROFILE", "medium")
    with pytest.raises(ValueError, match="full, quick"):
        config.sizes(full={}, quick={})


def test_device_override_and_errors(monkeypatch):
    monkeypatch.setenv("GANLAB_DEVICE", "cpu")
    assert config.get_device() == torch.device("cpu")
    monkeypatch.setenv("GANLAB_DEVICE", "toaster")
    with pytest.raises(ValueError, match="not a torch device"):
        config.get_device()
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            config.get_device("cuda")


def test_default_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("GANLAB_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert config.get_device() == torch.device("cpu")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert config.get_device() == torch.device("mps")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert config.get_device() == torch.device("cuda")


def test_seed_everything_makes_runs_reproducible():
    def draws():
        return torch.randn(5).tolist(), np.random.rand(5).tolist(), [random.random() for _ in "ab"]

    config.seed_everything(3)
    a = draws()
    config.seed_everything(3)
    assert draws() == a
    config.seed_everything(4)
    b = draws()
    assert all(x != y for x, y in zip(a, b, strict=True))  # each library's stream is seeded
    generator = config.seed_everything(3)
    assert torch.equal(
        torch.randn(3, generator=generator), torch.randn(3, generator=generator.manual_seed(3))
    )
    with pytest.raises(ValueError):
        config.seed_everything(-1)
