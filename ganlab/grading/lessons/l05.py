"""Graded cases of lesson 05 (``solutions/05_historical_averaging.ipynb``): §3.3.

05.1 keeps the running mean online: given the mean θ̄_t of t snapshots and a new snapshot
θ, the mean of the t + 1 snapshots is θ̄_t + (θ − θ̄_t) / (t + 1).  05.2 is the penalty
w · Σ_params ||θ − θ̄||².  The references are computed here, independently of
:mod:`ganlab.tricks`: the arithmetic mean of every snapshot by a naive sum in float64, the
penalty by a loop over the entries, its gradient in closed form, 2w(θ − θ̄).  Every case
is a :class:`~ganlab.grading.probes.Probe`: the student's function runs in the worker, the
references and the verdict are computed by the grader.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor

from ganlab.grading.compare import as_tensor, first_failure
from ganlab.grading.core import Case, CaseFailed, Exercise, Outcome, fail
from ganlab.grading.mistakes import compare_with_mistakes
from ganlab.grading.probes import Probe

Update = Callable[[Tensor, Tensor, int], Tensor]  # (mean, theta, count) -> new mean
Penalty = Callable[[Sequence[Tensor], Sequence[Tensor], float], Tensor]


def _normal(shape: tuple[int, ...], seed: int, offset: float = 0.0) -> Tensor:
    """Float64 normal numbers of ``shape`` around ``offset``, the same on every run."""
    generator = torch.Generator().manual_seed(seed)
    return offset + torch.randn(shape, generator=generator, dtype=torch.float64)


# ------------------------------------------------------------------------ 05.1 the update


def _update_mistakes(mean: Tensor, theta: Tensor, count: int) -> dict[str, Tensor]:
    return {
        "you divided by t, the number of snapshots already in the mean: with the new one "
        "there are t + 1, so θ̄ ← θ̄ + (θ − θ̄) / (t + 1)": mean + (theta - mean) / count,
        "you averaged the old mean with the new value, (θ̄ + θ) / 2: that weighs the newest "
        "snapshot as much as all the others together (an exponential average with decay "
        "1/2); each of the t + 1 snapshots must weigh 1 / (t + 1)": (mean + theta) / 2,
        "you returned (t·θ̄ + θ) / t: the sum of t + 1 snapshots is divided by their number, "
        "t + 1": (count * mean + theta) / count,
        "you returned the new value θ: the mean must remember every snapshot": theta,
        "you added (θ̄ − θ) / (t + 1): the sign is flipped, θ̄ moves towards θ": (
            mean + (mean - theta) / (count + 1)
        ),
    }


def _call_update(student: Update, mean: Tensor, theta: Tensor, count: int, what: str) -> Tensor:
    return as_tensor(student(mean.clone(), theta.clone(), count), what)


def _one_update_case(shape: tuple[int, ...], count: int, seed: int) -> Probe:
    mean, theta = _normal(shape, seed, 1.0), _normal(shape, seed + 1, -2.0)
    what = f"update_mean(mean of shape {shape}, theta, count={count})"

    def judge(answer: object) -> Outcome:
        expected = (count * mean + theta) / (count + 1)  # the sum of t + 1 snapshots, over t + 1
        return compare_with_mistakes(
            as_tensor(answer, what),
            expected,
            lambda: _update_mistakes(mean, theta, count),
            what=what,
            rtol=1e-10,
        )

    return Probe(lambda student: student(mean.clone(), theta.clone(), count), judge)


def _run_case(shape: tuple[int, ...], steps: int, seed: int) -> Probe:
    """θ̄ after ``steps`` updates from θ[1] equals the arithmetic mean of all snapshots."""
    snapshots = [_normal(shape, seed + i, offset=5.0 + 0.1 * i) for i in range(steps + 1)]

    def run(student: Update) -> Tensor:  # in the worker: the student's function, 60 times
        mean = snapshots[0].clone()
        for t, theta in enumerate(snapshots[1:], start=1):
            what = f"update_mean(mean, theta, count={t}) in a run from count=1"
            mean = _call_update(student, mean, theta, t, what).double()
        return mean

    def judge(mean: object) -> Outcome:
        expected = torch.zeros(shape, dtype=torch.float64)
        for snapshot in snapshots:  # the naive sum, divided once
            expected += snapshot
        expected /= len(snapshots)

        def mistakes() -> dict[str, Tensor]:
            means = {hint: snapshots[0].clone() for hint in _update_mistakes(*snapshots[:2], 1)}
            for t, theta in enumerate(snapshots[1:], start=1):
                for hint, value in means.items():
                    means[hint] = _update_mistakes(value, theta, t)[hint]
            return means

        what = f"the mean after {steps} updates, from count=1 (the mean of {steps + 1} snapshots)"
        return compare_with_mistakes(
            as_tensor(mean, what), expected, mistakes, what=what, rtol=1e-10, atol=1e-12
        )

    return Probe(run, judge)


# ----------------------------------------------------------------------- 05.2 the penalty


def _penalty_reference(params: Sequence[Tensor], means: Sequence[Tensor], weight: float) -> Tensor:
    """w · Σ over every entry of every parameter of (θ − θ̄)², by a Python loop."""
    total = 0.0
    for theta, mean in zip(params, means, strict=True):
        entries = zip(theta.reshape(-1).tolist(), mean.reshape(-1).tolist(), strict=True)
        total += sum((a - b) ** 2 for a, b in entries)
    return torch.tensor(weight * total, dtype=torch.float64)


def _penalty_mistakes(params, means, weight) -> dict[str, Tensor]:
    diffs = [(p.double() - m.double()) for p, m in zip(params, means, strict=True)]
    squares = sum(d.pow(2).sum() for d in diffs)
    return {
        "you forgot the weight w: the penalty is w · Σ ||θ − θ̄||²": squares,
        "you took the norm ||θ − θ̄|| without squaring it: the penalty is w · Σ ||θ − θ̄||²": (
            weight * sum(d.norm() for d in diffs)
        ),
        "you averaged (θ − θ̄)² over the entries (as F.mse_loss does): the penalty is the sum "
        "of squares, w · Σ ||θ − θ̄||²": weight * sum(d.pow(2).mean() for d in diffs),
        "you halved it: the penalty is w · Σ ||θ − θ̄||², not (w/2) · Σ ||θ − θ̄||²": (
            weight * squares / 2
        ),
        "you penalised only the first parameter tensor: sum over every tensor in params": (
            weight * diffs[0].pow(2).sum()
        ),
    }


def _describe(params: Sequence[Tensor], weight: float) -> str:
    shapes = ", ".join(str(tuple(p.shape)) for p in params)
    return f"historical_averaging_penalty(params of shapes [{shapes}], means, weight={weight})"


def _inputs(shapes: Sequence[tuple[int, ...]], seed: int) -> tuple[list[Tensor], list[Tensor]]:
    params = [_normal(s, seed + i).float() for i, s in enumerate(shapes)]
    means = [_normal(s, seed + 10 + i, 0.5).float() for i, s in enumerate(shapes)]
    return params, means


def _penalty_value_case(shapes: Sequence[tuple[int, ...]], weight: float, seed: int) -> Probe:
    params, means = _inputs(shapes, seed)

    def run(student: Penalty) -> object:
        return student([p.clone() for p in params], [m.clone() for m in means], weight)

    def judge(answer: object) -> Outcome:
        return compare_with_mistakes(
            as_tensor(answer),
            _penalty_reference(params, means, weight),
            lambda: _penalty_mistakes(params, means, weight),
            what=_describe(params, weight),
        )

    return Probe(run, judge)


def _penalty_gradient_case(shapes: Sequence[tuple[int, ...]], weight: float, seed: int) -> Probe:
    params, means = _inputs(shapes, seed)
    what = f"d penalty / d params for {_describe(params, weight)}"

    def run(student: Penalty) -> dict:  # in the worker: the penalty and its gradients
        leaves = [p.clone().requires_grad_() for p in params]
        penalty = student(leaves, [m.clone() for m in means], weight)
        as_tensor(penalty, what)
        if not penalty.requires_grad:
            return {"has_grad": False}
        gradients = torch.autograd.grad(penalty.sum(), leaves, allow_unused=True)
        return {"has_grad": True, "gradients": list(gradients)}

    def judge(data: dict) -> Outcome:
        if not data["has_grad"]:
            return fail(
                f"{what}: the penalty has no gradient; compute it with torch operations on "
                "params (no .item(), NumPy or .detach())"
            )
        outcomes = []
        gradients = data["gradients"]
        for i, (gradient, param, mean) in enumerate(zip(gradients, params, means, strict=True)):
            if gradient is None:
                raise CaseFailed(f"{what}: the penalty does not depend on params[{i}]")
            expected = 2 * weight * (param.double() - mean.double())  # d/dθ w||θ − θ̄||²
            diffs = param.double() - mean.double()
            outcomes.append(
                compare_with_mistakes(
                    as_tensor(gradient, what),
                    expected,
                    lambda d=diffs: {
                        "the gradient is w(θ − θ̄), half the right one: did you halve the "
                        "penalty? d/dθ w||θ − θ̄||² = 2w(θ − θ̄)": weight * d,
                        "the gradient lacks the weight: d/dθ w||θ − θ̄||² = 2w(θ − θ̄)": 2 * d,
                    },
                    what=f"{what}, params[{i}]",
                )
            )
        return first_failure(outcomes)

    return Probe(run, judge)


EXERCISES = (
    Exercise(
        "05.1",
        "historical averaging: the running mean, online",
        "update_mean",
        (
            Case("one update, t = 3 snapshots so far", 2, _one_update_case((4, 3), 3, seed=500)),
            Case(
                "a run of 60 updates from t = 1: the arithmetic mean of all 61 snapshots",
                3,
                _run_case((2, 3, 2), 60, seed=510),
            ),
        ),
    ),
    Exercise(
        "05.2",
        "historical averaging: the penalty",
        "historical_averaging_penalty",
        (
            Case(
                "one parameter tensor, w = 0.3: the value",
                1,
                _penalty_value_case([(5, 4)], 0.3, seed=520),
            ),
            Case(
                "three tensors of different shapes, w = 2.5: the value",
                2,
                _penalty_value_case([(3, 4), (4,), (2, 2, 3)], 2.5, seed=530),
            ),
            Case(
                "the gradient with respect to each parameter: 2w(θ − θ̄)",
                2,
                _penalty_gradient_case([(3, 2), (5,)], 0.7, seed=540),
            ),
        ),
    ),
)
