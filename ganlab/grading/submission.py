"""Reading a submitted notebook: its code cells and the exercise set its check calls name."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ganlab.grading.core import Exercise
from ganlab.grading.lessons import lesson_exercises, registry

# check("00.1", ...) or check('00.1', ...), also as ganlab.grading.check(...).
CHECK_CALL = re.compile(r"""\bcheck\(\s*(["'])(\d{2}\.\d+)\1""")


class SubmissionError(ValueError):
    """A file that cannot be graded; the message says why."""


def checked_ids(source: str) -> list[str]:
    """The exercise ids of the ``check("NN.k", ...)`` calls in ``source``, in order."""
    return [match.group(2) for match in CHECK_CALL.finditer(source)]


def code_cells(path: str | os.PathLike) -> list[str]:
    """The sources of the notebook's code cells, in order.

    Raises:
        SubmissionError: if the file is not a .ipynb, cannot be read, is not JSON, or is
            not a notebook.
    """
    path = Path(path)
    if path.suffix != ".ipynb":
        raise SubmissionError("not a notebook: expected a .ipynb file")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SubmissionError(f"cannot read it: {err}") from err
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise SubmissionError(f"not valid JSON ({err}); is the file complete?") from err
    except RecursionError:
        raise SubmissionError("not a Jupyter notebook: its JSON is nested too deeply") from None
    if not isinstance(data, dict) or not isinstance(
        data.get("cells", data.get("worksheets")), list
    ):
        raise SubmissionError("not a Jupyter notebook: the JSON has no list of cells")
    if "cells" in data:  # nbformat 4: check each cell before trusting any library with it
        sources = []
        for number, cell in enumerate(data["cells"], 1):
            kind = cell.get("cell_type") if isinstance(cell, dict) else None
            if kind not in ("markdown", "raw"):
                sources.append(_code_source(number, cell))
        return sources
    import nbformat  # here, not above: it takes a second to import and the worker needs none

    try:
        notebook = nbformat.reads(text, as_version=4)
        return [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    except Exception as err:  # nbformat raises a variety of errors for broken notebooks
        raise SubmissionError(f"not a readable Jupyter notebook: {err}") from err


def _code_source(number: int, cell: object) -> str:
    """The source of a code cell of an nbformat-4 notebook, or why it is not one."""
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        kind = cell.get("cell_type") if isinstance(cell, dict) else type(cell).__name__
        raise SubmissionError(f"not a readable Jupyter notebook: cell {number} has type {kind!r}")
    source = cell.get("source")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        return "".join(source)
    if not isinstance(source, str):
        raise SubmissionError(
            f"not a readable Jupyter notebook: cell {number}'s source is "
            f"{type(source).__name__}, not text"
        )
    return source


def exercise_set(cells: list[str]) -> tuple[Exercise, ...]:
    """All exercises of the lessons whose exercises the cells check, in order.

    Raises:
        SubmissionError: if no cell checks a known exercise.
    """
    known = registry()
    ids = [i for source in cells for i in checked_ids(source)]
    lessons = sorted({known[i].lesson for i in ids if i in known})
    if not lessons:
        seen = f" (it checks {', '.join(sorted(set(ids)))})" if ids else ""
        raise SubmissionError(
            f"no known exercise set: no cell calls check() with a known exercise id{seen}; "
            f"known exercises: {', '.join(known)}"
        )
    return tuple(e for lesson in lessons for e in lesson_exercises(lesson))
