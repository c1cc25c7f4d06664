"""Run-time configuration: the size profile, the compute device and seeding.

Every lesson declares its budget with :func:`sizes`, so the same notebook code runs at
full scale (``GANLAB_PROFILE=full``, the default) or as a quick smoke test
(``GANLAB_PROFILE=quick``, used by ``make test``), training the same model either way.
"""

from __future__ import annotations

import os
import random
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

PROFILE_ENV = "GANLAB_PROFILE"
DEVICE_ENV = "GANLAB_DEVICE"
PROFILES = ("full", "quick")


class UsageError(ValueError):
    """A setting the user chose (an option, an environment variable) is invalid.

    The message says what is allowed; ``ganlab``'s command line prints it as one line,
    without a traceback, and exits with status 2.
    """


def profile_name() -> str:
    """The active profile: ``$GANLAB_PROFILE`` if set, else ``"full"``.

    Raises:
        UsageError: (a ValueError) if the variable holds anything but ``full`` or ``quick``.
    """
    name = os.environ.get(PROFILE_ENV, "full").strip().lower() or "full"
    if name not in PROFILES:
        raise UsageError(
            f"{PROFILE_ENV}={os.environ[PROFILE_ENV]!r} is not a profile; "
            f"valid profiles are {', '.join(PROFILES)} (unset means full)."
        )
    return name


def sizes(
    *, full: Mapping[str, Any], quick: Mapping[str, Any], profile: str | None = None
) -> SimpleNamespace:
    """How much work a lesson or benchmark does, under the active profile.

    A budget names amounts of work only (steps, epochs, seeds, samples, grid sizes), once
    for each profile; hyperparameters are constants next to the code that uses them, so
    that both profiles train the same model.  Declare it where it is used::

        S = sizes(full=dict(steps=10_000, seeds=5), quick=dict(steps=200, seeds=2))
        S.steps  # 10 000 under GANLAB_PROFILE=full (the default), 200 under quick

    Args:
        full, quick: the budget of each profile; both must name the same quantities.
        profile: ``"full"`` or ``"quick"``; default :func:`profile_name`.

    Returns:
        A namespace of the chosen profile's values, with an extra ``profile`` attribute.

    Raises:
        ValueError: for an unknown profile, or if the two budgets name different things.
    """
    profile = profile_name() if profile is None else profile
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are {', '.join(PROFILES)}")
    if set(full) != set(quick):
        only_full, only_quick = sorted(set(full) - set(quick)), sorted(set(quick) - set(full))
        raise ValueError(
            "the full and quick budgets must name the same quantities; only in full: "
            f"{only_full or 'none'}, only in quick: {only_quick or 'none'}"
        )
    if "profile" in full:
        raise ValueError("'profile' is set by sizes() itself; choose another name")
    return SimpleNamespace(profile=profile, **(full if profile == "full" else quick))


def get_device(preferred: str | torch.device | None = None) -> torch.device:
    """The device to compute on: ``preferred``, else ``$GANLAB_DEVICE``, else CUDA, MPS, CPU.

    Raises:
        ValueError: if the requested device is not valid or not available on this machine.
    """
    requested = preferred if preferred is not None else os.environ.get(DEVICE_ENV) or None
    if requested is None:
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as err:
        raise ValueError(
            f"{requested!r} is not a torch device; use cpu, cuda, cuda:N or mps"
        ) from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {requested!r} was requested but CUDA is not available here")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"device {requested!r} was requested but MPS is not available here")
    return device


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and PyTorch (CPU and CUDA) so that CPU runs are reproducible.

    Returns:
        A CPU ``torch.Generator`` seeded with ``seed``, for code that prefers its own stream.
    """
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
