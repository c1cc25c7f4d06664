"""Flags for the instructor: a submission that calls ganlab's own implementation of what is
graded, or reads the solutions.

The scan is static: the grader parses the submission's code cells (it never runs them
here) and lists

- imports of, and attribute paths into, ganlab modules that implement the course's
  concepts (anything under ``ganlab`` except the helpers a notebook is given: the grader's
  ``check`` / ``score``, data, configuration, plotting, and what the lesson's own exercise
  notebook imports, :data:`GIVEN`);
- dynamic imports of ganlab (``importlib.import_module("ganlab...")``, ``__import__``);
- string literals naming the ``solutions`` folder or a solution notebook.

Each flag names the cell and the exercise whose check follows it.  A flag is for review,
not a verdict: no points are taken.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence

from ganlab.grading.source import parse_cell
from ganlab.grading.submission import checked_ids

# Modules every exercise notebook may use: they implement nothing that is graded.
HELPERS = (
    "ganlab.data",
    "ganlab.config",
    "ganlab.plotting",
    "ganlab.progress",
    "ganlab.nets",  # the networks the experiments train
    "ganlab.recipes",  # the course's baseline GAN, for the experiments
)
# The grader's own entry points a notebook is given.
GRADING_NAMES = {"check", "score"}
ANY = None  # a given module from which any name may be imported
# What a lesson's exercise notebook itself imports (its given code), by lesson: a module and
# the names it may import from it (ANY: all of them).  Names, not modules, where the module
# also implements an exercise's answer (ganlab.games holds the invariants and rates).
GIVEN: dict[str, dict[str, set[str] | None]] = {
    "01": {"ganlab.games": {"XYGame"}, "ganlab.games.plots": ANY},
    "02": {
        "ganlab.games": {"DEFAULT_HA_LR", "DEFAULT_WEIGHT", "PiecewiseGame", "simulate"},
        "ganlab.games.plots": ANY,
    },
    # after lesson 03, where the paired interval is an exercise, the experiments may use it
    **{lesson: {"ganlab.stats": ANY} for lesson in ("04", "05", "06", "07", "08")},
    "09": {"ganlab.stats": ANY, "ganlab.bench.ssl": {"ARMS", "run"}},
}
SOLUTIONS = re.compile(r"(^|[/\\])solutions([/\\]|$)|\d{2}_\w+\.ipynb$")


def _allowed(module: str, names: Sequence[str], lessons: Sequence[str]) -> bool:
    """Whether importing ``names`` from ``module`` (``[]``: the module itself) is given."""
    if module == "ganlab.grading" and set(names) <= GRADING_NAMES:
        return True
    if any(module == m or module.startswith(m + ".") for m in HELPERS):
        return True
    for lesson in lessons:
        allowed = GIVEN.get(lesson, {})
        if module in allowed and (
            allowed[module] is ANY or (names and set(names) <= allowed[module])
        ):
            return True
    return False


def _cell_flags(tree: ast.Module, lessons: Sequence[str]) -> list[str]:
    flags = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("ganlab"):
            names = [alias.name for alias in node.names]
            if not _allowed(node.module, names, lessons):
                flags.append(f"imports {', '.join(names)} from {node.module}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("ganlab") and not _allowed(alias.name, [], lessons):
                    flags.append(f"imports {alias.name}")
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0] if node.args else None
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and str(first.value).startswith("ganlab")
            ):
                flags.append(f"imports {first.value} dynamically")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if len(node.value) < 500 and SOLUTIONS.search(node.value.strip()):
                flags.append(f"names the solutions ({node.value.strip()[:60]!r})")
    return list(dict.fromkeys(flags))


def delegation_flags(cells: Sequence[str], lessons: Sequence[str]) -> list[str]:
    """The flags of a submission's code cells (see the module's docstring), one string each:
    ``"cell 4 (before the check of 03.1): imports feature_matching_loss from ganlab.tricks"``.

    Args:
        cells: the code cells' sources, in order.
        lessons: the lessons graded (``["03"]``), for the imports their notebooks are given.
    """
    flags: list[str] = []
    pending: list[tuple[int, str]] = []
    for number, source in enumerate(cells, start=1):
        ids = checked_ids(source)
        tree = parse_cell(source)
        if tree is not None:
            pending += [(number, flag) for flag in _cell_flags(tree, lessons)]
        if ids and pending:
            where = f"before the check of {ids[0]}"
            flags += [f"cell {n} ({where}): {flag}" for n, flag in pending]
            pending = []
    flags += [f"cell {n}: {flag}" for n, flag in pending]
    return flags
