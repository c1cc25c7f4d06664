"""The instructor sees which submissions call ganlab's own implementation of what is graded
or read the solutions (a static scan, a flag for review, no points taken)."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import nbformat

from ganlab.cli import main as cli_main
from ganlab.grading.delegation import delegation_flags

ROOT = Path(__file__).resolve().parents[1]


def test_imports_of_graded_concepts_are_flagged_with_cell_and_exercise():
    cells = [
        "from ganlab.grading import check, score\nfrom ganlab.data import ring_mixture",
        "%matplotlib inline\nfrom ganlab.tricks import feature_matching_loss as fm",
        'check("03.1", f)',
        "import ganlab.losses as L\nimport importlib\n"
        "m = importlib.import_module('ganlab.metrics')",
        "text = open('../solutions/03_feature_matching_exercises.ipynb').read()",
        "from ganlab.grading import lessons",
        "def broken(:\n    pass",  # not Python: skipped, not a crash
        'check("03.2", g)',
        "__import__('ganlab.semisupervised')",
    ]
    flags = delegation_flags(cells, ["03"])
    assert flags == [
        "cell 2 (before the check of 03.1): imports feature_matching_loss from ganlab.tricks",
        "cell 4 (before the check of 03.2): imports ganlab.losses",
        "cell 4 (before the check of 03.2): imports ganlab.metrics dynamically",
        "cell 5 (before the check of 03.2): names the solutions "
        "('../solutions/03_feature_matching_exercises.ipynb')",
        "cell 6 (before the check of 03.2): imports lessons from ganlab.grading",
        "cell 9: imports ganlab.semisupervised dynamically",
    ]


def test_what_a_lessons_own_notebook_imports_is_not_flagged():
    cells = ["from ganlab.games import XYGame\nfrom ganlab.games.plots import plot_rates"]
    assert delegation_flags(cells, ["01"]) == []
    assert delegation_flags(cells, ["03"]) == [
        "cell 1: imports XYGame from ganlab.games",
        "cell 1: imports plot_rates from ganlab.games.plots",
    ]
    # given names, not the module: the answers to 01's derivations live there too
    answers = ["from ganlab.games import XYGame, alternating_invariant\nimport ganlab.games"]
    assert delegation_flags(answers, ["01"]) == [
        "cell 1: imports XYGame, alternating_invariant from ganlab.games",
        "cell 1: imports ganlab.games",
    ]


def test_the_course_notebooks_raise_no_flag():
    from ganlab.grading.submission import code_cells

    for folder in ("solutions", "exercises"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            assert delegation_flags(code_cells(path), [path.name[:2]]) == [], path


def test_flags_reach_the_reports_and_cost_no_points(tmp_path):
    notebook = nbformat.read(ROOT / "solutions" / "00_gan_basics_exercises.ipynb", as_version=4)
    notebook.cells.insert(1, nbformat.v4.new_code_cell("from ganlab.losses import generator_loss"))
    nbformat.write(notebook, tmp_path / "delegating.ipynb")
    report, table = tmp_path / "r.json", tmp_path / "r.csv"
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = cli_main(
            ["grade", str(tmp_path / "delegating.ipynb"), "--no-sandbox"]
            + ["--json", str(report), "--csv", str(table)]
        )
    assert code == 0
    entry = json.loads(report.read_text())[0]
    assert entry["score"] == 10 and len(entry["flags"]) == 1
    assert "imports generator_loss from ganlab.losses" in entry["flags"][0]
    assert "FLAG for review (no points taken)" in out.getvalue()
    assert "ganlab.losses" in next(csv.DictReader(table.open()))["flags"]
