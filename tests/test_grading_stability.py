"""Tests of the graded cases of lessons 05-07 (historical averaging, label smoothing, VBN).

The correct answers come from :mod:`ganlab.tricks`, which the cases never call for their
references, so a pass here is a pass against an independent implementation.  Each known
mistake must fail the cases it breaks, with a hint that names it.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from test_grading_experiment import correct_experiment as _experiment
from torch import Tensor, nn

from ganlab.losses import discriminator_loss
from ganlab.tricks import HistoricalAveraging, VirtualBatchNorm, optimal_discriminator

# ----------------------------------------------------------------- correct answers (oracle)


class _Averaging(HistoricalAveraging):
    """05.1's interface, ``(module, weight)``, ``update()``, ``penalty()``: a correct answer
    (``HistoricalAveraging`` itself) whose parts the known mistakes below change."""

    def __init__(self, module: nn.Module, weight: float) -> None:
        super().__init__(module, weight)


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


def _batch_dependence(normalize: Callable, x: Tensor, a: Tensor, b: Tensor) -> float:
    """Another placement than the solution's: x last in each batch; the norm of the change."""
    outputs = [normalize(torch.cat([mates, x[None]]))[-1] for mates in (a, b)]
    return torch.linalg.vector_norm(outputs[0] - outputs[1], ord=float("inf")).item()


def _dependence_wrong(measure: Callable[[Tensor, Tensor, Tensor, Callable], Tensor]) -> Callable:
    """A wrong 07.3: ``measure(out_a, out_b, x, normalize)``, outputs of x first in each batch."""

    def answer(normalize: Callable, x: Tensor, a: Tensor, b: Tensor) -> float:
        out_a, out_b = (normalize(torch.cat([x[None], mates])) for mates in (a, b))
        return float(measure(out_a, out_b, x, normalize))

    return answer


CORRECT = {
    "05.1": _Averaging,
    "05.2": _experiment(("vanilla", "HA on D")),
    "06.1": _smoothed_loss,
    "06.2": optimal_discriminator,
    "06.3": _experiment(("no smoothing", "one-sided 0.9")),
    "07.1": _reference_statistics,
    "07.2": _vbn_normalize,
    "07.3": _batch_dependence,
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


def _d_star_wrong(formula: Callable[[Tensor, Tensor, float, float], Tensor]) -> Callable:
    """A wrong 06.2 that still validates its densities."""

    def answer(p_data: Tensor, p_model: Tensor, alpha: float = 1.0, beta: float = 0.0) -> Tensor:
        if (p_data < 0).any() or (p_model < 0).any():
            raise ValueError("densities must be >= 0")
        return formula(p_data, p_model, alpha, beta)

    return answer


class _CountFromZero(_Averaging):
    """05.1 whose mean leaves out the initial weights (its count starts at 0)."""

    def __init__(self, module: nn.Module, weight: float) -> None:
        super().__init__(module, weight)
        self.count = 0


class _HalfAndHalf(_Averaging):
    @torch.no_grad()
    def update(self) -> None:
        self.means = [(m + p.detach()) / 2 for m, p in zip(self.means, self.params, strict=True)]


class _SharedWeights(_Averaging):
    """05.1 whose "mean" is the parameters themselves."""

    def __init__(self, module: nn.Module, weight: float) -> None:
        super().__init__(module, weight)
        self.means = list(module.parameters())

    def update(self) -> None:
        pass


class _CloneInGraph(_Averaging):
    """05.1 whose mean starts as a clone still in the autograd graph."""

    def __init__(self, module: nn.Module, weight: float) -> None:
        super().__init__(module, weight)
        self.means = [p.clone() for p in self.params]


class _UpdateInGraph(_Averaging):
    def update(self) -> None:  # without torch.no_grad(): the means depend on the parameters
        self.count += 1
        self.means = [
            m + (p - m) / self.count for m, p in zip(self.means, self.params, strict=True)
        ]


class _FloatBuffers(_Averaging):
    """05.1 that averages the floating-point buffers (BatchNorm's running statistics) too."""

    def __init__(self, module: nn.Module, weight: float) -> None:
        state = module.state_dict(keep_vars=True).values()
        super().__init__([t for t in state if t.is_floating_point()], weight)


class _StateDict(_Averaging):
    """05.1 over ``state_dict()``: BatchNorm's integer counter breaks its update."""

    def __init__(self, module: nn.Module, weight: float) -> None:
        super().__init__(list(module.state_dict(keep_vars=True).values()), weight)


class _MeanSquares(_Averaging):
    def penalty(self) -> Tensor:
        pairs = zip(self.params, self.means, strict=True)
        return self.weight * sum(F.mse_loss(p, m) for p, m in pairs)


class _WeightsOnly(_Averaging):
    def __init__(self, module: nn.Module, weight: float) -> None:
        super().__init__(module, weight)
        self.params = [p for name, p in module.named_parameters() if name.endswith("weight")]
        self.means = [p.detach().clone() for p in self.params]


# (exercise, wrong answer, a phrase of the hint (None: no hint expected), the failing cases)
WRONG = {
    "05.1 count from 0": (
        "05.1",
        _CountFromZero,
        {0: "leaves out", 1: "leaves out", 2: None, 3: "leaves out"},
        [0, 1, 2, 3],
    ),
    "05.1 half and half": (
        "05.1",
        _HalfAndHalf,
        {1: "(θ̄ + θ) / 2", 2: None, 3: "(θ̄ + θ) / 2"},
        [1, 2, 3],
    ),
    "05.1 shared weights": (
        "05.1",
        _SharedWeights,
        {
            0: "the penalty is 0",
            1: "the penalty is 0",
            2: "the gradient is 0",
            3: "the penalty is 0",
        },
        [0, 1, 2, 3],
    ),
    "05.1 clone in graph": ("05.1", _CloneInGraph, {2: "the gradient is 0"}, [2]),
    "05.1 update in graph": ("05.1", _UpdateInGraph, {2: "t times too small"}, [2]),
    "05.1 float buffers": ("05.1", _FloatBuffers, {3: "buffers too"}, [3]),
    "05.1 state_dict": ("05.1", _StateDict, {3: "module.parameters() only"}, [3]),
    "05.1 mse": (
        "05.1",
        _MeanSquares,
        {0: "F.mse_loss", 1: "F.mse_loss", 2: "average the squares", 3: "F.mse_loss"},
        [0, 1, 2, 3],
    ),
    "05.1 weights only": (
        "05.1",
        _WeightsOnly,
        {0: "left out the biases", 1: "left out the biases", 2: "'0.bias'", 3: None},
        [0, 1, 2, 3],
    ),
    "05.2 normal quantile": (
        "05.2",
        _experiment(("vanilla", "HA on D"), quantile=lambda df: 1.96),
        {1: "1.96"},
        [1],
    ),
    "06.1 two-sided": ("06.1", _two_sided, "two-sided", [0, 1]),
    "06.1 no smoothing": (
        "06.1",
        lambda r, f, alpha=0.9: discriminator_loss(r, f),
        {0: "did not smooth", 1: "did not smooth", 2: "does not see α"},
        [0, 1, 2],
    ),
    "06.1 unstable": ("06.1", _unstable, {1: "softplus"}, [1]),
    "06.2 swapped": (
        "06.2",
        lambda d, m, a, b: optimal_discriminator(d, m, b, a),
        "swapped the roles of α and β",
        [0, 1, 2],
    ),
    "06.2 no validation": ("06.2", _no_validation, {3: "raise a ValueError"}, [3]),
    "06.2 not normalised": (
        "06.2",
        _d_star_wrong(lambda d, m, a, b: a * d + b * m),
        "only through their ratio",
        [0, 1, 2],
    ),
    "06.2 dropped a term": (
        "06.2",
        _d_star_wrong(lambda d, m, a, b: a * d / (a * d + (1 - b) * m)),
        {1: "you dropped a term", 2: None},  # with beta = 1 - alpha it is the unsmoothed D*
        [1, 2],
    ),
    "06.2 rescaled": (
        "06.2",
        _d_star_wrong(lambda d, m, a, b: a * d / (d + m) + b),
        "rescaled the unsmoothed optimum",
        [2],
    ),
    "06.3 swapped arms": (
        "06.3",
        lambda train, seeds: {
            **(out := _experiment(("no smoothing", "one-sided 0.9"))(train, seeds)),
            "no smoothing": out["one-sided 0.9"],
            "one-sided 0.9": out["no smoothing"],
        },
        {0: "the arms are swapped"},
        [0],
    ),
    "07.1 variance": (
        "07.1",
        lambda r: (r.mean(dim=(0, 2, 3)), r.var(dim=(0, 2, 3), unbiased=False)),
        "you returned the variance",
        [0, 1],
    ),
    "07.2 c = 1/B": (
        "07.2",
        _vbn_wrong(lambda b: 1 / max(b, 1)),
        {0: "as one example among B_ref", 1: "as one example among B_ref", 3: None},
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
    "07.2 equal weights": (
        "07.2",
        _vbn_wrong(lambda b: 0.5),
        {0: "equal weights", 2: None, 3: None},  # right for B_ref = 1
        [0, 2, 3],
    ),
    "07.3 x alone": (
        "07.3",
        lambda n, x, a, b: (n(x[None]) - n(x[None])).abs().max().item(),
        "you normalised x alone",
        [0, 2],
    ),
    "07.3 mean change": (
        "07.3",
        _dependence_wrong(lambda oa, ob, x, n: (oa[0] - ob[0]).abs().mean()),
        "you averaged the change",
        [0, 2],
    ),
    "07.3 signed": (
        "07.3",
        _dependence_wrong(lambda oa, ob, x, n: (oa[0] - ob[0]).max()),
        "largest signed difference",
        [0, 2],
    ),
    "07.3 whole batches": (
        "07.3",
        _dependence_wrong(lambda oa, ob, x, n: (oa - ob).abs().max()),
        {0: "whole batches", 1: "whole batches", 2: "must match"},  # 2: batches of 4 and 7
        [0, 1, 2],
    ),
    "07.3 against x": (
        "07.3",
        _dependence_wrong(
            lambda oa, ob, x, n: torch.maximum(*((o[0] - x).abs().max() for o in (oa, ob)))
        ),
        "with x itself",
        [0, 1, 2],
    ),
    "07.3 against x alone": (
        "07.3",
        _dependence_wrong(lambda oa, ob, x, n: (oa[0] - n(x[None])[0]).abs().max()),
        "x's output alone",
        [0, 2],
    ),
}


# the exercises' function names in order, per lesson (tests/test_grading.py checks them)
TARGETS = {
    "05": ["HistoricalAverage", "run_experiment"],
    "06": ["smoothed_discriminator_loss", "optimal_discriminator", "run_experiment"],
    "07": ["reference_statistics", "vbn_normalize", "batch_dependence"],
}
