"""The process that runs one submission; :mod:`ganlab.grading.runner` starts it, sandboxed.

It reads the notebook's code cells as a JSON list on stdin, runs with its output discarded in
a fresh working folder, and reports one JSON object a line on the file descriptor ``--fd``,
each as soon as its exercise is probed, so that what was sent before a crash or a kill
survives.

The notebook's code cells run in order in an IPython shell, except the check cells: in their
place the worker calls the exercise's probes (:func:`ganlab.grading.probes.run_probes`) on the
notebook's object, with code captured before any student code ran, and sends the data they
return.  It never sends a verdict: the grader judges the data, and accepts from here only an
"error" or "timeout" (why no data came).  A notebook that replaces the grading functions (or
the torch and NumPy functions the probes use) is caught by comparing them with a snapshot, and
from then on its exercises score 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ganlab.grading.core import Exercise, ExerciseResult, result_without_cases
from ganlab.grading.guard import Fingerprint, GradingTimeout, TimeLimit, grading_namespaces
from ganlab.grading.lessons import get_exercise, lesson_module
from ganlab.grading.probes import run_probes
from ganlab.grading.submission import checked_ids

_MISSING = object()


def _quiet_shell() -> Any:
    """An IPython shell (for magics and ``!`` lines) without history or traceback printing."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class QuietShell(InteractiveShell):
        # Output is discarded anyway; formatting tracebacks would only cost time.
        def showtraceback(self, *args: object, **kwargs: object) -> None:
            pass

        def showsyntaxerror(self, *args: object, **kwargs: object) -> None:
            pass

        def enable_gui(self, gui: str | None = None) -> None:
            pass  # there is no GUI event loop here; `%matplotlib inline` must still work

    config = Config()
    config.HistoryManager.enabled = False
    return QuietShell.instance(config=config)


def _describe(error: BaseException) -> str:
    if isinstance(error, SyntaxError):  # its str() names IPython's made-up file
        return f"{type(error).__name__}: {error.msg} (line {error.lineno} of the cell)"
    return f"{type(error).__name__}: {error}"


@dataclass
class _Segment:
    """What happened in the cells since the last check cell."""

    timed_out: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class Session:
    """Runs one notebook's cells and grades its exercises at their check cells."""

    def __init__(self, exercises: Sequence[Exercise], seconds: float, emit: Callable):
        self.pending = {exercise.id: exercise for exercise in exercises}
        self.limit = TimeLimit(seconds)
        self.emit = emit
        self.probe = _probe_record  # captured before any student code runs
        self.shell = _quiet_shell()
        self.fingerprint = Fingerprint(grading_namespaces(exercises))
        self.tampered: list[str] = []
        self.segment = _Segment()

    def run(self, cells: Sequence[str]) -> None:
        """Run the cells in order, grading at each check cell, then grade what is left; the
        cells after the last exercise's check are not run."""
        for number, source in enumerate(cells, start=1):
            ids = checked_ids(source)
            if not ids:
                self._run_cell(number, source)
                continue
            for exercise_id in ids:
                if exercise_id in self.pending:
                    self.emit(self._grade(self.pending.pop(exercise_id)))
            self.segment = _Segment()
            if not self.pending:  # all graded: what follows (a long experiment) is not run
                return
        for exercise in list(self.pending.values()):
            self.emit(self._grade(exercise))
        self.pending.clear()

    def _run_cell(self, number: int, source: str) -> None:
        try:
            outcome, timed_out = self.limit.run(
                lambda: self.shell.run_cell(source, store_history=False)
            )
        except BaseException as err:  # raised inside IPython itself, outside the cell's code
            self.segment.errors.append(f"code cell {number} raised {_describe(err)}")
            return
        error = None if timed_out else outcome.error_before_exec or outcome.error_in_exec
        if timed_out or isinstance(error, GradingTimeout):
            self.segment.timed_out.append(number)
        elif error is not None:
            self.segment.errors.append(f"code cell {number} raised {_describe(error)}")

    def _grade(self, exercise: Exercise) -> ExerciseResult | dict:
        if not self.tampered:
            self.tampered = self.fingerprint.changes()
        if self.tampered:
            return result_without_cases(exercise, "error", self._tamper_message())
        if self.segment.timed_out:
            cells = ", ".join(map(str, self.segment.timed_out))
            message = f"code cell {cells} ran past the time limit of {self.limit.seconds:g} s"
            return result_without_cases(exercise, "timeout", message)
        obj = self.shell.user_ns.get(exercise.target, _MISSING)
        if obj is _MISSING:
            message = "; ".join(
                [f"the notebook defines no {exercise.target}", *self.segment.errors]
            )
            return result_without_cases(exercise, "error", message)
        probe = self.probe  # only data goes back; the grader judges it
        try:
            result, timed_out = self.limit.run(lambda: probe(exercise, obj))
        except BaseException as err:  # e.g. a KeyboardInterrupt raised by the student's code
            message = f"grading stopped on {type(err).__name__}: {err}"
            return result_without_cases(exercise, "error", message)
        self.tampered = self.fingerprint.changes()
        if self.tampered:
            return result_without_cases(exercise, "error", self._tamper_message())
        if timed_out:
            message = (
                f"grading {exercise.target} ran past the time limit of {self.limit.seconds:g} s"
            )
            return result_without_cases(exercise, "timeout", message)
        return result

    def _tamper_message(self) -> str:
        names = ", ".join(self.tampered[:3]) + (", ..." if len(self.tampered) > 3 else "")
        return f"the grading machinery was modified ({names}): this and later exercises score 0"


def _probe_record(exercise: Exercise, obj: object) -> dict:
    """What the grader judges: the exercise's probe data for ``obj``."""
    return {"id": exercise.id, "probes": run_probes(exercise, obj)}


def _emitter(fd: int) -> Callable[[ExerciseResult], None]:
    # Bound now, before student code could replace json.dumps or os.write.
    dumps, write = json.dumps, os.write

    def emit(result: ExerciseResult | dict) -> None:
        record = result if isinstance(result, dict) else result.to_record()
        write(fd, (dumps(record) + "\n").encode())

    return emit


def prepare(exercises: Sequence[Exercise]) -> None:
    """Run each graded lesson module's ``prepare()``, if it has one: one-time costs of the
    libraries its probes and judges use (PyTorch's first optimizer step imports its compiler,
    a second or more).  The worker calls it before any student code, so that the cost falls
    in the start-up budget and not in a probe's time limit; the grader, while the worker
    starts."""
    for lesson in sorted({exercise.lesson for exercise in exercises}):
        module = lesson_module(lesson)
        getattr(module, "prepare", lambda: None)()


def main(argv: Sequence[str] | None = None) -> int:
    """Grade the code cells on stdin: ``--fd N --timeout S --exercises 00.1,00.2``."""
    parser = argparse.ArgumentParser(prog="ganlab-grade-worker")
    parser.add_argument("--fd", type=int, required=True, help="where to write the results")
    parser.add_argument("--timeout", type=float, required=True, help="seconds a cell or grading")
    parser.add_argument("--exercises", required=True, help="comma-separated exercise ids")
    args = parser.parse_args(argv)
    # Programs the notebook starts (os.system) must not hold the pipe open after we exit.
    os.set_inheritable(args.fd, False)
    exercises = [get_exercise(i) for i in args.exercises.split(",")]
    prepare(exercises)
    cells = json.load(sys.stdin)
    Session(exercises, args.timeout, _emitter(args.fd)).run(cells)
    return 0
