"""Tests of the rules the grader reads from a submission's code (ganlab.grading.source).

The oracle for the loop rule is the list of constructs written into each snippet: every one
must be named, at its line, and a loop-free snippet must pass.  The grader's half is tested
on real notebooks: the rule is read from the file, whatever the notebook's process does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import pytest

from ganlab.grading import get_exercise
from ganlab.grading.core import run_cases
from ganlab.grading.source import (
    cells_before_check,
    cells_of,
    definitions,
    no_python_loops,
    parse_cell,
    python_loops,
)

ROOT = Path(__file__).resolve().parents[1]

VECTORISED = """\
import torch

def f(m):
    d = (m[:, None] - m[None]).abs().sum(dim=3)
    return torch.exp(-d).sum(dim=1) - 1
"""


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("    for i in range(3):\n        pass\n    return m", "a for loop (line 2 of `f`)"),
        ("    while m:\n        break\n    return m", "a while loop (line 2 of `f`)"),
        ("    return [x for x in m]", "a list comprehension (line 2 of `f`)"),
        ("    return {x for x in m}", "a set comprehension (line 2 of `f`)"),
        ("    return {x: x for x in m}", "a dict comprehension (line 2 of `f`)"),
        ("    return sum(x for x in m)", "a generator expression (line 2 of `f`)"),
        ("    return list(map(abs, m))", "a call of map, which loops in Python (line 2 of `f`)"),
        ("    return f(m[1:])", "recursion (line 2 of `f`)"),
        ("    return eval('m')", "a call of eval, whose code cannot be read (line 2 of `f`)"),
        ("    exec('x = 1')\n    return m", "a call of exec, whose code cannot be read"),
    ],
)
def test_each_kind_of_python_loop_is_named_at_its_line(body: str, named: str) -> None:
    nodes = definitions([f"def f(m):\n{body}\n"], "f")
    found = python_loops(nodes)
    assert len(found) == 1 and named in found[0], found


def test_a_vectorised_function_has_no_loop_and_helpers_are_followed() -> None:
    assert python_loops(definitions([VECTORISED], "f")) == []
    cells = [
        "def helper(m):\n    return [row for row in m]\n",
        "def unused(m):\n    for _ in m:\n        pass\n",
        "def f(m):\n    return torch.stack(helper(m))\n",
        "g = f\n",
        "h = lambda m: f(m)\n",
    ]
    names = {getattr(node, "name", type(node).__name__) for node in definitions(cells, "h")}
    assert names == {"Lambda", "f", "helper"}  # unused is not called: not read
    assert python_loops(definitions(cells, "g")) == ["a list comprehension (line 2 of `helper`)"]


def test_the_last_definition_counts_and_magics_do_not_break_parsing() -> None:
    cells = ["def f(m):\n    for x in m:\n        pass\n", "%timeit 1\n" + VECTORISED]
    assert python_loops(definitions(cells, "f")) == []
    assert parse_cell("%%bash\nls") is not None and parse_cell("def (:") is None
    assert definitions(cells, "missing") == []


def test_cells_before_the_check() -> None:
    cells = ["a = 1", "b = 2", 'check("04.2", f)', "c = 3"]
    assert cells_before_check(cells, "04.2") == ["a = 1", "b = 2"]
    assert cells_before_check(cells, "04.1") == cells


def test_in_a_notebook_the_cells_run_so_far_are_read(monkeypatch) -> None:
    history = ["", "def minibatch_features(m):\n    return [x for x in m]\n"]
    shell = types.SimpleNamespace(user_ns={"In": history})
    monkeypatch.setattr("ganlab.grading.source._ipython", lambda: shell)
    looped = types.FunctionType(compile("lambda m: m", "<cell>", "eval").co_consts[0], {})
    looped.__module__ = "__main__"
    assert cells_of(looped) == history[1:]
    verdict = no_python_loops("minibatch_features", "broadcast").judge_object(looped)
    assert not verdict.passed and "a list comprehension (line 2" in verdict.message
    history.append(VECTORISED.replace("def f", "def minibatch_features"))  # redefined later
    assert no_python_loops("minibatch_features", "").judge_object(looped).passed


def test_the_rule_waits_for_the_values_and_a_stub_is_not_attempted() -> None:
    exercise = get_exercise("04.2")

    def minibatch_features(m):
        raise NotImplementedError

    assert run_cases(exercise, minibatch_features).status == "not_attempted"

    def zeros(m):
        return m.sum(dim=2) * 0  # no loop, wrong values: the rule earns nothing

    result = run_cases(exercise, zeros)
    assert result.cases[-1].points == 0
    assert result.cases[-1].message == "this counts once the other cases pass"


def _grade(tmp_path: Path, cells: list[str]) -> dict:
    """04's solution with ``cells`` inserted before 04.2's check, graded by ``ganlab grade``."""
    solution = nbformat.read(ROOT / "solutions" / "04_minibatch_discrimination_exercises.ipynb", 4)
    at = next(i for i, c in enumerate(solution.cells) if 'check("04.2"' in c.source)
    solution.cells[at:at] = [nbformat.v4.new_code_cell(source) for source in cells]
    path = tmp_path / "04.ipynb"
    nbformat.write(solution, path)
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "ganlab.cli", "grade", str(path), "--json", str(report)]
    command.append("--no-sandbox")  # the sandbox is tested elsewhere; this is about the rule
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(report.read_text())
    return {e["id"]: e for e in entry["exercises"]}


def test_the_grader_reads_a_loop_in_a_helper_from_the_file(tmp_path: Path) -> None:
    helper = (
        "def _pairs(m):\n"
        "    return torch.stack([(m[i] - m).abs().sum(dim=2) for i in range(len(m))])\n"
    )
    vectorised = (
        "def minibatch_features(m):\n"
        "    closeness = torch.exp(-_pairs(m)) * (1 - torch.eye(len(m)))[:, :, None]\n"
        "    return closeness.sum(dim=1)\n"
    )
    graded = _grade(tmp_path, [helper, vectorised])["04.2"]
    assert graded["score"] == 4
    assert "a list comprehension (line 2 of `_pairs`)" in graded["message"]


def test_the_notebooks_process_cannot_pass_the_rule(tmp_path: Path) -> None:
    """A loop hidden from the rule's reading at run time still fails: the grader reads the
    file, and the worker's data for the rule is ignored."""
    forge = (
        "import ganlab.grading.source as source\n"
        "source.python_loops = lambda nodes: []\n"
        "def minibatch_features(m):\n"
        "    return minibatch_features_loop(m)\n"
    )
    graded = _grade(tmp_path, [forge])["04.2"]
    assert graded["score"] < 5 and graded["status"] != "passed", graded
    assert (
        "a for loop" in graded["message"] or "grading machinery was modified" in graded["message"]
    )

    # without touching the grading code: the rule's entry in the worker's data is not read
    dodge = "def minibatch_features(m):\n    return minibatch_features_loop(m)\n"
    graded = _grade(tmp_path, [dodge])["04.2"]
    assert graded["score"] == 4 and "a for loop" in graded["message"], graded


def test_judge_probes_reads_the_rule_from_the_cells_not_from_the_data() -> None:
    from ganlab.grading.probes import judge_probes, run_probes

    exercise = get_exercise("04.2")
    namespace: dict = {}
    looped = "import torch\n" + VECTORISED.replace("def f", "def minibatch_features").replace(
        "    return", "    for _ in range(1):\n        pass\n    return"
    )
    exec(compile(looped, "<cell>", "exec"), namespace)
    data = run_probes(exercise, namespace["minibatch_features"])
    assert data[-1] is None  # the worker sends nothing for the rule
    data[-1] = {"passed": True}  # and what it might forge there is not read
    judged = judge_probes(exercise, data, [looped, 'check("04.2", minibatch_features)'])
    assert [c.passed for c in judged.cases] == [True, True, True, True, False]
    assert "a for loop (line 6 of `minibatch_features`)" in judged.cases[-1].message
    assert judge_probes(exercise, data, [VECTORISED.replace("def f", "def minibatch_features")])
    assert not judge_probes(exercise, data).cases[-1].passed  # no cells: no pass
