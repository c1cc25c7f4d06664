"""Hints for known mistakes: when an answer fails and matches what a known wrong convention
gives (a flipped sign, the other update order), the message says which, and the right formula.

:func:`compare_with_mistakes` judges one answer, :func:`compare_runs` a run of many steps,
where it quotes the first step that differs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial

import torch
from torch import Tensor

from ganlab.grading.compare import as_tensor, compare_tensor, first_failure
from ganlab.grading.core import Outcome, fail
from ganlab.grading.probes import Probe

# A hint names the mistake that explains a wrong answer this many times better than the right
# one does (not to the tolerance of the grade: a wrong rule's runs may magnify round-off).
HINT_FACTOR = 100.0
# In a run, a hint is judged on the rows before the first wrong one and this many from it.
HINT_ROWS = 10
# Runs of hundreds of steps accumulate round-off (float32 answers too).
RUN_RTOL, RUN_ATOL = 1e-4, 1e-5


def _distance(a: Tensor, b: Tensor) -> float:
    """The largest difference where ``a`` is finite; inf if there is none or shapes differ."""
    finite = torch.isfinite(a)
    if a.shape != b.shape or not finite.any():
        return math.inf
    return (a[finite] - b[finite]).abs().max().item()  # nan where b is not finite


def _with_hint(
    outcome: Outcome, got: Tensor, expected: Tensor, mistakes: Mapping[str, Tensor]
) -> Outcome:
    """``outcome`` with the hint of the mistake that best explains ``got``, if one does."""
    miss = _distance(got, expected)
    if miss == 0:  # right wherever finite: the nan/inf entries are the error, not a convention
        return outcome
    explained = [(_distance(got, wrong), hint) for hint, wrong in mistakes.items()]
    explained = [(distance, hint) for distance, hint in explained if math.isfinite(distance)]
    if explained:
        closest, hint = min(explained, key=lambda item: item[0])  # ties: the first listed
        if closest * HINT_FACTOR <= miss:
            return fail(f"{outcome.message}\n{hint}")
    return outcome


def compare_with_mistakes(
    got: Tensor,
    expected: Tensor,
    mistakes: Callable[[], Mapping[str, Tensor]],
    *,
    what: str,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> Outcome:
    """:func:`~ganlab.grading.compare.compare_tensor`, plus a hint when ``got`` is a known mistake.

    ``got`` and ``expected`` are float64.  ``mistakes()`` maps a hint (what is wrong, and the
    right formula) to what that mistake gives; it is called only for a wrong answer.
    """
    outcome = compare_tensor(got, expected, what=what, rtol=rtol, atol=atol)
    return outcome if outcome.passed else _with_hint(outcome, got, expected, mistakes())


def compare_runs(
    got: Tensor,
    expected: Tensor,
    mistakes: Callable[[], Mapping[str, Tensor]],
    *,
    what: str,
    row: Callable[[int], str],
) -> Outcome:
    """:func:`compare_with_mistakes` for runs: (T, k) tensors, one row a step.

    A failure quotes the first row that differs, named by ``row(index)``, and its hint is
    judged on the rows before it and :data:`HINT_ROWS` from it: later, a wrong rule's run
    may blow up or magnify round-off.  The tolerance is :data:`RUN_RTOL`, :data:`RUN_ATOL`.
    """
    if got.shape != expected.shape:
        return compare_tensor(got, expected, what=what)
    differs = ~torch.isclose(got, expected, rtol=RUN_RTOL, atol=RUN_ATOL).all(dim=1)
    if not differs.any():
        return compare_tensor(got, expected, what=what, rtol=RUN_RTOL, atol=RUN_ATOL)
    index = int(differs.nonzero()[0])
    shown = f"{what}, {row(index)}"
    outcome = compare_tensor(got[index], expected[index], what=shown, rtol=RUN_RTOL, atol=RUN_ATOL)
    upto = slice(0, index + HINT_ROWS)
    wrong = {hint: run[upto] for hint, run in mistakes().items()}
    return _with_hint(outcome, got[upto], expected[upto], wrong)


def answer_case(
    describe: Callable[..., str],
    inputs: Sequence[tuple],
    reference: Callable[..., Tensor],
    mistakes: Callable[..., Mapping[str, Tensor]],
    *,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> Probe:
    """A case that calls the student on each argument tuple of ``inputs`` (in the worker) and
    judges the tensors it returned with :func:`compare_with_mistakes` (in the grader); the
    first failure is reported.

    Tensor arguments are passed as clones (an answer that edits them in place cannot change the
    reference); ``describe(*args)``, ``reference(*args)`` and ``mistakes(*args)`` get the
    originals.
    """

    def run(student: Callable) -> list:
        return [
            student(*[a.clone() if isinstance(a, Tensor) else a for a in args]) for args in inputs
        ]

    def judge(answers: list) -> Outcome:
        outcomes = []
        for args, answer in zip(inputs, answers, strict=True):
            what = describe(*args)
            outcomes.append(
                compare_with_mistakes(
                    as_tensor(answer, what),
                    reference(*args),
                    partial(mistakes, *args),
                    what=what,
                    rtol=rtol,
                    atol=atol,
                )
            )
        return first_failure(outcomes)

    return Probe(run, judge)
