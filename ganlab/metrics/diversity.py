"""Sample diversity: how alike the samples of one batch are (lessons 03–04).

A collapsed generator produces near-identical samples.  These measures need no trained
classifier; :func:`class_histogram` takes any classifier (lesson 08 trains one for MNIST) to
count how many samples fall into each class, and :func:`total_variation_from_uniform` /
:func:`kl_from_uniform` say how far such a histogram is from every class equally often.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor, nn

from ganlab.modes import evaluating


def _flat(samples: Tensor) -> Tensor:
    samples = torch.as_tensor(samples)
    if samples.ndim < 2 or len(samples) < 2:
        raise ValueError(
            f"expected at least 2 samples of shape (N, ...), got {tuple(samples.shape)}"
        )
    return samples.flatten(1).double()


def mean_pairwise_distance(samples: Tensor) -> float:
    """Mean Euclidean distance between two different samples of the batch, (N, ...) → float.

    The mean over all N(N-1)/2 pairs; 0 for a fully collapsed batch.
    """
    x = _flat(samples)
    dist = torch.cdist(x, x)  # (N, N)
    n = len(x)
    return float(dist.sum() / (n * (n - 1)))


def near_duplicate_fraction(samples: Tensor, threshold: float) -> float:
    """Fraction of samples whose nearest *other* sample is closer than ``threshold``.

    For MNIST digits in [0, 1] (784 pixels), two renderings of the same digit by different
    writers are typically 6–10 apart; a threshold of about 2 flags copies.
    """
    if not threshold > 0:
        raise ValueError(f"threshold must be > 0, got {threshold}")
    x = _flat(samples)
    dist = torch.cdist(x, x)
    dist.fill_diagonal_(float("inf"))
    return float((dist.min(dim=1).values < threshold).double().mean())


@torch.no_grad()
def class_histogram(
    images: Tensor, classifier: nn.Module, num_classes: int = 10, batch_size: int = 500
) -> Tensor:
    """How many images ``classifier`` puts in each class: int64 (num_classes,).

    ``classifier`` maps a batch of images to (N, num_classes) logits; it runs on the device
    of its parameters, in eval mode (its modes are restored afterwards).  A generator that
    covers every digit gives a flat histogram.
    """
    device = next(classifier.parameters()).device
    counts = torch.zeros(num_classes, dtype=torch.int64)
    with evaluating(classifier):
        for start in range(0, len(images), batch_size):
            logits = classifier(images[start : start + batch_size].to(device))
            if logits.ndim != 2 or logits.shape[1] != num_classes:
                raise ValueError(
                    f"classifier returned {tuple(logits.shape)}, expected (N, {num_classes})"
                )
            counts += torch.bincount(logits.argmax(dim=1).cpu(), minlength=num_classes)
    return counts


def _class_frequencies(counts: Tensor) -> Tensor:
    """A histogram (K,) of non-negative counts → its frequencies p (K,), float64."""
    counts = torch.as_tensor(counts).double()
    if counts.ndim != 1 or len(counts) < 2:
        raise ValueError(
            f"expected a histogram of shape (K,) with K >= 2, got {tuple(counts.shape)}"
        )
    if bool((counts < 0).any()) or not float(counts.sum()) > 0:
        raise ValueError(
            f"expected non-negative counts with a positive total, got {counts.tolist()}"
        )
    return counts / counts.sum()


def total_variation_from_uniform(counts: Tensor) -> float:
    """Total variation distance of a class histogram from the uniform distribution.

    TV(p, u) = ½ Σ_k | p_k − 1/K |, with p = counts / Σ counts and u_k = 1/K:
    the fraction of samples that would have to change class to make every class equally
    frequent.  0 for a flat histogram, 1 − 1/K when every sample is in one class.

    Args:
        counts: (K,) non-negative class counts, e.g. from :func:`class_histogram`.
    """
    p = _class_frequencies(counts)
    return float(0.5 * (p - 1.0 / len(p)).abs().sum())


def kl_from_uniform(counts: Tensor) -> float:
    """KL divergence KL(p || u) in nats of a class histogram from the uniform distribution.

    KL(p || u) = Σ_k p_k log(K p_k) = log K − H(p), with 0 log 0 = 0: 0 for a flat
    histogram, log K when every sample is in one class.

    Args:
        counts: (K,) non-negative class counts, e.g. from :func:`class_histogram`.
    """
    p = _class_frequencies(counts)
    present = p > 0  # empty classes add 0 log 0 = 0
    return float((p[present] * torch.log(len(p) * p[present])).sum())


def diversity_table(samples: Mapping[str, Tensor], threshold: float = 2.0) -> str:
    """A text table: per named batch (N, ...), mean pairwise distance and near-duplicates.

    E.g. ``diversity_table({"real digits": real, "vanilla": fake})``; a collapsed batch
    has a small distance and a large near-duplicate fraction.
    """
    width = max([len(name) for name in samples] + [10])
    lines = [
        f"{'':<{width}} {'mean pairwise distance':>22} {f'near-duplicates (< {threshold:g})':>24}"
    ]
    for name, batch in samples.items():
        lines.append(
            f"{name:<{width}} {mean_pairwise_distance(batch):>22.2f} "
            f"{near_duplicate_fraction(batch, threshold):>24.2f}"
        )
    return "\n".join(lines)
