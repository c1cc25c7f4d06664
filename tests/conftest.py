"""Shared fixtures: every tensor test runs on CPU, and on CUDA when a GPU is present."""

from __future__ import annotations

import pytest
import torch

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request: pytest.FixtureRequest) -> torch.device:
    """The device a test's tensors live on (``make gpu-check`` selects the cuda ones)."""
    return torch.device(request.param)


@pytest.fixture(autouse=True)
def _quiet_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never depend on the caller's device override."""
    monkeypatch.delenv("GANLAB_DEVICE", raising=False)
