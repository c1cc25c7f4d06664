"""A small MNIST classifier for the "MNIST score" and "MNIST FID" of lesson 08.

The Inception score needs a classifier of the data's classes.  Inception-v3 knows ImageNet,
not digits, so for MNIST generators the course uses this small CNN, trained in a minute or
two on the digits of :func:`ganlab.data.mnist` and cached in :func:`default_cache_dir` after
the first training (one file per training budget, seed and data set).  Its logits give the
MNIST score (range [1, 10]); its hidden layer (128 features) gives the MNIST FID.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.config import get_device
from ganlab.data import mnist
from ganlab.files import save_torch
from ganlab.modes import evaluating
from ganlab.progress import progress_bar

log = logging.getLogger(__name__)

CACHE_ENV = "GANLAB_CACHE"
FORMAT_VERSION = 1


def default_cache_dir() -> Path:
    """Where trained helper networks are cached: ``$GANLAB_CACHE`` or ``~/.cache/ganlab``."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "ganlab")


class MNISTClassifier(nn.Module):
    """A CNN: (N, 1, 28, 28) digits in [0, 1] → 10 logits; ``features`` is its hidden layer."""

    def __init__(self, width: int = 32, hidden: int = 128, dropout: float = 0.3):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 28 → 14
            nn.Conv2d(width, 2 * width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14 → 7
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, hidden),
            nn.ReLU(),
        )
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(hidden, 10))
        self.test_accuracy: float | None = None  # set by mnist_classifier()

    def features(self, x: Tensor) -> Tensor:
        """The hidden layer, (N, hidden): the features of the MNIST FID."""
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"expected digits of shape (N, 1, 28, 28), got {tuple(x.shape)}")
        return self.body(x)

    def forward_with_features(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``(logits (N, 10), features (N, hidden))`` in one pass."""
        h = self.features(x)
        return self.head(h), h

    def forward(self, x: Tensor) -> Tensor:
        """(N, 1, 28, 28) digits → (N, 10) logits."""
        return self.head(self.features(x))


def _shift(x: Tensor, generator: torch.Generator) -> Tensor:
    """The batch translated by up to 2 pixels each way (one random shift for the batch)."""
    dy, dx = torch.randint(-2, 3, (2,), generator=generator).tolist()
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def train_mnist_classifier(
    images: Tensor,
    labels: Tensor,
    *,
    steps: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    device: str | torch.device | None = None,
    progress: bool | None = None,
) -> MNISTClassifier:
    """Train a fresh :class:`MNISTClassifier` with Adam and small random shifts.

    Args:
        images: (N, 1, 28, 28) digits in [0, 1]. labels: (N,) int64 in 0..9.
        progress: a progress bar; default: on when interactive and the profile is ``full``.

    Returns:
        The classifier, in eval mode, on ``device``.
    """
    if images.ndim != 4 or images.shape[1:] != (1, 28, 28) or labels.shape != (len(images),):
        raise ValueError(
            f"expected images (N, 1, 28, 28) and labels (N,), got {tuple(images.shape)} and "
            f"{tuple(labels.shape)}"
        )
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    device = get_device(device)
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)  # initial weights and dropout
    model = MNISTClassifier().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, steps)
    model.train()
    with progress_bar(steps, "training the MNIST classifier", show=progress) as bar:
        for _ in range(steps):
            index = torch.randint(len(images), (batch_size,), generator=generator)
            x = _shift(images[index], generator).to(device)  # (B, 1, 28, 28)
            loss = F.cross_entropy(model(x), labels[index].to(device))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            bar.update(1)
    return model.eval()


@torch.no_grad()
def classifier_accuracy(
    model: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 500
) -> float:
    """The fraction of ``images`` (N, 1, 28, 28) that ``model`` labels correctly.

    ``model`` runs in eval mode; its modes are restored afterwards.
    """
    device = next(model.parameters()).device
    correct = 0
    with evaluating(model):
        for start in range(0, len(images), batch_size):
            logits = model(images[start : start + batch_size].to(device))
            correct += int((logits.argmax(1).cpu() == labels[start : start + batch_size]).sum())
    return correct / len(images)


def mnist_classifier(
    *,
    steps: int = 1000,
    seed: int = 0,
    source: str = "auto",
    cache_dir: str | os.PathLike | None = None,
    retrain: bool = False,
    device: str | torch.device | None = None,
    progress: bool | None = None,
) -> MNISTClassifier:
    """The course's MNIST classifier: loaded from the cache, else trained and cached.

    The cache file is named after the training budget, seed and number of training digits,
    so a quick-profile classifier never stands in for a full one.

    Args:
        steps, seed: the training budget and seed (see :func:`train_mnist_classifier`).
        source: the digits, as in :func:`ganlab.data.mnist`.
        cache_dir: default :func:`default_cache_dir`.
        retrain: train even if a cached copy exists (and overwrite it).

    Returns:
        The classifier in eval mode on ``device``, with ``test_accuracy`` on the test split.
    """
    images, labels = mnist("train", source)
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    path = (
        folder
        / f"mnist_classifier_v{FORMAT_VERSION}_{len(images)}digits_{steps}steps_seed{seed}.pt"
    )
    device = get_device(device)
    model = MNISTClassifier()
    if path.exists() and not retrain:
        state = torch.load(path, map_location="cpu", weights_only=True)
        model.load_state_dict(state["model"])
        model.test_accuracy = float(state["test_accuracy"])
        return model.to(device).eval()
    model = train_mnist_classifier(
        images, labels, steps=steps, seed=seed, device=device, progress=progress
    )
    test_images, test_labels = mnist("test", source)
    model.test_accuracy = classifier_accuracy(model, test_images, test_labels)
    state = {"model": {k: v.cpu() for k, v in model.state_dict().items()}}
    state["test_accuracy"] = torch.tensor(model.test_accuracy)
    save_torch(state, path)  # atomic: a half-written file is never loaded
    log.info(
        "trained the MNIST classifier (test accuracy %.4f), cached in %s", model.test_accuracy, path
    )
    return model
