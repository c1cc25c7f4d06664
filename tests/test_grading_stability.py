"""Tests of the graded cases of lessons 05-07 (historical averaging, label smoothing, VBN).

The correct answers come from :mod:`ganlab.tricks`, which the cases never call for their
references, so a pass here is a pass against an independent implementation.  Each known
mistake must fail the cases it breaks, with a hint that names it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.losses import discriminator_loss
from ganlab.tricks import HistoricalAveraging, VirtualBatchNorm, optimal_discriminator

# ----------------------------------------------------------------- correct answers (oracle)


def _update_mean(mean: Tensor, theta: Tensor, count: int) -> Tensor:
    """One :meth:`HistoricalAveraging.update` from a mean of ``count`` snapshots."""
    param = mean.clone()
    averaging = HistoricalAveraging([param])
    averaging.count = count
    param.copy_(theta)
    averaging.update()
    return averaging.means[0]


def _penalty(params: list[Tensor], means: list[Tensor], weight: float) -> Tensor:
    averaging = HistoricalAveraging(params, weight)
    averaging.means = [m.clone() for m in means]
    return averaging.penalty()


def _smoothed_loss(real: Tensor, fake: Tensor, alpha: float = 0.9) -> Tensor:
    return discriminator_loss(real, fake, real_target=alpha)


def _reference_statistics(reference: Tensor) -> tuple[Tensor, Tensor]:
    layer = VirtualBatchNorm(reference.shape[1])
    layer.set_reference(reference)
    return layer.reference_mean, layer.reference_mean_sq


def _vbn_normalize(x: Tensor, mean: Tensor, mean_sq: Tensor, size: int, eps: float) -> Tensor:
    layer = VirtualBatchNorm(x.shape[0], eps=eps).to(x.dtype)
    layer.reference_mean, layer.reference_mean_sq = mean.to(x.dtype), mean_sq.to(x.dtype)
    layer.reference_size = size
    return layer(x[None])[0]


CORRECT = {
    "05.1": _update_mean,
    "05.2": _penalty,
    "06.1": _smoothed_loss,
    "06.2": optimal_discriminator,
    "07.1": _reference_statistics,
    "07.2": _vbn_normalize,
}

# ------------------------------------------------------------------- known wrong answers


def _two_sided(real: Tensor, fake: Tensor, alpha: float = 0.9) -> Tensor:
    return discriminator_loss(real, fake, real_target=alpha, fake_target=1 - alpha)


def _unstable(real: Tensor, fake: Tensor, alpha: float = 0.9) -> Tensor:
    d_real, d_fake = torch.sigmoid(real), torch.sigmoid(fake)
    real_term = alpha * torch.log(d_real) + (1 - alpha) * torch.log(1 - d_real)
    return -real_term.mean() - torch.log(1 - d_fake).mean()


def _vbn_wrong(c_of: Callable[[int], float]) -> Callable:
    def answer(x: Tensor, mean: Tensor, mean_sq: Tensor, size: int, eps: float) -> Tensor:
        c = c_of(size)
        mu = c * x.mean(dim=(1, 2), keepdim=True) + (1 - c) * mean[:, None, None]
        nu = c * x.pow(2).mean(dim=(1, 2), keepdim=True) + (1 - c) * mean_sq[:, None, None]
        return (x - mu) / torch.sqrt(eps + nu - mu**2)

    return answer


def _mixed_variances(x: Tensor, mean: Tensor, mean_sq: Tensor, size: int, eps: float) -> Tensor:
    c = 1 / (size + 1)
    mu = c * x.mean(dim=(1, 2), keepdim=True) + (1 - c) * mean[:, None, None]
    var = (
        c * x.var(dim=(1, 2), unbiased=False, keepdim=True)
        + (1 - c) * (mean_sq - mean**2)[:, None, None]
    )
    return (x - mu) / torch.sqrt(eps + var)


def _no_validation(p_data: Tensor, p_model: Tensor, alpha: float, beta: float) -> Tensor:
    return (alpha * p_data + beta * p_model) / (p_data + p_model)


# (exercise, wrong answer, a phrase of the hint (None: no hint expected), the failing cases)
WRONG = {
    "05.1 divided by t": ("05.1", lambda m, x, t: m + (x - m) / t, "you divided by t", [0, 1]),
    "05.1 EMA 1/2": ("05.1", lambda m, x, t: (m + x) / 2, "exponential average", [0, 1]),
    "05.1 new value": ("05.1", lambda m, x, t: x.clone(), "you returned the new value", [0, 1]),
    "05.2 no weight": (
        "05.2",
        lambda p, m, w: _penalty(p, m, 1.0),
        {0: "forgot the weight", 1: "forgot the weight", 2: "lacks the weight"},
        [0, 1, 2],
    ),
    "05.2 mse": (
        "05.2",
        lambda p, m, w: w * sum(F.mse_loss(a, b) for a, b in zip(p, m, strict=True)),
        {0: "F.mse_loss", 1: "F.mse_loss", 2: None},
        [0, 1, 2],
    ),
    "05.2 first tensor only": (
        "05.2",
        lambda p, m, w: _penalty(p[:1], m[:1], w),
        {1: "only the first parameter", 2: "does not depend on params[1]"},
        [1, 2],
    ),
    "05.2 halved": (
        "05.2",
        lambda p, m, w: _penalty(p, m, w) / 2,
        {0: "halved", 1: "halved", 2: "half the right one"},
        [0, 1, 2],
    ),
    "06.1 two-sided": ("06.1", _two_sided, "two-sided", [0, 1, 2]),
    "06.1 no smoothing": (
        "06.1",
        lambda r, f, alpha=0.9: discriminator_loss(r, f),
        {0: "did not smooth", 1: "did not smooth", 2: "did not smooth", 3: "does not see α"},
        [0, 1, 2, 3],
    ),
    "06.1 unstable": ("06.1", _unstable, {2: "softplus"}, [2]),
    "06.2 swapped": (
        "06.2",
        lambda d, m, a, b: optimal_discriminator(d, m, b, a),
        "swapped α and β",
        [0, 1, 2],
    ),
    "06.2 no validation": ("06.2", _no_validation, {3: "raise a ValueError"}, [3]),
    "07.1 variance": (
        "07.1",
        lambda r: (r.mean(dim=(0, 2, 3)), r.var(dim=(0, 2, 3), unbiased=False)),
        "you returned the variance",
        [0, 1],
    ),
    "07.2 c = 1/B": (
        "07.2",
        _vbn_wrong(lambda b: 1 / max(b, 1)),
        {0: "c = 1/B_ref", 1: "c = 1/B_ref", 3: None},
        [0, 1, 3],
    ),
    "07.2 reference only": (
        "07.2",
        _vbn_wrong(lambda b: 0.0),
        {0: "reference statistics alone", 1: "reference statistics alone", 2: None, 3: None},
        [0, 1, 2, 3],
    ),
    "07.2 mixed variances": (
        "07.2",
        _mixed_variances,
        {0: "you mixed the variances", 1: "you mixed the variances", 3: None},
        [0, 1, 3],
    ),
}


# the exercises' function names in order, per lesson (tests/test_grading.py checks them)
TARGETS = {
    "05": ["update_mean", "historical_averaging_penalty"],
    "06": ["smoothed_discriminator_loss", "optimal_discriminator"],
    "07": ["reference_statistics", "vbn_normalize"],
}
