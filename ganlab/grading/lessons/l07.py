"""Graded cases of lesson 07 (``solutions/07_virtual_batch_normalization.ipynb``): §3.5.

07.1: the reference statistics of a reference batch (B, C, H, W): per channel, the mean μ
and the mean of squares ν over the batch and the positions.  07.2: the VBN normalisation
of one example x (C, H, W) given them: with c = 1 / (B_ref + 1),

    μ(x) = c · mean_hw(x) + (1 − c) μ,   ν(x) = c · mean_hw(x²) + (1 − c) ν,
    x̂ = (x − μ(x)) / sqrt(ε + ν(x) − μ(x)²).

The references are computed here, independently of :mod:`ganlab.tricks`, by loops over the
channels and positions in float64; the B_ref = 0 case uses ``F.instance_norm`` as oracle.
Every case is a :class:`~ganlab.grading.probes.Probe`: the student's function runs in the
worker, the references and the verdict are computed by the grader.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.grading.compare import as_tensor, first_failure
from ganlab.grading.core import Case, CaseFailed, Exercise, Outcome, fail
from ganlab.grading.mistakes import compare_with_mistakes
from ganlab.grading.probes import Probe

EPS = 1e-5


def _normal(shape: tuple[int, ...], seed: int, scale: float = 1.0, shift: float = 0.0) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return shift + scale * torch.randn(shape, generator=generator)


def _channel_values(batch: Tensor, k: int) -> list[float]:
    return batch[:, k].double().reshape(-1).tolist()


def _statistics_reference(reference: Tensor) -> tuple[Tensor, Tensor]:
    means, mean_squares = [], []
    for k in range(reference.shape[1]):
        values = _channel_values(reference, k)
        means.append(sum(values) / len(values))
        mean_squares.append(sum(v * v for v in values) / len(values))
    return torch.tensor(means, dtype=torch.float64), torch.tensor(mean_squares, dtype=torch.float64)


def _two_tensors(got: object, what: str) -> tuple[Tensor, Tensor]:
    """The student's returned (mean, mean_sq) as two tensors, or a failure naming the type."""
    if not isinstance(got, tuple | list) or len(got) != 2:
        raise CaseFailed(f"{what}: expected a tuple (mean, mean_sq), got {type(got).__name__}")
    return as_tensor(got[0], f"{what}[0]"), as_tensor(got[1], f"{what}[1]")


def _statistics_case(shape: tuple[int, ...], seed: int) -> Probe:
    reference = _normal(shape, seed, 2.0, 1.0)

    def judge(answer: object) -> Outcome:
        what = f"reference_statistics(reference of shape {shape})"
        mean, mean_sq = _two_tensors(answer, what)
        expected_mean, expected_mean_sq = _statistics_reference(reference)
        r = reference.double()
        over = (0, 2, 3)
        return first_failure(
            [
                compare_with_mistakes(
                    mean,
                    expected_mean,
                    lambda: {
                        "you averaged over the batch only: μ is per channel, over the batch "
                        "and the positions, shape (C,)": r.mean(dim=0),
                        "you averaged over everything: μ is per channel, shape (C,)": r.mean(),
                    },
                    what=f"{what}: the mean",
                ),
                compare_with_mistakes(
                    mean_sq,
                    expected_mean_sq,
                    lambda: {
                        "you returned the variance: the second statistic is the mean of "
                        "squares, mean(x²)": r.var(dim=over, unbiased=False),
                        "you returned the unbiased variance: the second statistic is the mean "
                        "of squares, mean(x²)": r.var(dim=over),
                        "you returned the square of the mean: the second statistic is the mean "
                        "of squares, mean(x²)": r.mean(dim=over).pow(2),
                    },
                    what=f"{what}: the mean of squares",
                ),
            ]
        )

    return Probe(lambda student: student(reference.clone()), judge)


# ------------------------------------------------------------------- 07.2 one example


def _vbn_reference(x: Tensor, mean: Tensor, mean_sq: Tensor, size: int, eps: float) -> Tensor:
    out = torch.empty(x.shape, dtype=torch.float64)
    c = 1.0 / (size + 1)
    for k in range(x.shape[0]):
        values = x[k].double().reshape(-1).tolist()
        mu = c * sum(values) / len(values) + (1 - c) * mean[k].item()
        nu = c * sum(v * v for v in values) / len(values) + (1 - c) * mean_sq[k].item()
        out[k] = (x[k].double() - mu) / math.sqrt(eps + nu - mu * mu)
    return out


def _vbn_mistakes(x: Tensor, mean: Tensor, mean_sq: Tensor, size: int, eps: float) -> dict:
    x = x.double()
    m, s = mean.double()[:, None, None], mean_sq.double()[:, None, None]
    own, own_sq = x.mean(dim=(1, 2), keepdim=True), x.pow(2).mean(dim=(1, 2), keepdim=True)

    def normalise(c: float, variance_mix: bool = False, eps_inside: bool = True) -> Tensor:
        mu = c * own + (1 - c) * m
        if variance_mix:
            var = c * (own_sq - own**2) + (1 - c) * (s - m**2)
        else:
            var = c * own_sq + (1 - c) * s - mu**2
        return (x - mu) / (torch.sqrt(eps + var) if eps_inside else torch.sqrt(var) + eps)

    c = 1.0 / (size + 1)
    return {
        "you used c = 1/B_ref: x counts as one more member of the reference batch, so "
        "c = 1/(B_ref + 1)": normalise(1.0 / size),
        "you used the reference statistics alone: VBN mixes in the example's own, with "
        "c = 1/(B_ref + 1)": normalise(0.0),
        "you mixed the variances, c·var(x) + (1 − c)·var_ref: mix the means of squares, "
        "ν(x) = c·mean(x²) + (1 − c)·ν, then var = ν(x) − μ(x)²": normalise(c, variance_mix=True),
        "you added ε to the standard deviation: it goes inside the square root, "
        "sqrt(ε + ν(x) − μ(x)²)": normalise(c, eps_inside=False),
        "you swapped c and 1 − c: the example weighs c = 1/(B_ref + 1), the reference "
        "1 − c": normalise(1 - c),
    }


def _vbn_case(shape: tuple[int, ...], size: int, seed: int, eps: float = EPS) -> Probe:
    x = _normal(shape, seed, 1.5, 0.5)
    reference = _normal((size, *shape), seed + 1, 2.0, -1.0)
    mean, mean_sq = _statistics_reference(reference)
    what = f"vbn_normalize(x of shape {shape}, ref_mean, ref_mean_sq, ref_size={size})"

    def judge(answer: object) -> Outcome:
        return compare_with_mistakes(
            as_tensor(answer, what),
            _vbn_reference(x, mean, mean_sq, size, eps),
            lambda: _vbn_mistakes(x, mean, mean_sq, size, eps),
            what=what,
            rtol=1e-4,
            atol=1e-5,
        )

    return Probe(
        lambda student: student(x.clone(), mean.float(), mean_sq.float(), size, eps), judge
    )


_INSTANCE_X = _normal((3, 4, 4), 720, 2.0, 1.0)


def _instance_norm_judge(answer: object) -> Outcome:
    """With B_ref = 0 only the example's own statistics count: instance normalisation."""
    what = "vbn_normalize(x (3, 4, 4), any reference statistics, ref_size=0)"
    expected = F.instance_norm(_INSTANCE_X.double()[None], eps=EPS)[0]
    return compare_with_mistakes(as_tensor(answer, what), expected, dict, what=what, rtol=1e-4)


_INSTANCE_NORM = Probe(
    lambda student: student(
        _INSTANCE_X.clone(), torch.full((3,), 7.0), torch.full((3,), 60.0), 0, EPS
    ),
    _instance_norm_judge,
)
_GRAD_X = _normal((2, 3, 3), 730, 1.0, 0.3)
_GRAD_MEAN, _GRAD_MEAN_SQ = _statistics_reference(_normal((5, 2, 3, 3), 731))
_GRAD_WEIGHTS = _normal((2, 3, 3), 732).double()
_GRAD_WHAT = "d sum(w · vbn_normalize(x, ...)) / d x for x (2, 3, 3), ref_size=5"


def _gradient_run(student: Callable[..., Tensor]) -> dict:  # in the worker
    leaf = _GRAD_X.double().clone().requires_grad_()
    out = student(leaf, _GRAD_MEAN, _GRAD_MEAN_SQ, 5, EPS)
    as_tensor(out, _GRAD_WHAT)
    if not out.requires_grad:
        return {"has_grad": False}
    (gradient,) = torch.autograd.grad((out * _GRAD_WEIGHTS).sum(), leaf)
    return {"has_grad": True, "gradient": gradient}


def _gradient_judge(data: dict) -> Outcome:
    what = _GRAD_WHAT
    if not data["has_grad"]:
        return fail(f"{what}: the result has no gradient; use torch operations on x")
    oracle = _GRAD_X.double().clone().requires_grad_()  # autograd through the formula
    c = 1 / 6
    mu = c * oracle.mean(dim=(1, 2), keepdim=True) + (1 - c) * _GRAD_MEAN[:, None, None]
    nu = c * oracle.pow(2).mean(dim=(1, 2), keepdim=True) + (1 - c) * _GRAD_MEAN_SQ[:, None, None]
    expected_out = (oracle - mu) / torch.sqrt(EPS + nu - mu**2)
    (expected,) = torch.autograd.grad((expected_out * _GRAD_WEIGHTS).sum(), oracle)
    return compare_with_mistakes(
        as_tensor(data["gradient"], what), expected, dict, what=what, rtol=1e-6
    )


EXERCISES = (
    Exercise(
        "07.1",
        "virtual batch norm: the reference statistics",
        "reference_statistics",
        (
            Case("a reference batch (6, 3, 4, 5)", 2, _statistics_case((6, 3, 4, 5), seed=700)),
            Case("a reference batch (2, 5, 1, 1)", 1, _statistics_case((2, 5, 1, 1), seed=705)),
        ),
    ),
    Exercise(
        "07.2",
        "virtual batch norm: normalising one example",
        "vbn_normalize",
        (
            Case("x (3, 4, 5), B_ref = 8", 3, _vbn_case((3, 4, 5), 8, seed=710)),
            Case("x (4, 2, 2), B_ref = 1, eps = 0.1", 1, _vbn_case((4, 2, 2), 1, 715, eps=0.1)),
            Case("B_ref = 0: the example's own statistics (instance norm)", 1, _INSTANCE_NORM),
            Case("the gradient with respect to x", 2, Probe(_gradient_run, _gradient_judge)),
        ),
    ),
)
