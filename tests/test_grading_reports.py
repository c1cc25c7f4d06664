"""Reports that survive what a submission does: malformed notebooks, hostile names and
messages, unwritable report paths; exit codes that say what happened."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
from pathlib import Path

import nbformat
import pytest

from ganlab.cli import main as cli_main
from ganlab.grading import report, runner
from ganlab.grading.core import ExerciseResult
from ganlab.grading.submission import SubmissionError, code_cells

ROOT = Path(__file__).resolve().parents[1]
CHECK = 'check("00.1", f)'


def _cells(*cells: object) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells)}


MALFORMED = {
    "no_source.ipynb": (_cells({"cell_type": "code", "metadata": {}}), "source is NoneType"),
    "number_source.ipynb": (_cells({"cell_type": "code", "source": 7}), "source is int"),
    "no_type.ipynb": (_cells({"source": CHECK}), "has type None"),
    "not_a_dict.ipynb": (_cells("print(1)"), "has type 'str'"),
    "deep.ipynb": (None, "nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_notebooks_are_refused_with_a_reason(tmp_path, name):
    content, reason = MALFORMED[name]
    path = tmp_path / name
    if content is None:
        path.write_text('{"cells": ' + "[" * 100_000 + "]" * 100_000 + "}")
    else:
        path.write_text(json.dumps(content))
    with pytest.raises(SubmissionError, match=reason):
        code_cells(path)
    assert runner.grade_notebook(path, timeout=5, sandbox=False).error  # reported, not raised


def test_source_as_a_list_of_lines_is_joined(tmp_path):
    path = tmp_path / "lines.ipynb"
    cell = {"cell_type": "code", "source": ["a = 1\n", "b = 2"], "metadata": {}}
    path.write_text(json.dumps(_cells({"cell_type": "markdown", "source": "# hi"}, cell)))
    assert code_cells(path) == ["a = 1\nb = 2"]


def test_csv_cells_are_escaped_and_every_exercise_has_a_status(tmp_path):
    results = [
        ExerciseResult("00.1", "t", "passed", 3.0, 3.0),
        ExerciseResult("00.2", "t", "timeout", 0.0, 2.0, '=HYPERLINK("http://x")'),
    ]
    graded = runner.NotebookReport("=cmd|' /C calc'!A0.ipynb", results)
    broken = runner.NotebookReport("+sum.ipynb", error="-1 not valid JSON\x1b[31m")
    path = tmp_path / "r.csv"
    report.write_csv([graded, broken], path)
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows[0]["notebook"] == "'=cmd|' /C calc'!A0.ipynb" and rows[0]["status"] == "graded"
    assert (rows[0]["00.1"], rows[0]["00.1 status"]) == ("3.0", "passed")
    assert (rows[0]["00.2"], rows[0]["00.2 status"]) == ("0.0", "timeout")
    assert rows[1]["notebook"] == "'+sum.ipynb" and rows[1]["status"] == "not graded"
    assert rows[1]["error"] == "'-1 not valid JSON?[31m"  # no escape code either
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value


def test_control_characters_and_undecodable_names_are_shown_escaped(tmp_path):
    name = os.fsdecode(b"caf\xe9\x1b[2J.ipynb")  # not UTF-8, with a clear-screen code
    message = "wrong\x1b]0;pwned\x07 value"
    result = ExerciseResult("00.1", "t", "failed", 0.0, 3.0, message)
    graded = runner.NotebookReport(name, [result])
    shown = report.details(graded) + report.table([graded])
    assert "\x1b" not in shown and "\x07" not in shown and "\\udce9" in shown
    shown.encode("utf-8")  # printable on any UTF-8 terminal
    report.write_csv([graded], tmp_path / "r.csv")
    report.write_json([graded], tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())[0]["notebook"] == name


def test_report_paths_are_checked_before_grading(tmp_path, capsys):
    solution = str(ROOT / "solutions" / "00_gan_basics_exercises.ipynb")
    assert cli_main(["grade", solution, "--json", str(tmp_path), "--no-sandbox"]) == 2
    assert "is a folder" in capsys.readouterr().err
    missing = tmp_path / "no" / "such" / "r.csv"
    assert cli_main(["grade", solution, "--csv", str(missing), "--no-sandbox"]) == 2
    assert "cannot write" in capsys.readouterr().err


def test_exit_status_1_when_some_are_not_graded(tmp_path):
    good = nbformat.read(ROOT / "solutions" / "00_gan_basics_exercises.ipynb", as_version=4)
    nbformat.write(good, tmp_path / "good.ipynb")
    (tmp_path / "bad.ipynb").write_text(json.dumps(_cells({"cell_type": "code", "source": 7})))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli_main(["grade", str(tmp_path), "--no-sandbox", "--csv", str(tmp_path / "r.csv")])
    assert code == 1 and "1 of 2 not graded" in err.getvalue()
    rows = {Path(r["notebook"]).name: r for r in csv.DictReader((tmp_path / "r.csv").open())}
    assert rows["good.ipynb"]["score"] == "10.0" and rows["bad.ipynb"]["status"] == "not graded"
