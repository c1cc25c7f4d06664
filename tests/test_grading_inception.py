"""Tests of the graded cases of lesson 08 (the Inception score).

The correct answers come from :mod:`ganlab.metrics`, which the cases never call for their
references, so a pass here is a pass against an independent implementation.  Each known
mistake must fail the cases it breaks, and only those, with a hint that names it.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ganlab.grading import get_exercise
from ganlab.grading.core import ExerciseResult, run_cases
from ganlab.metrics import inception_score
from ganlab.metrics.inception_score import split_scores

# ----------------------------------------------------------------- correct answers (oracle)


def _fixed_score(probs: Tensor) -> Tensor:
    return torch.tensor(inception_score(probs=probs, splits=1)[0], dtype=torch.float64)


def _bound_inputs(k: int) -> tuple[Tensor, Tensor]:
    # another correct construction than the solution's: many rows, classes in turn
    return torch.full((3 * k, k), 1.0 / k), torch.eye(k).repeat(4, 1)


CORRECT = {
    "08.1": lambda probs, splits: split_scores(probs.log(), splits),
    "08.2": _bound_inputs,
    "08.3": _fixed_score,
}

# ------------------------------------------------------------------- known wrong answers


def _xlogy_kl(p: Tensor, marginal: Tensor) -> Tensor:
    return (torch.xlogy(p, p) - torch.xlogy(p, marginal)).sum(1)


def _groups_scores(groups: list[Tensor]) -> Tensor:
    return torch.stack([_xlogy_kl(g, g.mean(0)).mean().exp() for g in groups])


def _global_marginal(probs: Tensor, splits: int) -> Tensor:
    n = len(probs)
    groups = [probs[k * n // splits : (k + 1) * n // splits] for k in range(splits)]
    return torch.stack([_xlogy_kl(g, probs.mean(0)).mean().exp() for g in groups])


def _buggy(probs: Tensor) -> Tensor:
    log_p = torch.log(probs)
    return (probs * (log_p - log_p.mean(0))).sum(1).mean().exp()


_PER_SPLIT = "must be estimated on each split"
# (exercise, wrong answer, its hint (or the hint of each failed case), the cases it fails)
WRONG = {
    "08.1 marginal over all samples": ("08.1", _global_marginal, _PER_SPLIT, [0, 1, 2]),
    "08.1 torch.chunk": (
        "08.1",
        lambda p, s: _groups_scores(list(torch.chunk(p, s))),
        "torch.chunk's",
        [1],
    ),
    "08.1 np.array_split": (
        "08.1",
        lambda p, s: _groups_scores([torch.from_numpy(a) for a in np.array_split(p.numpy(), s)]),
        "np.array_split's",
        [1],
    ),
    "08.1 mean of exp": (
        "08.1",
        lambda p, s: torch.stack(
            [_xlogy_kl(g, g.mean(0)).exp().mean() for g in torch.tensor_split(p, _cuts(p, s))]
        ),
        "exp(mean_x KL)",
        [0, 1, 2],
    ),
    "08.1 mean KL": (
        "08.1",
        lambda p, s: _groups_scores(list(torch.tensor_split(p, _cuts(p, s)))).log(),
        "the score is its exponential",
        [0, 1, 2],
    ),
    "08.1 mean of logs": (
        "08.1",
        lambda p, s: _per_split(_buggy, p, s),
        {0: "mean of the logs", 1: "mean of the logs", 2: None},  # NaN on one-hot rows
        [0, 1, 2],
    ),
    "08.3 the buggy version": ("08.3", _buggy, {0: "mean of the logs", 1: None}, [0, 1]),
    "08.3 mean KL": (
        "08.3",
        lambda p: _xlogy_kl(p, p.mean(0)).mean(),
        "the score is its exponential",
        [0, 1],
    ),
    "08.2 swapped": (
        "08.2",
        lambda k: _bound_inputs(k)[::-1],
        {0: "expected 1", 1: "expected"},
        [0, 1],
    ),
    "08.2 highest not one-hot": (
        "08.2",
        lambda k: (_bound_inputs(k)[0], 0.9 * torch.eye(k) + 0.1 / k),
        {1: "0 needs one-hot rows"},
        [1],
    ),
    "08.2 rows not summing to 1": (
        "08.2",
        lambda k: (torch.ones(k, k), torch.eye(k)),
        {0: "every row must sum to 1"},
        [0],
    ),
}


def _cuts(p: Tensor, s: int) -> list[int]:
    return [k * len(p) // s for k in range(1, s)]


def _per_split(fn, p: Tensor, s: int) -> Tensor:
    return torch.stack([fn(g) for g in torch.tensor_split(p, _cuts(p, s))])


# the exercises' function names in order, per lesson (tests/test_grading.py checks them)
TARGETS = {"08": ["split_scores", "bound_inputs", "fixed_score"]}


def _failed(result: ExerciseResult) -> list[int]:
    return [i for i, case in enumerate(result.cases) if not case.passed]


# ------------------------------------------------------------------------------ the tests


def test_an_unknown_mistake_gets_no_hint() -> None:
    result = run_cases(get_exercise("08.3"), lambda p: _fixed_score(p) + 0.5)
    assert _failed(result) == [0, 1]
    assert all("\n" not in case.message for case in result.cases)


def test_nothing_a_student_sees_before_trying_names_the_bug() -> None:
    exercise = get_exercise("08.3")
    shown = [exercise.title, *(case.name for case in exercise.cases)]
    for text in shown:
        for word in ("log", "geometric", "mean of"):
            assert word not in text.lower(), text
