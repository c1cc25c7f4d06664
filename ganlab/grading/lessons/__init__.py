"""The graded exercises of every lesson, one module a lesson: ``l00.py``, ``l01.py``, ...

A lesson module defines ``EXERCISES``, a tuple of :class:`~ganlab.grading.core.Exercise`
whose ids start with its number; adding a lesson's exercises is adding its module here.
What lessons share lives in :mod:`ganlab.grading.compare`, :mod:`~ganlab.grading.mistakes`
and :mod:`~ganlab.grading.inputs`; a lesson module does not import another.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
from collections.abc import Mapping
from types import MappingProxyType, ModuleType

from ganlab.grading.core import Exercise, exercise_sort_key
from ganlab.grading.probes import is_probed

_LESSON_MODULE = re.compile(r"l(\d{2})")


@functools.cache
def registry() -> Mapping[str, Exercise]:
    """Every exercise of every lesson module, by id, in lesson and exercise order.

    Raises:
        ValueError: if a lesson module's exercises are malformed (wrong lesson, duplicate id,
            a case the grader cannot judge itself: not a probe or a source rule).
    """
    found: dict[str, Exercise] = {}
    for module_info in pkgutil.iter_modules(__path__):
        match = _LESSON_MODULE.fullmatch(module_info.name)
        if not match:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        exercises = getattr(module, "EXERCISES", None)
        if not isinstance(exercises, tuple) or not exercises:
            raise ValueError(f"{module.__name__} must define EXERCISES, a tuple of Exercise")
        for exercise in exercises:
            if not isinstance(exercise, Exercise) or exercise.lesson != match.group(1):
                raise ValueError(
                    f"{module.__name__}.EXERCISES holds {exercise!r:.60}; expected Exercise "
                    f"objects with ids '{match.group(1)}.k'"
                )
            if not is_probed(exercise):  # the grader judges; the submission only answers
                raise ValueError(
                    f"exercise {exercise.id}: every case must be a Probe or a SourceRule"
                )
            if exercise.id in found:
                raise ValueError(f"exercise {exercise.id} is defined twice")
            found[exercise.id] = exercise
    ordered = sorted(found.items(), key=lambda item: exercise_sort_key(item[0]))
    return MappingProxyType(dict(ordered))


def lesson_module(lesson: str) -> ModuleType | None:
    """The module of lesson ``lesson`` (``"03"`` -> ``l03``), or None if there is none."""
    if not re.fullmatch(r"\d{2}", str(lesson)):
        return None
    names = {info.name for info in pkgutil.iter_modules(__path__)}
    name = f"l{lesson}"
    return importlib.import_module(f"{__name__}.{name}") if name in names else None


def get_exercise(exercise_id: str) -> Exercise:
    """The exercise with this id, e.g. ``"00.1"``.

    Raises:
        KeyError: if no lesson defines it; the message lists the known ids.
    """
    exercises = registry()
    if exercise_id not in exercises:
        raise KeyError(
            f"no exercise {exercise_id!r}; known exercises: {', '.join(exercises) or 'none'}"
        )
    return exercises[exercise_id]


def lesson_exercises(lesson: str) -> tuple[Exercise, ...]:
    """The exercises of a lesson, e.g. ``"00"``, in order.

    Raises:
        KeyError: if the lesson has no exercises.
    """
    exercises = tuple(e for e in registry().values() if e.lesson == lesson)
    if not exercises:
        lessons = sorted({e.lesson for e in registry().values()})
        raise KeyError(f"no exercises for lesson {lesson!r}; lessons with exercises: {lessons}")
    return exercises
