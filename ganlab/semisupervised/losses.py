"""The K+1-class losses of §5, written from the K class logits.

The classifier gets an extra class K+1, "generated".  Its logit is redundant (softmax is
unchanged by adding the same number to every logit), so the paper fixes l_{K+1}(x) = 0.
With Z(x) = Σ_k exp l_k(x) the probability that x is real becomes

    D(x) = 1 - p(y = K+1 | x) = Z(x) / (Z(x) + 1) = sigmoid(log Z(x)).

So the K+1 classifier *is* a vanilla GAN discriminator whose logit is
log Z(x) = LSE(l(x)) = log Σ_k exp l_k(x), and the GAN losses of §5 are the vanilla ones of
:mod:`ganlab.losses` applied to that logit:

    L_unsupervised = -½ E_x log D(x) - ½ E_z log(1 - D(G(z)))
                   = ½ · discriminator_loss(LSE(l(x)), LSE(l(G(z))))
    L_G            = -E_z log D(G(z))
                   = generator_loss(LSE(l(G(z))), "nonsaturating")

(the ½ is the official code's weighting of the two terms).  This is how
:func:`unsupervised_loss` and :func:`generator_nonsaturating_loss` are computed: LSE and the
softplus terms of the vanilla losses never overflow.

The ``kplus1_*`` functions compute the same losses from an explicit (N, K+1) softmax;
they exist so that the lesson and the tests can show the two are identical.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.losses import _check_logits, discriminator_loss, generator_loss


def supervised_loss(logits: Tensor, labels: Tensor) -> Tensor:
    """L_supervised = -E log p(y | x, y < K+1): cross-entropy over the K real classes.

    Args:
        logits: (N, K) class logits l_1..l_K of labelled examples.
        labels: (N,) integer classes in 0..K-1.
    """
    logits = _check_logits("logits", logits, per_class=True)
    if labels.shape != logits.shape[:1]:
        raise ValueError(f"labels must have shape ({logits.shape[0]},), got {tuple(labels.shape)}")
    return F.cross_entropy(logits, labels)


def log_partition(logits: Tensor, name: str = "logits") -> Tensor:
    """log Z(x) = LSE_k l_k(x), shape (N,), computed stably: D's logit in the K+1 game.

    Args:
        logits: (N, K) class logits.
        name: what the error message calls ``logits``.
    """
    logits = _check_logits(name, logits, per_class=True)
    return torch.logsumexp(logits, dim=1)


def discriminator_probability(logits: Tensor) -> Tensor:
    """D(x) = Z(x) / (Z(x) + 1) = sigmoid(LSE(l(x))), shape (N,), from (N, K) logits."""
    return torch.sigmoid(log_partition(logits))


def unsupervised_loss(logits_unlabeled: Tensor, logits_fake: Tensor) -> Tensor:
    """L_unsupervised = -½ E_x log D(x) - ½ E_z log(1 - D(G(z))), as the official code.

    Computed as ½ · :func:`ganlab.losses.discriminator_loss` of the logits log Z(x) and
    log Z(G(z)), i.e. ½ mean(softplus(-LSE_unl)) + ½ mean(softplus(LSE_fake)).

    Args:
        logits_unlabeled: (N, K) logits of unlabelled real examples.
        logits_fake: (M, K) logits of generated examples.

    Returns:
        A scalar.
    """
    lse_unl = log_partition(logits_unlabeled, "logits_unlabeled")  # (N,)
    lse_fake = log_partition(logits_fake, "logits_fake")  # (M,)
    if logits_unlabeled.shape[1] != logits_fake.shape[1]:
        raise ValueError(
            "unlabelled and fake logits must have the same number of classes, got "
            f"{logits_unlabeled.shape[1]} and {logits_fake.shape[1]}"
        )
    return 0.5 * discriminator_loss(lse_unl, lse_fake)


def generator_nonsaturating_loss(logits_fake: Tensor) -> Tensor:
    """L_G = -E_z log D(G(z)) = E softplus(-LSE(l(G(z)))): G's usual objective in the K+1 game.

    Computed as the non-saturating :func:`ganlab.losses.generator_loss` of log Z(G(z)).

    Args:
        logits_fake: (M, K) logits of generated examples.
    """
    return generator_loss(log_partition(logits_fake, "logits_fake"), "nonsaturating")


def kplus1_logits(logits: Tensor) -> Tensor:
    """(N, K) → (N, K+1): append the fixed logit l_{K+1} = 0 of the "generated" class."""
    logits = _check_logits("logits", logits, per_class=True)
    return torch.cat([logits, logits.new_zeros(len(logits), 1)], dim=1)


def kplus1_supervised_loss(logits_k1: Tensor, labels: Tensor) -> Tensor:
    """-E log p_model(y | x, y < K+1) from explicit (N, K+1) logits (renormalised on 1..K)."""
    logits_k1 = _check_logits("logits_k1", logits_k1, per_class=True)
    log_p = torch.log_softmax(logits_k1, dim=1)  # (N, K+1)
    log_p_real = torch.logsumexp(log_p[:, :-1], dim=1)  # log p(y < K+1 | x)
    return -(log_p.gather(1, labels[:, None]).squeeze(1) - log_p_real).mean()


def kplus1_unsupervised_loss(logits_k1_unlabeled: Tensor, logits_k1_fake: Tensor) -> Tensor:
    """-½ E log(1 - p(K+1 | x)) - ½ E log p(K+1 | G(z)) from explicit (N, K+1) logits."""
    logits_k1_unlabeled = _check_logits("logits_k1_unlabeled", logits_k1_unlabeled, per_class=True)
    logits_k1_fake = _check_logits("logits_k1_fake", logits_k1_fake, per_class=True)
    log_p_unl = torch.log_softmax(logits_k1_unlabeled, dim=1)
    log_p_fake = torch.log_softmax(logits_k1_fake, dim=1)
    log_real_unl = torch.logsumexp(log_p_unl[:, :-1], dim=1)  # log(1 - p(K+1 | x))
    return -0.5 * log_real_unl.mean() - 0.5 * log_p_fake[:, -1].mean()
