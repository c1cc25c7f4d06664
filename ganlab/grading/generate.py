"""Write ``exercises/NN_name_exercises.ipynb`` from ``solutions/NN_name_exercises.ipynb``
(``ganlab exercises``): an exercise notebook has its solution's name, and the lesson is
``notebooks/NN_name.ipynb``, so a lesson and its exercises read differently in browser tabs.

As in nbgrader, an answer sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``.  In
the exercise notebook a code region becomes ``# YOUR CODE HERE`` and
``raise NotImplementedError()`` at the marker's indentation, a markdown region becomes
``YOUR ANSWER HERE``; outputs and execution counts are cleared.

Each exercise notebook records a fingerprint of the code and text it was generated with
(``metadata.ganlab.sources_sha256``).  A notebook whose cells no longer match it holds a
student's work: :func:`sync_exercises` never overwrites it unless told to (``--force``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import nbformat

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
ANSWER_STUB = ("YOUR ANSWER HERE",)
# Only what a kernel needs: solutions executed on another machine differ in the rest.
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class SolutionMarkerError(ValueError):
    """A solution region is not closed, or closed without being opened."""


def strip_solutions(source: str, stub: tuple[str, ...], where: str = "cell") -> str:
    """``source`` with every solution region replaced by ``stub``, indented like its BEGIN line.

    Raises:
        SolutionMarkerError: for a BEGIN without END, an END without BEGIN, or nested BEGINs;
            the message names ``where`` and the line.
    """
    out: list[str] = []
    begin_line = 0
    for number, line in enumerate(source.splitlines(), start=1):
        marker = line.strip()
        if marker == BEGIN:
            if begin_line:
                raise SolutionMarkerError(
                    f"{where}: line {number} opens a solution region inside the one opened "
                    f"on line {begin_line}; close it with '{END}' first"
                )
            begin_line = number
            indent = line[: len(line) - len(line.lstrip())]
            out.extend(indent + text for text in stub)
        elif marker == END:
            if not begin_line:
                raise SolutionMarkerError(f"{where}: line {number} has '{END}' without '{BEGIN}'")
            begin_line = 0
        elif not begin_line:
            out.append(line)
    if begin_line:
        raise SolutionMarkerError(
            f"{where}: '{BEGIN}' on line {begin_line} has no matching '{END}'"
        )
    return "\n".join(out)


def exercise_notebook(
    solution: nbformat.NotebookNode, name: str = "notebook"
) -> nbformat.NotebookNode:
    """The exercise version of a solution notebook (``name`` is used in error messages)."""
    cells = []
    for index, cell in enumerate(solution.cells):
        where = f"{name}, cell {index} ({cell.cell_type})"
        kwargs = {"id": cell.get("id"), "metadata": _tags_only(cell.metadata)}
        if cell.cell_type == "code":
            source = strip_solutions(cell.source, CODE_STUB, where)
            cells.append(nbformat.v4.new_code_cell(source, **kwargs))
        elif cell.cell_type == "markdown":
            source = strip_solutions(cell.source, ANSWER_STUB, where)
            cells.append(nbformat.v4.new_markdown_cell(source, **kwargs))
        else:
            cells.append(nbformat.v4.new_raw_cell(cell.source, **kwargs))
    metadata = {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=metadata)
    notebook.metadata["ganlab"] = {"sources_sha256": sources_fingerprint(notebook)}
    return notebook


def sources_fingerprint(notebook: nbformat.NotebookNode) -> str:
    """SHA-256 of the notebook's cells' types and sources (not outputs or metadata)."""
    cells = [[cell.cell_type, cell.source] for cell in notebook.cells]
    return hashlib.sha256(json.dumps(cells).encode()).hexdigest()


def edited_since_generated(text: str) -> bool:
    """Whether an exercise notebook's code or text differs from what ganlab generated
    (also when it has no fingerprint or cannot be read: then it is treated as someone's work)."""
    try:
        notebook = nbformat.reads(text, as_version=4)
        recorded = notebook.metadata["ganlab"]["sources_sha256"]
    except Exception:  # unreadable, or no fingerprint: not ours to overwrite
        return True
    return recorded != sources_fingerprint(notebook)


def _tags_only(metadata: dict) -> dict:
    return {"tags": list(metadata["tags"])} if metadata.get("tags") else {}


def render_exercises(solutions: str | os.PathLike) -> dict[str, str]:
    """The text of every exercise notebook for the ``*.ipynb`` in ``solutions``, by file name
    (an exercise notebook has its solution's name).

    Raises:
        FileNotFoundError: if ``solutions`` holds no notebook.
        SolutionMarkerError: as :func:`strip_solutions`, naming the file and cell.
    """
    paths = sorted(Path(solutions).glob("*.ipynb"))
    if not paths:
        raise FileNotFoundError(f"no solution notebooks (*.ipynb) in {solutions}")
    rendered = {}
    for path in paths:
        notebook = exercise_notebook(nbformat.read(path, as_version=4), str(path))
        rendered[path.name] = nbformat.writes(notebook) + "\n"
    return rendered


def sync_exercises(
    solutions: str | os.PathLike,
    exercises: str | os.PathLike,
    write: bool = True,
    force: bool = False,
) -> tuple[list[Path], list[Path]]:
    """Bring ``exercises`` in line with ``solutions``, never destroying a student's work.

    Returns:
        ``(stale, edited)``: the exercise notebooks that are missing or out of date (written
        when ``write``), and those that differ because someone edited them (see
        :func:`edited_since_generated`): left alone, unless ``force`` (then written too, and
        listed in ``stale``).  Without ``write`` nothing changes (``ganlab exercises --check``).
    """
    exercises = Path(exercises)
    stale, edited = [], []
    for name, text in render_exercises(solutions).items():
        path = exercises / name
        current = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
        if current == text:
            continue
        if current is not None and not force and edited_since_generated(current):
            edited.append(path)
            continue
        stale.append(path)
        if write:
            exercises.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    return stale, edited
