"""The K+1-class losses of §5, written from the K class logits.

The classifier gets an extra class K+1, "generated".  Its logit is redundant (softmax is
unchanged by adding the same number to every logit), so the paper fixes l_{K+1}(x) = 0.
With Z(x) = Σ_k exp l_k(x) the probability that x is real becomes

    D(x) = 1 - p(y = K+1 | x) = Z(x) / (Z(x) + 1) = sigmoid(log Z(x)),

and the unsupervised GAN loss needs only LSE(l(x)) = log Z(x):

    -log D(x)          = -LSE(l(x)) + softplus(LSE(l(x)))
    -log(1 - D(G(z)))  = softplus(LSE(l(G(z)))).

The ``kplus1_*`` functions compute the same losses from an explicit (N, K+1) softmax;
they exist so that the lesson and the tests can show the two are identical.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def _check_logits(logits: Tensor, name: str = "logits") -> None:
    if logits.ndim != 2 or logits.shape[1] < 1:
        raise ValueError(f"{name} must have shape (N, K) with K >= 1, got {tuple(logits.shape)}")
    if not logits.is_floating_point():
        raise ValueError(f"{name} must be floating point, got {logits.dtype}")


def supervised_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """L_supervised = -E log p(y | x, y < K+1): cross-entropy over the K real classes.

    Args:
        logits: (N, K) class logits l_1..l_K of labelled examples.
        labels: (N,) integer classes in 0..K-1.
    """
    _check_logits(logits)
    if labels.shape != logits.shape[:1]:
        raise ValueError(f"labels must have shape ({logits.shape[0]},), got {tuple(labels.shape)}")
    return F.cross_entropy(logits, labels)


def log_partition(logits: Tensor) -> Tensor:
    """log Z(x) = LSE_k l_k(x), shape (N,), computed stably."""
    _check_logits(logits)
    return torch.logsumexp(logits, dim=1)


def discriminator_probability(logits: Tensor) -> Tensor:
    """D(x) = Z(x) / (Z(x) + 1) = sigmoid(LSE(l(x))), shape (N,), from (N, K) logits."""
    return torch.sigmoid(log_partition(logits))


def unsupervised_loss(logits_unlabeled: Tensor, logits_fake: Tensor) -> Tensor:
    """L_unsupervised = -½ E_x log D(x) - ½ E_z log(1 - D(G(z))), as the official code.

    Args:
        logits_unlabeled: (N, K) logits of unlabelled real examples.
        logits_fake: (M, K) logits of generated examples.

    Returns:
        A scalar: -½ mean(LSE_unl) + ½ mean(softplus(LSE_unl)) + ½ mean(softplus(LSE_fake)).
    """
    _check_logits(logits_unlabeled, "logits_unlabeled")
    _check_logits(logits_fake, "logits_fake")
    if logits_unlabeled.shape[1] != logits_fake.shape[1]:
        raise ValueError(
            "unlabelled and fake logits must have the same number of classes, got "
            f"{logits_unlabeled.shape[1]} and {logits_fake.shape[1]}"
        )
    lse_unl = torch.logsumexp(logits_unlabeled, dim=1)  # (N,)
    lse_fake = torch.logsumexp(logits_fake, dim=1)  # (M,)
    # -log D(x) = -LSE + softplus(LSE);  -log(1 - D(G(z))) = softplus(LSE)
    return (
        -0.5 * lse_unl.mean() + 0.5 * F.softplus(lse_unl).mean() + 0.5 * F.softplus(lse_fake).mean()
    )


def generator_nonsaturating_loss(logits_fake: Tensor) -> Tensor:
    """-E_z log D(G(z)) = E softplus(-LSE(l(G(z)))): G's usual objective in the K+1 game."""
    return F.softplus(-log_partition(logits_fake)).mean()


def kplus1_logits(logits: Tensor) -> Tensor:
    """(N, K) → (N, K+1): append the fixed logit l_{K+1} = 0 of the "generated" class."""
    _check_logits(logits)
    return torch.cat([logits, logits.new_zeros(len(logits), 1)], dim=1)


def kplus1_supervised_loss(logits_k1: Tensor, labels: Tensor) -> Tensor:
    """-E log p_model(y | x, y < K+1) from explicit (N, K+1) logits (renormalised on 1..K)."""
    _check_logits(logits_k1, "logits_k1")
    log_p = torch.log_softmax(logits_k1, dim=1)  # (N, K+1)
    log_p_real = torch.logsumexp(log_p[:, :-1], dim=1)  # log p(y < K+1 | x)
    return -(log_p.gather(1, labels[:, None]).squeeze(1) - log_p_real).mean()


def kplus1_unsupervised_loss(logits_k1_unlabeled: Tensor, logits_k1_fake: Tensor) -> Tensor:
    """-½ E log(1 - p(K+1 | x)) - ½ E log p(K+1 | G(z)) from explicit (N, K+1) logits."""
    _check_logits(logits_k1_unlabeled, "logits_k1_unlabeled")
    _check_logits(logits_k1_fake, "logits_k1_fake")
    log_p_unl = torch.log_softmax(logits_k1_unlabeled, dim=1)
    log_p_fake = torch.log_softmax(logits_k1_fake, dim=1)
    log_real_unl = torch.logsumexp(log_p_unl[:, :-1], dim=1)  # log(1 - p(K+1 | x))
    return -0.5 * log_real_unl.mean() - 0.5 * log_p_fake[:, -1].mean()
