"""The data model of the exercise checker: cases, exercises, and the results of grading.

An :class:`Exercise` is graded by running each of its :class:`Case` s against the student's
object; a case returns an :class:`Outcome` (passed or not, and why).  :func:`run_cases` turns
the outcomes into an :class:`ExerciseResult`, which prints as the report a student reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STATUSES = ("passed", "failed", "not_attempted", "error", "timeout")
NOT_ATTEMPTED = "not attempted yet"
EXERCISE_ID = re.compile(r"(\d{2})\.(\d+)")
CASE_SEPARATOR = " | "  # between the failed cases' messages in a summary


@dataclass(frozen=True)
class Outcome:
    """What one case concluded: ``passed`` or not, and a message saying why."""

    passed: bool
    message: str = ""


class CaseFailed(Exception):
    """Raised by a case helper to fail the case with its message (an :class:`Outcome`)."""


def raised(error: BaseException) -> str:
    """What a failed case says about an exception from the student's code: its type and
    message and, when the traceback passes through code the student wrote (a notebook
    cell, not a library), the line there: ``raised ZeroDivisionError: division by zero
    (line 7 of train_step)``."""
    text = f"raised {type(error).__name__}: {error}"
    where = _student_line(error.__traceback__)
    return f"{text} ({where})" if where else text


def _student_line(traceback: object) -> str:
    """``"line N of function"`` for the innermost frame of the traceback that is in a
    notebook cell (IPython names its cells ``<ipython-input-...>`` or ``.../ipykernel_*/...``);
    ``""`` if there is none."""
    found = ""
    while traceback is not None:
        code = traceback.tb_frame.f_code
        name = code.co_filename
        if name.startswith("<ipython-input-") or "ipykernel_" in name or name == "<cell>":
            function = code.co_name if code.co_name != "<module>" else "the cell"
            found = f"line {traceback.tb_lineno} of {function}"
        traceback = traceback.tb_next
    return found


def ok(message: str = "") -> Outcome:
    """A passing :class:`Outcome`."""
    return Outcome(True, message)


def fail(message: str) -> Outcome:
    """A failing :class:`Outcome`; the message says what was expected and what arrived."""
    return Outcome(False, message)


@dataclass(frozen=True)
class Case:
    """One graded test of an exercise.

    Attributes:
        name: what the case tests, as the student reads it in the report.
        points: what passing it is worth (> 0).
        run: ``run(student_object) -> Outcome``; it computes its own reference.  Derived
            from ``probe`` when that is given.
        probe: the case split in two (:class:`ganlab.grading.probes.Probe`): the student's
            code runs in the sandboxed worker, the verdict is computed by the grader; or a
            :class:`ganlab.grading.source.SourceRule`, judged by the grader on the
            submission's code without running it.
    """

    name: str
    points: float
    run: Callable[[Any], Outcome] | None = None
    probe: Any = None

    def __post_init__(self) -> None:
        if not self.points > 0:
            raise ValueError(f"case {self.name!r}: points must be > 0, got {self.points}")
        from ganlab.grading.probes import Probe, from_data, to_data
        from ganlab.grading.source import SourceRule

        if isinstance(self.run, Probe | SourceRule):  # Case(name, points, probe) reads naturally
            object.__setattr__(self, "probe", self.run)
        if isinstance(self.probe, SourceRule):
            rule = self.probe
            # in a notebook: the cells run so far; the grader reads the submitted file's cells
            object.__setattr__(self, "run", rule.judge_object)
        elif self.probe is not None:
            probe = self.probe
            # in one process (a notebook's check()) through the same data the grader gets
            object.__setattr__(
                self, "run", lambda obj: probe.judge(from_data(to_data(probe.run(obj))))
            )
        if not callable(self.run):
            raise TypeError(f"case {self.name!r}: run must be callable, got {type(self.run)}")


@dataclass(frozen=True)
class Exercise:
    """An exercise: which notebook object it grades and the cases that grade it.

    Attributes:
        id: ``"LL.k"``: lesson ``LL``, exercise ``k``, e.g. ``"00.1"``.
        title: a few words, shown in reports.
        target: the name of the object the notebook defines, e.g. ``"discriminator_loss"``.
        cases: the graded cases, run in order.
    """

    id: str
    title: str
    target: str
    cases: tuple[Case, ...]

    def __post_init__(self) -> None:
        if not EXERCISE_ID.fullmatch(self.id):
            raise ValueError(f"exercise id must look like '00.1' (lesson.number), got {self.id!r}")
        if not self.target.isidentifier():
            raise ValueError(f"exercise {self.id}: target must be a Python name: {self.target!r}")
        if not isinstance(self.cases, tuple) or not self.cases:
            raise ValueError(f"exercise {self.id}: cases must be a non-empty tuple of Case")

    @property
    def lesson(self) -> str:
        """The lesson number, ``"00"`` for ``"00.1"``."""
        return self.id.split(".")[0]

    @property
    def max_score(self) -> float:
        """The points of all its cases."""
        return float(sum(case.points for case in self.cases))


def exercise_sort_key(exercise_id: str) -> tuple[str, int]:
    """Orders ids by lesson, then numerically: ``00.2`` before ``00.10``."""
    lesson, number = exercise_id.split(".")
    return lesson, int(number)


@dataclass(frozen=True)
class CaseResult:
    """How one case went: the points earned out of ``max_points``, and the message."""

    name: str
    points: float
    max_points: float
    passed: bool
    message: str = ""


@dataclass(frozen=True, repr=False)
class ExerciseResult:
    """The grade of one exercise.  Its ``repr`` is the report shown under a check cell."""

    id: str
    title: str
    status: str
    score: float
    max_score: float
    message: str = ""
    cases: tuple[CaseResult, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    def summary(self) -> str:
        """Why points were lost (empty when the exercise passed): each failed case's name and
        message, joined by :data:`CASE_SEPARATOR`; a message may add a hint on a line of its own."""
        if self.message or self.status != "failed":
            return self.message
        return CASE_SEPARATOR.join(f"{c.name}: {c.message}" for c in self.cases if not c.passed)

    def report(self) -> str:
        """The multi-line report: a header, then each case with its points and message."""
        head = f"{self.id} {self.title}: {self.score:g} / {self.max_score:g} points"
        if self.status == "not_attempted":
            return f"{head} -- {self.message}"
        if self.status not in ("passed", "failed"):
            return f"{head} -- {self.status}: {self.message}"
        lines = [head + (" -- all cases passed" if self.status == "passed" else "")]
        for case in self.cases:
            mark = "pass" if case.passed else "FAIL"
            lines.append(f"  [{mark}] {case.name} ({case.points:g}/{case.max_points:g})")
            if not case.passed and case.message:
                lines.extend(f"         {line}" for line in case.message.splitlines())
        return "\n".join(lines)

    __repr__ = report
    __str__ = report

    def to_record(self) -> dict[str, Any]:
        """The JSON-ready form used in reports and between the grading processes."""
        return {
            "id": self.id,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "message": self.summary(),
        }


def result_without_cases(exercise: Exercise, status: str, message: str) -> ExerciseResult:
    """A 0-point result for an exercise whose cases did not run (error, timeout, ...)."""
    return ExerciseResult(exercise.id, exercise.title, status, 0.0, exercise.max_score, message)


def run_cases(exercise: Exercise, obj: object) -> ExerciseResult:
    """Grade ``obj`` with every case of ``exercise``.

    An exception from the student's code fails that case with the exception's type and
    message; a ``NotImplementedError`` anywhere means the exercise is not attempted yet.
    """
    outcomes = []
    for case in exercise.cases:
        try:
            outcome = case.run(obj)
        except NotImplementedError:
            return result_without_cases(exercise, "not_attempted", NOT_ATTEMPTED)
        except CaseFailed as verdict:
            outcome = fail(str(verdict))
        # SystemExit too: a student's sys.exit() must not end the notebook or the grader.
        except (Exception, SystemExit) as err:
            outcome = fail(raised(err))
        outcomes.append(outcome)
    return score_outcomes(exercise, outcomes)


def score_outcomes(exercise: Exercise, outcomes: list[Outcome]) -> ExerciseResult:
    """The :class:`ExerciseResult` of one :class:`Outcome` per case, in order.  A source rule
    that waits for the values (:class:`~ganlab.grading.source.SourceRule`) passes only when
    every other case does."""
    from ganlab.grading.source import SourceRule

    def gated(case: Case) -> bool:
        return isinstance(case.probe, SourceRule) and case.probe.after_the_values

    pairs = zip(exercise.cases, outcomes, strict=True)
    values_right = all(getattr(o, "passed", False) for c, o in pairs if not gated(c))
    results = []
    for case, outcome in zip(exercise.cases, outcomes, strict=True):
        if not isinstance(outcome, Outcome):
            raise TypeError(
                f"case {case.name!r} of {exercise.id} returned {type(outcome).__name__}, "
                "expected an Outcome (use ok() or fail())"
            )
        if gated(case) and not values_right:
            outcome = fail("this counts once the other cases pass")
        earned = case.points if outcome.passed else 0.0
        results.append(CaseResult(case.name, earned, case.points, outcome.passed, outcome.message))
    score = float(sum(r.points for r in results))
    status = "passed" if all(r.passed for r in results) else "failed"
    return ExerciseResult(
        exercise.id, exercise.title, status, score, exercise.max_score, cases=tuple(results)
    )
