"""Graded cases of lesson 07 (``solutions/07_virtual_batch_normalization_*``): §3.5.

07.1: the reference statistics of a reference batch (B, C, H, W): per channel, the mean μ
and the mean of squares ν over the batch and the positions.  07.2 (derived in the notebook
from "x counts as one more member of the reference batch"): the VBN normalisation of one
example x (C, H, W) given them: with c = 1 / (B_ref + 1),

    μ(x) = c · mean_hw(x) + (1 − c) μ,   ν(x) = c · mean_hw(x²) + (1 − c) ν,
    x̂ = (x − μ(x)) / sqrt(ε + ν(x) − μ(x)²).

07.3: a measurement, ``batch_dependence(normalize, x, batchmates_a, batchmates_b)``, the
largest change of x's output when its batchmates change, run on the grader's own
normalisers (batch norm in training mode, VBN with fixed reference statistics, and a wrong
VBN that mixes in the current batch's statistics).

The references are computed here, independently of :mod:`ganlab.tricks`, by loops over the
channels and positions in float64; the B_ref = 0 case uses ``F.instance_norm`` as oracle.
Every case is a :class:`~ganlab.grading.probes.Probe`: the student's function runs in the
worker, the references and the verdict are computed by the grader.  The hints of 07.2 never
print the weight c (deriving it is the exercise).
Written questions (no points, read by the instructor): 07.Q1 the derivation of 07.2, 07.Q2
the prediction of 07.3.
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
from ganlab.grading.probes import Probe, combine
from ganlab.grading.questions import Question

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
        "you weighed x as one example among B_ref: the combined batch is the reference "
        "batch AND x; count x too": normalise(1.0 / size),
        "you used the reference statistics alone: x is a member of the combined batch, so "
        "its own mean and mean of squares count too": normalise(0.0),
        "you gave x and the reference batch equal weights: the reference statistics stand "
        "for B_ref examples, x's for one": normalise(0.5),
        "you mixed the variances: variances of groups with different means do not combine "
        "by weights; combine the means of squares, then take ν(x) − μ(x)²": normalise(
            c, variance_mix=True
        ),
        "you added ε to the standard deviation: it goes inside the square root, "
        "sqrt(ε + ν(x) − μ(x)²)": normalise(c, eps_inside=False),
        "you swapped the weights of x and of the reference batch: x is one example, the "
        "reference batch holds B_ref of them": normalise(1 - c),
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


# ------------------------------------------------------------- 07.3 measuring the dependence


def _as_batch(batch: object) -> Tensor:
    if type(batch) is not Tensor or batch.ndim != 4:
        shape = tuple(batch.shape) if isinstance(batch, Tensor) else type(batch).__name__
        raise ValueError(f"normalize expects a batch of shape (B, C, H, W), got {shape}")
    return batch.double()


def _batch_norm(batch: Tensor) -> Tensor:
    """Batch norm in training mode: every example with the current batch's statistics."""
    batch = _as_batch(batch)
    mean = batch.mean(dim=(0, 2, 3), keepdim=True)
    var = batch.var(dim=(0, 2, 3), unbiased=False, keepdim=True)
    return (batch - mean) / torch.sqrt(EPS + var)


_DEP_REFERENCE = _normal((16, 3, 4, 4), 740, 1.5, 0.5)
_DEP_MEAN, _DEP_MEAN_SQ = _statistics_reference(_DEP_REFERENCE)


def _mixed_norm(batch: Tensor, own_mean: Tensor, own_mean_sq: Tensor) -> Tensor:
    c = 1.0 / (len(_DEP_REFERENCE) + 1)
    mu = c * own_mean + (1 - c) * _DEP_MEAN[None, :, None, None]
    nu = c * own_mean_sq + (1 - c) * _DEP_MEAN_SQ[None, :, None, None]
    return (batch - mu) / torch.sqrt(EPS + nu - mu**2)


def _virtual_batch_norm(batch: Tensor) -> Tensor:
    """VBN with fixed reference statistics: each example with its own and the reference's."""
    batch = _as_batch(batch)
    own = batch.mean(dim=(2, 3), keepdim=True), batch.pow(2).mean(dim=(2, 3), keepdim=True)
    return _mixed_norm(batch, *own)


def _current_batch_vbn(batch: Tensor) -> Tensor:
    """A wrong VBN: mixes the reference statistics with the current BATCH's, not x's own."""
    batch = _as_batch(batch)
    own = batch.mean(dim=(0, 2, 3), keepdim=True), batch.pow(2).mean(dim=(0, 2, 3), keepdim=True)
    return _mixed_norm(batch, *own)


_NORMALISERS = {
    "batch norm (training mode)": _batch_norm,
    "virtual batch norm": _virtual_batch_norm,
    "a VBN that mixes in the current batch's statistics": _current_batch_vbn,
}


def _largest_change(first: Tensor, second: Tensor) -> Tensor:
    return (first - second).abs().max()


def _dependence_mistakes(name: str, x: Tensor, a: Tensor, b: Tensor) -> dict[str, Tensor]:
    normalise = _NORMALISERS[name]
    out_a, out_b = normalise(torch.cat([x[None], a])), normalise(torch.cat([x[None], b]))
    alone = normalise(x[None])[0]
    mistakes = {
        "you normalised x alone: its output cannot change then; normalise x inside each "
        "batch, together with its batchmates": torch.zeros((), dtype=torch.float64),
        "you averaged the change over the entries: return the largest absolute change": (
            out_a[0] - out_b[0]
        )
        .abs()
        .mean(),
        "you took the largest signed difference: the change is the largest ABSOLUTE difference": (
            out_a[0] - out_b[0]
        ).max(),
        "you took the largest signed difference (second batch minus first): the change is "
        "the largest ABSOLUTE difference": (out_b[0] - out_a[0]).max(),
        "you compared x's output with x itself: compare x's output in the first batch with "
        "its output in the second": torch.maximum(
            _largest_change(out_a[0], x.double()), _largest_change(out_b[0], x.double())
        ),
        "you compared x's output in a batch with x's output alone: compare its outputs in "
        "the two batches": _largest_change(out_a[0], alone),
    }
    if len(a) == len(b):
        mistakes[
            "you compared the outputs of the whole batches: the batchmates differ, so their "
            "outputs do; compare only x's output (its row) between the two batches"
        ] = _largest_change(out_a, out_b)
    return mistakes


def _one_number(answer: object, what: str) -> Tensor:
    """A float, or a tensor holding one number, as a 0-dim float64 tensor."""
    if isinstance(answer, bool) or not isinstance(answer, int | float | Tensor):
        raise CaseFailed(f"{what}: expected a float, got {type(answer).__name__}")
    if isinstance(answer, Tensor):
        if answer.numel() != 1 or not answer.is_floating_point():
            raise CaseFailed(
                f"{what}: expected a float, got a tensor of shape {tuple(answer.shape)} "
                f"and dtype {answer.dtype}"
            )
        return answer.detach().double().reshape(())
    return torch.tensor(float(answer), dtype=torch.float64)


def _dependence_probe(
    name: str, x_seed: int, sizes: tuple[int, int], x_shift: float = 0.3
) -> Probe:
    x = _normal((3, 4, 4), x_seed, 1.2, x_shift).double()
    a = _normal((sizes[0], 3, 4, 4), x_seed + 1, 1.0, -0.2).double()
    b = _normal((sizes[1], 3, 4, 4), x_seed + 2, 6.0, 2.0).double()  # other scale and shift
    what = (
        f"batch_dependence({name}, x (3, 4, 4), batchmates {tuple(a.shape)} and {tuple(b.shape)})"
    )

    def run(student: Callable) -> object:
        return student(_NORMALISERS[name], x.clone(), a.clone(), b.clone())

    def judge(answer: object) -> Outcome:
        normalise = _NORMALISERS[name]
        expected = _largest_change(
            normalise(torch.cat([x[None], a]))[0], normalise(torch.cat([x[None], b]))[0]
        )
        return compare_with_mistakes(
            _one_number(answer, what),
            expected,
            lambda: _dependence_mistakes(name, x, a, b),
            what=what,
            rtol=1e-6,
            atol=1e-9,
        )

    return Probe(run, judge)


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
            Case("x (3, 4, 5), B_ref = 8", 1, _vbn_case((3, 4, 5), 8, seed=710)),
            Case("x (4, 2, 2), B_ref = 1, eps = 0.1", 1, _vbn_case((4, 2, 2), 1, 715, eps=0.1)),
            Case("B_ref = 0: the example's own statistics (instance norm)", 1, _INSTANCE_NORM),
            Case("the gradient with respect to x", 1, Probe(_gradient_run, _gradient_judge)),
        ),
    ),
    Exercise(
        "07.3",
        "virtual batch norm: what the batchmates change",
        "batch_dependence",
        (
            Case(
                "batch norm in training mode, batchmates of another scale",
                1,
                combine(
                    _dependence_probe("batch norm (training mode)", 750, (5, 5)),
                    _dependence_probe("batch norm (training mode)", 755, (5, 5), x_shift=-0.8),
                ),
            ),
            Case(
                "virtual batch norm with fixed reference statistics",
                1,
                _dependence_probe("virtual batch norm", 760, (5, 5)),
            ),
            Case(
                "a VBN that mixes in the current batch's statistics, in batches of 4 and 7",
                1,
                _dependence_probe(
                    "a VBN that mixes in the current batch's statistics", 770, (3, 6)
                ),
            ),
        ),
    ),
)

QUESTIONS = (
    Question("07.Q1", "your derivation of the combined statistics"),
    Question("07.Q2", "your prediction: what the batchmates change"),
)
