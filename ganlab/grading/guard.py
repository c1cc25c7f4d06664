"""What protects grading from the submission it runs: a time limit on every cell and every
grading call, and a fingerprint of the code grading relies on, to notice tampering."""

from __future__ import annotations

import importlib
import signal
import sys
import types
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from ganlab.grading.core import Exercise

T = TypeVar("T")
# Besides ganlab.grading itself: what the cases call, and numpy, whose arrays they take in.
# (What reporting calls is bound before the notebook runs; replacing `signal` functions only
# defeats the alarm, and the runner's deadline is there for that.)
WATCHED_MODULES = ("builtins", "math", "numpy", "torch", "torch.nn.functional")
# Rebound by torch itself when torch._dynamo loads (torchvision imports it); no case uses it.
REBOUND_BY_TORCH = frozenset({"torch.manual_seed"})
_MISSING = object()


class GradingTimeout(BaseException):
    """The time limit passed.  Not an Exception, so that ``except Exception`` in student code
    does not swallow it."""


class TimeLimit:
    """Runs calls under a time limit of ``seconds``, by SIGALRM."""

    REPEAT_S = 0.5  # the alarm repeats in case student code swallows it (a bare except)

    def __init__(self, seconds: float):
        self.seconds = seconds
        self._armed = False

    def _fire(self, signum: int, frame: object) -> None:
        if self._armed:
            raise GradingTimeout(f"ran past the time limit of {self.seconds:g} s")

    def run(self, call: Callable[[], T]) -> tuple[T | None, bool]:
        """``(call(), False)``, or ``(None, True)`` if it ran out of time."""
        # Installed every time: student code may have replaced the handler.
        signal.signal(signal.SIGALRM, self._fire)
        try:
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, self.seconds, self.REPEAT_S)
            try:
                return call(), False
            finally:
                self._armed = False
                signal.setitimer(signal.ITIMER_REAL, 0)
        except GradingTimeout:
            return None, True


def _function_code(value: object) -> object:
    return value.__code__ if isinstance(value, types.FunctionType) else None


class Fingerprint:
    """The objects grading relies on, to notice when student code replaces one of them.

    A name that is replaced, deleted, or whose function has new ``__code__`` is a change; new
    names are not (modules such as torch gain attributes when submodules load lazily), nor
    are the ``module.name`` s in ``ignore``.
    """

    def __init__(
        self, namespaces: Mapping[str, Mapping[str, Any]], ignore: Iterable[str] = REBOUND_BY_TORCH
    ):
        self._namespaces = namespaces
        ignore = frozenset(ignore)
        # The objects themselves are kept, so that their ids cannot be reused.
        self._seen = {
            (label, name): (value, _function_code(value))
            for label, namespace in namespaces.items()
            for name, value in list(namespace.items())
            if f"{label}.{name}" not in ignore
        }

    def changes(self) -> list[str]:
        """The names (``module.attribute``) that no longer hold what they held."""
        changed = []
        for (label, name), (value, code) in self._seen.items():
            now = self._namespaces[label].get(name, _MISSING)
            if now is not value or _function_code(now) is not code:
                changed.append(f"{label}.{name}")
        return changed


def grading_namespaces(exercises: Iterable[Exercise]) -> dict[str, Mapping[str, Any]]:
    """What :class:`Fingerprint` watches: every loaded ``ganlab.grading`` module and the
    classes it defines, the modules the cases use, torch's tensor methods, and each exercise
    with its cases."""
    ours = [m for n, m in sys.modules.items() if n.startswith("ganlab.grading")]
    modules = ours + [importlib.import_module(name) for name in WATCHED_MODULES]
    namespaces: dict[str, Mapping[str, Any]] = {m.__name__: vars(m) for m in modules}
    classes = [
        value
        for module in ours
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__.startswith("ganlab.grading")
    ]
    classes += sys.modules["torch"].Tensor.__mro__[:-1]  # `object` is builtins' business
    for cls in classes:
        namespaces[f"{cls.__module__}.{cls.__qualname__}"] = vars(cls)
    for exercise in exercises:
        namespaces[f"exercise {exercise.id}"] = vars(exercise)
        cases = {f"case {i}": case.run for i, case in enumerate(exercise.cases)}
        namespaces[f"exercise {exercise.id} cases"] = cases
    return namespaces
