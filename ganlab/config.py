"""Run-time configuration: the size profile, the compute device and seeding.

Every lesson asks this module for its sizes, so the same notebook code runs at paper-like
scale (``GANLAB_PROFILE=full``, the default) or as a quick smoke test
(``GANLAB_PROFILE=quick``, used by ``make test``).
"""

from __future__ import annotations

import os
import random
from types import MappingProxyType, SimpleNamespace

import numpy as np
import torch

PROFILE_ENV = "GANLAB_PROFILE"
DEVICE_ENV = "GANLAB_DEVICE"

# One entry per lesson (or benchmark); the two profiles share every key so that the
# notebooks run the same code path with smaller numbers.
_SIZES: dict[str, dict[str, dict[str, object]]] = {
    "00": {
        "full": {
            "steps": 5000,
            "batch_size": 256,
            "eval_every": 250,
            "eval_samples": 2500,
            "seeds": 5,
        },
        "quick": {
            "steps": 150,
            "batch_size": 64,
            "eval_every": 50,
            "eval_samples": 500,
            "seeds": 2,
        },
    },
    # the xy game: figure run length, the alternating-invariant run, the lr grid
    "01": {
        "full": {"steps": 300, "invariant_steps": 10_000, "num_lrs": 25},
        "quick": {"steps": 100, "invariant_steps": 1_000, "num_lrs": 6},
    },
    # the piecewise game: run length, starts, and the weight × lr sweep
    "02": {
        "full": {
            "steps": 20_000,
            "gd_steps": 5_000,
            "grid_size": 12,
            "num_starts": 100,
            "sweep_steps": 20_000,
            "sweep_starts": 40,
            "sweep_weights": (0.03, 0.1, 0.2, 0.5, 1.0),
            "sweep_lrs": (0.005, 0.01, 0.02, 0.05, 0.1, 0.2),
        },
        "quick": {
            "steps": 4_000,
            "gd_steps": 2_000,
            "grid_size": 7,
            "num_starts": 30,
            "sweep_steps": 3_000,
            "sweep_starts": 10,
            "sweep_weights": (0.1, 0.2, 1.0),
            "sweep_lrs": (0.01, 0.05, 0.2),
        },
    },
    # feature matching: 2-D comparison over seeds, then MNIST sample grids
    "03": {
        "full": {
            "steps": 6000,
            "batch_size": 128,
            "latent_dim": 16,
            "eval_samples": 2500,
            "seeds": 5,
            "mnist_steps": 2000,
            "mnist_samples": 100,
        },
        "quick": {
            "steps": 100,
            "batch_size": 64,
            "latent_dim": 16,
            "eval_samples": 300,
            "seeds": 2,
            "mnist_steps": 10,
            "mnist_samples": 20,
        },
    },
    # minibatch discrimination: as lesson 03, plus the cost of the layer as N grows
    "04": {
        "full": {
            "steps": 10_000,
            "batch_size": 128,
            "latent_dim": 16,
            "minibatch_kernels": 16,
            "kernel_dim": 5,
            "eval_samples": 2500,
            "seeds": 3,  # `ganlab bench modes` runs 5; 3 keep the lesson under 10 min
            "mnist_steps": 1000,
            "mnist_samples": 100,
            "cost_batch_sizes": (25, 50, 100, 200, 400),
        },
        "quick": {
            "steps": 60,
            "batch_size": 32,
            "latent_dim": 16,
            "minibatch_kernels": 4,
            "kernel_dim": 3,
            "eval_samples": 300,
            "seeds": 2,
            "mnist_steps": 10,
            "mnist_samples": 20,
            "cost_batch_sizes": (10, 20),
        },
    },
    # historical averaging: the piecewise game recap, then the 2-D GAN with the penalty on
    # D, G or both, and the test-time averages (uniform, EMA) of the generator
    "05": {
        "full": {
            "game_starts": 40,
            "game_steps": 20_000,
            "steps": 3000,
            "batch_size": 128,
            "latent_dim": 16,
            "weights": (0.001, 0.1),
            "ema_decay": 0.999,
            "eval_every": 250,
            "eval_samples": 2500,
            "seeds": 4,
        },
        "quick": {
            "game_starts": 10,
            "game_steps": 2_000,
            "steps": 40,
            "batch_size": 32,
            "latent_dim": 16,
            "weights": (0.001, 0.1),
            "ema_decay": 0.9,
            "eval_every": 20,
            "eval_samples": 300,
            "seeds": 2,
        },
    },
    # one-sided label smoothing: D's confidence and G's gradients on the ring, over seeds
    "06": {
        "full": {
            "steps": 3000,
            "batch_size": 128,
            "latent_dim": 16,
            "track_every": 250,
            "track_samples": 1000,
            "eval_samples": 2500,
            "seeds": 4,
            "strong_d_lr": 1e-2,
            "strong_steps": 1500,
            "strong_track_every": 50,
        },
        "quick": {
            "steps": 40,
            "batch_size": 32,
            "latent_dim": 16,
            "track_every": 20,
            "track_samples": 200,
            "eval_samples": 300,
            "seeds": 2,
            "strong_d_lr": 1e-2,
            "strong_steps": 20,
            "strong_track_every": 10,
        },
    },
    # virtual batch norm: batchmate dependence, the cost, and MNIST generators BN vs VBN
    "07": {
        "full": {
            "latent_dim": 64,
            "batch_size": 64,
            "reference_size": 64,
            "probe_examples": 100,
            "probe_batches": 5,
            "timing_repeats": 30,
            "mnist_steps": 1200,
            "mnist_samples": 100,
            "seeds": 2,
        },
        "quick": {
            "latent_dim": 64,
            "batch_size": 16,
            "reference_size": 16,
            "probe_examples": 10,
            "probe_batches": 2,
            "timing_repeats": 3,
            "mnist_steps": 5,
            "mnist_samples": 20,
            "seeds": 1,
        },
    },
    # Inception score: the MNIST classifier(s), the pitfalls, then real digits, noise and
    # vanilla / feature matching / minibatch discrimination generators over seeds and stages
    "08": {
        "full": {
            "classifier_steps": 1000,
            "eval_samples": 1000,
            "gan_steps": 1200,
            "stages": (0, 100, 300, 1200),
            "seeds": 2,
            "minibatch_kernels": 16,
            "kernel_dim": 5,
        },
        "quick": {
            "classifier_steps": 30,
            "eval_samples": 200,
            "gan_steps": 10,
            "stages": (0, 5, 10),
            "seeds": 2,
            "minibatch_kernels": 4,
            "kernel_dim": 3,
        },
    },
    # semi-supervised K+1: same-run comparison (a) (b) (d) on the offline digits, sample grid
    "09": {
        "full": {"epochs": 60, "seeds": 1, "samples": 100},
        "quick": {"epochs": 2, "seeds": 1, "samples": 20},
    },
    # `ganlab bench modes`: vanilla vs feature matching vs minibatch discrimination
    "bench_modes": {
        "full": {
            "steps": 10_000,
            "batch_size": 128,
            "hidden": 128,
            "latent_dim": 16,
            "minibatch_kernels": 16,
            "kernel_dim": 5,
            "eval_samples": 2500,
            "seeds": 5,
        },
        "quick": {
            "steps": 40,
            "batch_size": 32,
            "hidden": 32,
            "latent_dim": 16,
            "minibatch_kernels": 4,
            "kernel_dim": 3,
            "eval_samples": 200,
            "seeds": 1,
        },
    },
    # `ganlab bench ssl`: (a)-(d) on the offline digits; the paper's 300 epochs, of 40 steps here
    "bench_ssl": {
        "full": {"epochs": 300, "seeds": 3, "minibatch_kernels": 32},
        "quick": {"epochs": 1, "seeds": 1, "minibatch_kernels": 8},
    },
}

PROFILES = ("full", "quick")


def profile_name() -> str:
    """The active profile: ``$GANLAB_PROFILE`` if set, else ``"full"``.

    Raises:
        ValueError: if the variable holds anything but ``full`` or ``quick``.
    """
    name = os.environ.get(PROFILE_ENV, "full").strip().lower() or "full"
    if name not in PROFILES:
        raise ValueError(
            f"{PROFILE_ENV}={os.environ[PROFILE_ENV]!r} is not a profile; "
            f"valid profiles are {', '.join(PROFILES)} (unset means full)."
        )
    return name


def sizes(lesson: str, profile: str | None = None) -> SimpleNamespace:
    """The sizes (steps, samples, seeds, ...) a lesson uses under a profile.

    Args:
        lesson: the lesson or benchmark key, e.g. ``"00"``.
        profile: ``"full"`` or ``"quick"``; default: :func:`profile_name`.

    Returns:
        A namespace, e.g. ``sizes("00").steps``, with an extra ``profile`` attribute.
    """
    profile = profile_name() if profile is None else profile
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles are {', '.join(PROFILES)}")
    if lesson not in _SIZES:
        raise KeyError(f"no sizes for lesson {lesson!r}; known: {', '.join(sorted(_SIZES))}")
    return SimpleNamespace(profile=profile, **_SIZES[lesson][profile])


def all_sizes() -> MappingProxyType:
    """A read-only view of every lesson's sizes in both profiles (for tests and docs)."""
    return MappingProxyType(_SIZES)


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
