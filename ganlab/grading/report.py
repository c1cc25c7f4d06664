"""What ``ganlab grade`` prints and writes: per-notebook details, a table, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Sequence

from ganlab.files import atomic_write
from ganlab.grading.core import CASE_SEPARATOR, exercise_sort_key
from ganlab.grading.runner import NotebookReport

# In the details, why an exercise lost points shows in its first lines (the failed cases'
# messages, a hint on a line of its own), each cut to a length; the JSON report has it all.
MESSAGE_LINES = 3
MESSAGE_CHARS = 240
# Control characters (terminal escape codes included) in anything a submission controls
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would evaluate


def printable(text: str) -> str:
    """``text`` safe to show: undecodable bytes of a file name escaped (``\\udcff``) and
    control characters, such as a terminal's escape codes, replaced by ``?``."""
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return _CONTROL.sub("?", text)


def csv_cell(value: object) -> object:
    """A CSV field: text made :func:`printable` and, if a spreadsheet would read it as a
    formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a return), quoted with ``'``."""
    if not isinstance(value, str):
        return value
    value = printable(value.replace("\n", " "))
    return "'" + value if value.startswith(_FORMULA_START) else value


def question_columns(reports: Sequence[NotebookReport]) -> list[str]:
    """Every written question asked in any report, in order."""
    ids = {q for report in reports for q in report.answers}
    return sorted(ids, key=lambda q: (q.split(".")[0], int(q.split(".Q")[1])))


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
    name = printable(report.notebook)
    if report.error:
        return f"{name}: NOT GRADED: {printable(report.error)}"
    lines = [f"{name}: {report.score:g} / {report.max_score:g}"]
    for e in report.exercises:
        line = f"  {e.id} {e.status:<13} {e.score:>4g} / {e.max_score:<4g} "
        message = _message_lines(printable(e.summary())) if e.status != "passed" else []
        lines.append((line + (message[0] if message else "")).rstrip())
        lines.extend(" " * len(line) + more for more in message[1:])
    for question, text in report.answers.items():
        words = len(text.split())
        shown = _cut(printable(" ".join(text.split()))) if text else ""
        what = f"written answer, {words} words: {shown}" if text else "written answer: none"
        lines.append(f"  {question} {what}")
    lines += [f"  FLAG for review (no points taken): {printable(flag)}" for flag in report.flags]
    return "\n".join(lines)


def table(reports: Sequence[NotebookReport]) -> str:
    """Submissions × exercises: the points of each, and the total."""
    columns = exercise_columns(reports)
    names = [printable(r.notebook) for r in reports]
    width = max([len("notebook"), *map(len, names)])
    rows = [["notebook".ljust(width), *(c.rjust(5) for c in columns), "total"]]
    for name, report in zip(names, reports, strict=True):
        points = {e.id: f"{e.score:g}" for e in report.exercises}
        total = "not graded" if report.error else f"{report.score:g} / {report.max_score:g}"
        rows.append([name.ljust(width), *(points.get(c, "-").rjust(5) for c in columns), total])
    return "\n".join("  ".join(row) for row in rows)


def write_json(reports: Sequence[NotebookReport], path: str | os.PathLike) -> None:
    """A list with one object a notebook (see :meth:`NotebookReport.to_dict`), written
    atomically (a crash leaves the previous file or none, never half of one)."""
    text = json.dumps([r.to_dict() for r in reports], indent=2)  # escapes what is not UTF-8
    with atomic_write(path, "w") as file:
        file.write(text + "\n")


def write_csv(reports: Sequence[NotebookReport], path: str | os.PathLike) -> None:
    """One row a notebook: ``status`` (graded / not graded), each exercise's points and
    status (passed, failed, not_attempted, error, timeout), score, max_score, any error, the
    flags for review (:mod:`ganlab.grading.delegation`) and each written answer
    (:mod:`ganlab.grading.questions`);
    text fields are :func:`csv_cell` s.  Written atomically."""
    columns = exercise_columns(reports)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    status_columns = [f"{c} status" for c in columns]
    header = ["notebook", "status", *columns, *status_columns, "score", "max_score", "error"]
    questions = question_columns(reports)
    writer.writerow([*header, "flags", *(f"{q} answer" for q in questions)])
    for report in reports:
        points = {e.id: e.score for e in report.exercises}
        statuses = {e.id: e.status for e in report.exercises}
        row = [report.notebook, "not graded" if report.error else "graded"]
        row += [points.get(c, "") for c in columns] + [statuses.get(c, "") for c in columns]
        row += [report.score, report.max_score, report.error, "; ".join(report.flags)]
        row += [report.answers.get(q, "") for q in questions]
        writer.writerow([csv_cell(value) for value in row])
    with atomic_write(path, "w") as file:
        file.write(buffer.getvalue())
