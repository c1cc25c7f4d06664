"""The Inception score (Salimans et al., 2016, §4), split and averaged as the official code.

IS = exp( E_x KL( p(y|x) || p(y) ) ): high when each sample is classified confidently
(low-entropy p(y|x)) and the samples cover many classes (high-entropy marginal p(y)).  It lies
in [1, K] for K classes.  Like the official code (and torch-fidelity) the samples are cut into
``splits`` groups, p(y) is estimated on each group, and the mean and the standard deviation
(ddof 0) of the per-group scores are returned.  Two differences from the official code:
log p(y|x) is computed in float64, through a log-softmax when logits are given (the official
code takes the log of float32 softmax probabilities), and by default the samples are
shuffled before splitting (see :func:`inception_score`).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import Tensor

# Rows of ``probs`` must sum to 1 within this (float32 softmax outputs do, to ~1e-7).
PROBS_SUM_TOL = 1e-4


def _as_float64(values: Tensor | np.ndarray, name: str) -> Tensor:
    """``values`` as a float64 CPU tensor of shape (N, K), or a ValueError saying what is wrong."""
    if isinstance(values, np.ndarray):
        values = torch.from_numpy(values)
    if not isinstance(values, Tensor):
        raise TypeError(f"{name} must be a torch.Tensor or a NumPy array, got {type(values)}")
    if values.ndim != 2:
        raise ValueError(
            f"{name} must have shape (N, K), one row of K class scores per sample; "
            f"got shape {tuple(values.shape)}"
        )
    if values.shape[1] < 1:
        raise ValueError(f"{name} must have at least one class, got shape {tuple(values.shape)}")
    if not (values.is_floating_point() or values.dtype in (torch.int32, torch.int64)):
        raise TypeError(f"{name} must hold real numbers, got dtype {values.dtype}")
    values = values.detach().to("cpu", torch.float64)
    bad = ~torch.isfinite(values)
    if bad.any():
        row = int(bad.any(dim=1).nonzero()[0])
        raise ValueError(
            f"{name} must be finite; {int(bad.sum())} entries are NaN or inf (first in row {row})"
        )
    return values


def _log_probabilities(logits: Tensor | None, probs: Tensor | None) -> Tensor:
    """log p(y|x), (N, K) float64, from exactly one of ``logits`` and ``probs``."""
    if (logits is None) == (probs is None):
        raise ValueError("pass exactly one of logits= and probs=")
    if logits is not None:
        # log p(y|x) = l_y(x) − log Σ_k exp l_k(x): no log of a rounded probability
        return torch.log_softmax(_as_float64(logits, "logits"), dim=1)
    p = _as_float64(probs, "probs")
    if (p < 0).any():
        raise ValueError(f"probs must be non-negative; the smallest entry is {p.min().item():.3g}")
    sums = p.sum(dim=1)  # (N,)
    worst = int((sums - 1).abs().argmax())
    if abs(sums[worst].item() - 1) > PROBS_SUM_TOL:
        raise ValueError(
            f"each row of probs must sum to 1 (within {PROBS_SUM_TOL:g}); row {worst} sums to "
            f"{sums[worst].item():.6g} — did you pass logits as probs?"
        )
    return torch.log(p)  # log 0 = −inf where p = 0: the KL below weighs it by p = 0


def _check_splits(n: int, splits: int) -> None:
    if isinstance(splits, bool) or not isinstance(splits, int) or splits < 1:
        raise ValueError(f"splits must be a positive int, got {splits!r}")
    if n < splits:
        raise ValueError(
            f"{n} samples cannot be cut into {splits} splits (each split needs at least one "
            "sample, and p(y) estimated on a handful of samples is meaningless); use more "
            "samples or fewer splits"
        )


def split_scores(log_p: Tensor, splits: int) -> Tensor:
    """The score of each split, (splits,) float64, from log p(y|x) (N, K) in sample order.

    Split k holds rows [k·N // splits, (k+1)·N // splits), as in the official code.
    """
    n = len(log_p)
    _check_splits(n, splits)
    scores = []
    for k in range(splits):
        log_p_k = log_p[k * n // splits : (k + 1) * n // splits]  # (n_k, K)
        p_k = log_p_k.exp()
        # p(y) = mean over the split of p(y|x), in log space for accuracy
        log_marginal = torch.logsumexp(log_p_k, dim=0) - math.log(len(log_p_k))  # (K,)
        # KL(p(y|x) || p(y)) = Σ_y p(y|x) (log p(y|x) − log p(y)); 0 · log 0 counts as 0
        kl = torch.where(p_k > 0, p_k * (log_p_k - log_marginal), 0.0).sum(dim=1)  # (n_k,)
        # IS = exp(E_x KL(p(y|x) || p(y)))
        scores.append(kl.mean().exp())
    return torch.stack(scores)


def inception_score(
    logits: Tensor | np.ndarray | None = None,
    probs: Tensor | np.ndarray | None = None,
    splits: int = 10,
    shuffle: bool = True,
    seed: int = 2020,
) -> tuple[float, float]:
    """The Inception score of N samples from their class logits or probabilities.

    Computed in float64; from logits through log-softmax.  With ``shuffle`` the rows are
    permuted by ``np.random.RandomState(seed).permutation(N)`` first (torch-fidelity's
    convention; the official code does not shuffle, which distorts the score when the samples
    come ordered by class and the splits are small).

    Args:
        logits: (N, K) unnormalised class scores, e.g. Inception's 1008 logits.
        probs: (N, K) class probabilities p(y|x), rows summing to 1.  Pass exactly one.
        splits: the number of groups over which p(y) is estimated (the paper: 10 of 5000).
        shuffle: permute the samples before splitting.
        seed: the permutation's seed.

    Returns:
        ``(mean, std)`` of the per-split scores, std with ddof 0, as Python floats.
    """
    log_p = _log_probabilities(logits, probs)  # (N, K)
    _check_splits(len(log_p), splits)
    if shuffle:
        order = np.random.RandomState(seed).permutation(len(log_p))
        log_p = log_p[torch.from_numpy(order)]
    scores = split_scores(log_p, splits).numpy()
    return float(np.mean(scores)), float(np.std(scores))
