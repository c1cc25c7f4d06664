"""Feature matching (Salimans et al. 2016, §3.1).

Instead of maximising D's output, the generator matches the expected value of an
intermediate layer f of the discriminator:

    L_G = || E_{x ~ p_data} f(x) - E_{z ~ p_z} f(G(z)) ||_2^2

D is trained as usual.  The official code used two variants of the same idea: the MNIST
script divides the squared norm by the number of features (``reduction="mean"``), the
CIFAR-10 / SVHN scripts take the mean absolute difference of the batch means
(``reduction="l1"``).
"""

from __future__ import annotations

from torch import Tensor, nn

REDUCTIONS = ("sum", "mean", "l1")


def feature_matching_loss(
    real_features: Tensor, fake_features: Tensor, reduction: str = "sum"
) -> Tensor:
    """|| mean_batch f(x) - mean_batch f(G(z)) ||², the generator cost of §3.1.

    Args:
        real_features: (N, ...) features of real data; flattened per example.
        fake_features: (M, ...) features of generated data; M may differ from N.
        reduction: ``"sum"`` — the paper's squared L2 norm; ``"mean"`` — divided by the
            number of features (official MNIST code); ``"l1"`` — mean absolute difference
            of the batch means (official CIFAR-10 code).

    Returns:
        A scalar tensor.
    """
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if real_features.ndim < 2 or fake_features.ndim < 2:
        raise ValueError(
            "features must have a batch dimension, shape (N, ...); got "
            f"{tuple(real_features.shape)} and {tuple(fake_features.shape)}"
        )
    if real_features.shape[1:] != fake_features.shape[1:]:
        raise ValueError(
            "real and fake features must have the same shape per example, got "
            f"{tuple(real_features.shape[1:])} and {tuple(fake_features.shape[1:])}"
        )
    if len(real_features) == 0 or len(fake_features) == 0:
        raise ValueError("feature matching needs at least one real and one fake example")
    diff = real_features.flatten(1).mean(0) - fake_features.flatten(1).mean(0)  # (F,)
    if reduction == "sum":
        return diff.pow(2).sum()
    if reduction == "mean":
        return diff.pow(2).mean()
    return diff.abs().mean()


class FeatureMatchingObjective:
    """Trainer objective for G: :func:`feature_matching_loss` on ``discriminator.features``.

    The discriminator must have a ``features(x)`` method (all ganlab discriminators do).
    Real features carry no gradient to G, so they are computed without autograd.
    """

    def __init__(self, reduction: str = "sum"):
        if reduction not in REDUCTIONS:
            raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
        self.reduction = reduction

    def __call__(self, discriminator: nn.Module, real: Tensor, fake: Tensor) -> Tensor:
        features = getattr(discriminator, "features", None)
        if features is None:
            raise TypeError(
                f"{type(discriminator).__name__} has no features(x) method; feature matching "
                "needs D's intermediate activations"
            )
        real_features = features(real).detach()
        return feature_matching_loss(real_features, features(fake), self.reduction)

    def __repr__(self) -> str:
        return f"FeatureMatchingObjective(reduction={self.reduction!r})"
