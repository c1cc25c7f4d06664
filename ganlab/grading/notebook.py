"""What an exercise notebook calls: ``check("00.1", discriminator_loss)`` after each exercise
and ``score("00")`` in its last cell.

Both return objects that Jupyter shows as a short report.  They never raise (only a
KeyboardInterrupt goes through), so an untouched exercise notebook runs top to bottom.
"""

from __future__ import annotations

from dataclasses import dataclass

from ganlab.grading.core import ExerciseResult, result_without_cases, run_cases
from ganlab.grading.lessons import get_exercise, lesson_exercises
from ganlab.grading.questions import Question, lesson_questions

# The latest result of each exercise checked in this interpreter, for score().
_checked: dict[str, ExerciseResult] = {}


def check(exercise_id: str, obj: object) -> ExerciseResult:
    """Grade ``obj`` (e.g. the function you wrote) with the cases of exercise ``exercise_id``.

    Returns:
        The result; as the last line of a cell it shows which cases passed, with points, and
        for a failure what was expected and what arrived.  ``print()`` it in a script.
    """
    try:
        exercise = get_exercise(exercise_id)
    except KeyError as err:
        return ExerciseResult(str(exercise_id), "unknown exercise", "error", 0.0, 0.0, err.args[0])
    try:
        result = run_cases(exercise, obj)
    except KeyboardInterrupt:
        raise
    # The promise is that a check never stops a notebook, whatever the student's object does.
    except BaseException as err:
        message = f"the check itself failed ({type(err).__name__}: {err}); please report this"
        result = result_without_cases(exercise, "error", message)
    _checked[exercise.id] = result
    return result


@dataclass(frozen=True, repr=False)
class LessonScore:
    """The points of a lesson's exercises as last checked; its ``repr`` is the summary."""

    lesson: str
    results: tuple[ExerciseResult, ...]
    questions: tuple[Question, ...] = ()

    @property
    def score(self) -> float:
        """Points earned."""
        return float(sum(r.score for r in self.results))

    @property
    def max_score(self) -> float:
        """Points available."""
        return float(sum(r.max_score for r in self.results))

    def report(self) -> str:
        """The total, then one line an exercise."""
        lines = [f"Lesson {self.lesson}: {self.score:g} / {self.max_score:g} points"]
        for r in self.results:
            status = r.status.replace("_", " ")
            lines.append(f"  {r.id} {r.title:<52} {r.score:>4g} / {r.max_score:<4g} {status}")
        for q in self.questions:
            lines.append(f"  {q.id} {q.title:<52} written: your instructor reads it")
        return "\n".join(lines)

    __repr__ = report
    __str__ = report


def score(lesson: str) -> LessonScore:
    """The total of lesson ``lesson`` (e.g. ``"00"``) from the checks run in this session.

    An exercise whose check has not run counts 0; re-run a check after changing your code.
    """
    try:
        exercises = lesson_exercises(lesson)
    except KeyError as err:
        unknown = ExerciseResult(str(lesson), "unknown lesson", "error", 0.0, 0.0, err.args[0])
        return LessonScore(str(lesson), (unknown,))
    not_checked = "not checked yet: run its check cell"
    results = tuple(
        _checked.get(e.id) or result_without_cases(e, "not_attempted", not_checked)
        for e in exercises
    )
    return LessonScore(lesson, results, lesson_questions(lesson))
