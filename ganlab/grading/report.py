"""What ``ganlab grade`` prints and writes: per-notebook details, a table, JSON and CSV."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Sequence
from pathlib import Path

from ganlab.grading.core import CASE_SEPARATOR, exercise_sort_key
from ganlab.grading.runner import NotebookReport

# In the details, why an exercise lost points shows in its first lines (the failed cases'
# messages, a hint on a line of its own), each cut to a length; the JSON report has it all.
MESSAGE_LINES = 3
MESSAGE_CHARS = 240


def exercise_columns(reports: Sequence[NotebookReport]) -> list[str]:
    """Every exercise id graded in any report, in order."""
    ids = {e.id for report in reports for e in report.exercises}
    return sorted(ids, key=exercise_sort_key)


def _cut(line: str) -> str:
    return line[: MESSAGE_CHARS - 3] + "..." if len(line) > MESSAGE_CHARS else line


def _message_lines(summary: str) -> list[str]:
    """What the details show of an exercise's summary: its first :data:`MESSAGE_LINES` lines,
    a failed case's message starting a line, each line cut to :data:`MESSAGE_CHARS`."""
    lines = [
        _cut(line)
        for message in summary.split(CASE_SEPARATOR)
        for line in message.splitlines()
        if line.strip()
    ]
    if len(lines) > MESSAGE_LINES:
        left_out = len(lines) - MESSAGE_LINES
        lines = lines[:MESSAGE_LINES]
        lines[-1] += f" (+{left_out} more in --json)"
    return lines


def details(report: NotebookReport) -> str:
    """A notebook's grade: a line an exercise, with why points were lost (on up to
    :data:`MESSAGE_LINES` lines: a hint, or another failed case, starts a line)."""
    if report.error:
        return f"{report.notebook}: NOT GRADED: {report.error}"
    lines = [f"{report.notebook}: {report.score:g} / {report.max_score:g}"]
    for e in report.exercises:
        line = f"  {e.id} {e.status:<13} {e.score:>4g} / {e.max_score:<4g} "
        message = _message_lines(e.summary()) if e.status != "passed" else []
        lines.append((line + (message[0] if message else "")).rstrip())
        lines.extend(" " * len(line) + more for more in message[1:])
    return "\n".join(lines)


def table(reports: Sequence[NotebookReport]) -> str:
    """Submissions × exercises: the points of each, and the total."""
    columns = exercise_columns(reports)
    width = max([len("notebook"), *(len(r.notebook) for r in reports)])
    rows = [["notebook".ljust(width), *(c.rjust(5) for c in columns), "total"]]
    for report in reports:
        points = {e.id: f"{e.score:g}" for e in report.exercises}
        total = "not graded" if report.error else f"{report.score:g} / {report.max_score:g}"
        rows.append(
            [report.notebook.ljust(width), *(points.get(c, "-").rjust(5) for c in columns), total]
        )
    return "\n".join("  ".join(row) for row in rows)


def write_json(reports: Sequence[NotebookReport], path: str | os.PathLike) -> None:
    """A list with one object a notebook (see :meth:`NotebookReport.to_dict`)."""
    text = json.dumps([r.to_dict() for r in reports], indent=2)
    Path(path).write_text(text + "\n", encoding="utf-8")


def write_csv(reports: Sequence[NotebookReport], path: str | os.PathLike) -> None:
    """One row a notebook: its points per exercise, score, max_score and any error."""
    columns = exercise_columns(reports)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["notebook", *columns, "score", "max_score", "error"])
        for report in reports:
            points = {e.id: e.score for e in report.exercises}
            row = [report.notebook, *(points.get(c, "") for c in columns)]
            writer.writerow([*row, report.score, report.max_score, report.error])
