"""Verdicts the submission's process cannot forge: probes there, judges here.

A case written as a :class:`Probe` has two halves:

- ``run(student_object) -> data``: what the case needs from the student's code (e.g. the
  value of their loss on given logits and its gradients), computed in the sandboxed worker,
  where the student's code runs.  It returns *data only*: numbers, strings, tensors and
  arrays, in lists, tuples and dicts.  :func:`to_data` turns that into JSON-ready values
  (no pickle), so nothing but data crosses from the worker to the grader.
- ``judge(data) -> Outcome``: computes the reference and compares, in the grading process,
  which never runs student code.  The worker never sees a reference or a point.

:func:`run_probes` is the worker's half of an exercise, :func:`judge_probes` the grader's.
In a notebook, ``check()`` runs both halves in one process through the same data round
trip, so a student sees exactly what the grader will decide.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

MAX_DEPTH = 8  # nesting of lists / dicts in an answer
MAX_VALUES = 100_000  # numbers in one probe's data
FAILED, NOT_ATTEMPTED = "__failed__", "__not_attempted__"


class DataError(ValueError):
    """An answer that is not data (or too much of it); the message says what it was."""


@dataclass(frozen=True)
class Probe:
    """A case split in two: ``run`` where the student's code runs, ``judge`` here."""

    run: Callable[[Any], Any]
    judge: Callable[[Any], Any]


def combine(*probes: Probe) -> Probe:
    """One case made of several probes: all run, the first failing judgement decides."""
    from ganlab.grading.compare import first_failure

    return Probe(
        lambda obj: [probe.run(obj) for probe in probes],
        lambda data: first_failure([p.judge(d) for p, d in zip(probes, data, strict=True)]),
    )


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_VALUES

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise DataError(f"the answer holds more than {MAX_VALUES} numbers")


def _number(x: float) -> object:
    # JSON has no inf or nan: they travel as strings and come back as floats
    return x if math.isfinite(x) else repr(float(x))


def to_data(value: object, _depth: int = 0, _budget: _Budget | None = None) -> object:
    """``value`` as JSON-ready data: tensors and arrays keep their dtype and shape, any other
    object becomes the name of its type (so a judge can say what arrived)."""
    budget = _budget or _Budget()
    if _depth > MAX_DEPTH:
        raise DataError(f"the answer is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str) and len(value) > 10_000:
            raise DataError("the answer holds a string of more than 10 000 characters")
        return value
    if type(value) in (int, float) or isinstance(value, (np.integer, np.floating)):
        budget.take(1)
        return _number(float(value)) if isinstance(value, (float, np.floating)) else int(value)
    if type(value) is torch.Tensor or type(value) is np.ndarray:
        array = value.detach().cpu() if isinstance(value, torch.Tensor) else value
        kind = "tensor" if isinstance(value, torch.Tensor) else "ndarray"
        budget.take(array.numel() if kind == "tensor" else array.size)
        flat = array.reshape(-1).tolist()
        return {
            "__" + kind + "__": [_number(v) if isinstance(v, float) else v for v in flat],
            "dtype": str(array.dtype).replace("torch.", ""),
            "shape": list(array.shape),
        }
    if type(value) in (list, tuple):
        items = [to_data(v, _depth + 1, budget) for v in value]
        return {"__tuple__": items} if type(value) is tuple else items
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise DataError("the answer is a dict with keys that are not strings")
        return {"__dict__": {k: to_data(v, _depth + 1, budget) for k, v in value.items()}}
    return {"__object__": type(value).__name__[:80]}


def _float(v: object) -> object:
    return float(v) if isinstance(v, str) else v


def from_data(data: object, _depth: int = 0) -> object:
    """The values :func:`to_data` encoded: tensors, arrays, tuples, dicts; an encoded object
    becomes an instance of an empty class of the same name."""
    if _depth > MAX_DEPTH + 1:
        raise DataError("data nested too deeply")
    if isinstance(data, list):
        return [from_data(v, _depth + 1) for v in data]
    if isinstance(data, str) and data in ("inf", "-inf", "nan"):
        return float(data)
    if not isinstance(data, dict):
        return data
    if "__tensor__" in data or "__ndarray__" in data:
        values = [_float(v) for v in data.get("__tensor__", data.get("__ndarray__"))]
        dtype, shape = str(data["dtype"]), [int(n) for n in data["shape"]]
        array = np.array(values, dtype=np.dtype(dtype) if dtype != "bfloat16" else np.float32)
        array = array.reshape(shape)
        if "__ndarray__" in data:
            return array
        tensor = torch.from_numpy(array.copy())
        return tensor.to(getattr(torch, dtype)) if hasattr(torch, dtype) else tensor
    if "__tuple__" in data:
        return tuple(from_data(v, _depth + 1) for v in data["__tuple__"])
    if "__dict__" in data:
        return {str(k): from_data(v, _depth + 1) for k, v in data["__dict__"].items()}
    if "__object__" in data:
        return type(str(data["__object__"]), (), {})()
    raise DataError(f"unknown data: {sorted(data)[:3]}")


def is_probed(exercise: object) -> bool:
    """Whether every case of ``exercise`` is a :class:`Probe` (graded by the parent)."""
    return all(getattr(case, "probe", None) is not None for case in exercise.cases)


def run_probes(exercise: object, obj: object) -> list[object]:
    """The worker's half: each case's probe data, or why there is none
    (``{"__failed__": message}``; ``{"__not_attempted__": true}`` stops at the first stub)."""
    from ganlab.grading.core import CaseFailed, raised
    from ganlab.grading.source import SourceRule

    out: list[object] = []
    for case in exercise.cases:
        if isinstance(case.probe, SourceRule):
            out.append(None)  # judged by the grader on the submission's source
            continue
        try:
            out.append(to_data(case.probe.run(obj)))
        except NotImplementedError:
            return [{NOT_ATTEMPTED: True}]
        except CaseFailed as verdict:
            out.append({FAILED: str(verdict)})
        except (Exception, SystemExit) as err:  # the student's code raised: that case fails
            out.append({FAILED: raised(err)})
    return out


def judge_probes(exercise: object, probes: object, cells: Sequence[str] | None = None) -> object:
    """The grader's half: the :class:`~ganlab.grading.core.ExerciseResult` of the probe data
    a worker sent (anything malformed fails its case, it never raises).  ``cells``, the
    submission's code cells, are what its :class:`~ganlab.grading.source.SourceRule` cases
    read."""
    from ganlab.grading.core import NOT_ATTEMPTED as NOT_ATTEMPTED_YET
    from ganlab.grading.core import CaseFailed, fail, result_without_cases, score_outcomes
    from ganlab.grading.source import SourceRule, cells_before_check

    if isinstance(probes, list) and probes == [{NOT_ATTEMPTED: True}]:
        return result_without_cases(exercise, "not_attempted", NOT_ATTEMPTED_YET)
    if not isinstance(probes, list) or len(probes) != len(exercise.cases):
        return result_without_cases(exercise, "error", "the worker sent malformed answers")
    outcomes = []
    for case, data in zip(exercise.cases, probes, strict=True):
        if isinstance(case.probe, SourceRule):
            if cells is None:
                outcomes.append(fail("the grader was not given the submission's code"))
            else:
                before = cells_before_check(cells, exercise.id)
                outcomes.append(case.probe.judge(before, exercise.target))
            continue
        if isinstance(data, dict) and FAILED in data:
            outcomes.append(fail(str(data[FAILED])[:4000]))
            continue
        try:
            outcomes.append(case.probe.judge(from_data(data)))
        except CaseFailed as verdict:
            outcomes.append(fail(str(verdict)))
        except Exception as err:  # data a judge cannot read is a failed case, never a crash
            outcomes.append(fail(f"the answer could not be judged ({type(err).__name__}: {err})"))
    return score_outcomes(exercise, outcomes)
