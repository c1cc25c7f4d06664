"""The course's exercise checker.

In a notebook, ``check("00.1", discriminator_loss)`` grades one exercise and
``score("00")`` totals a lesson; from the shell, ``ganlab grade PATH...`` grades submitted
notebooks and ``ganlab exercises`` writes ``exercises/`` from ``solutions/``.  A lesson's
graded cases live in ``ganlab/grading/lessons/lNN.py``.
"""

from ganlab.grading.core import Case, CaseFailed, Exercise, ExerciseResult, Outcome, fail, ok
from ganlab.grading.lessons import get_exercise, lesson_exercises, registry
from ganlab.grading.notebook import LessonScore, check, score

__all__ = [
    "Case",
    "CaseFailed",
    "Exercise",
    "ExerciseResult",
    "LessonScore",
    "Outcome",
    "check",
    "fail",
    "get_exercise",
    "lesson_exercises",
    "ok",
    "registry",
    "score",
]
