"""Verdicts the submission cannot forge: lesson 00's cases run the student's code in the
worker, which returns only data; the grader computes references and scores."""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from ganlab.cli import main as cli_main
from ganlab.grading import get_exercise
from ganlab.grading.core import run_cases
from ganlab.grading.probes import DataError, from_data, is_probed, judge_probes, to_data

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "00_gan_basics_exercises.ipynb"

# Writes a "passed, full points" line for every exercise of lesson 00 to the results pipe.
FORGE = """
import json, os, sys
fd = int(sys.argv[sys.argv.index("--fd") + 1])
for i, points in (("00.1", 2), ("00.2", 1), ("00.3", 1), ("00.4", 2), ("00.5", 4)):
    line = {"id": i, "status": "passed", "score": points, "max_score": points, "message": ""}
    os.write(fd, (json.dumps(line) + "\\n").encode())
    os.write(fd, (json.dumps({"id": i, "probes": "garbage"}) + "\\n").encode())
"""
# Makes every torch.allclose / isclose in this process answer True.
ALLCLOSE = """
import torch
from torch.overrides import TorchFunctionMode

class Yes(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.isclose, torch.equal):
            return True
        return func(*args, **(kwargs or {}))

Yes().__enter__()
"""
WRONG = "def discriminator_loss(real_logits, fake_logits):\n    return (real_logits * 0).sum()\n"


def test_data_round_trip_keeps_types_shapes_and_non_finite_values():
    value = {
        "t": torch.tensor([1.5, -math.inf, math.nan], dtype=torch.float32),
        "i": torch.arange(6).reshape(2, 3),
        "b": torch.tensor([True, False]),
        "a": np.array([[1.0, 2.0]]),
        "nested": [(1, 2.5, math.inf), None, "text"],
    }
    back = from_data(json.loads(json.dumps(to_data(value))))
    assert back["t"].dtype == torch.float32 and back["t"][0] == 1.5
    assert math.isinf(back["t"][1]) and math.isnan(back["t"][2])
    assert torch.equal(back["i"], value["i"]) and back["b"].dtype == torch.bool
    assert isinstance(back["a"], np.ndarray) and back["a"].shape == (1, 2)
    assert back["nested"] == [(1, 2.5, math.inf), None, "text"]


def test_objects_arrive_as_their_type_name_and_floods_are_refused():
    class Sneaky(torch.Tensor):
        pass

    sneaky = torch.zeros(2).as_subclass(Sneaky)
    assert type(from_data(to_data(sneaky))).__name__ == "Sneaky"
    assert type(from_data(to_data(object()))).__name__ == "object"
    with pytest.raises(DataError, match="nested"):
        deep: list = []
        for _ in range(20):
            deep = [deep]
        to_data(deep)
    with pytest.raises(DataError, match="more than"):
        to_data(torch.zeros(200_001))


def test_lesson_00_is_judged_by_the_grader_and_malformed_data_fails_cleanly():
    exercise = get_exercise("00.1")
    assert is_probed(exercise)
    assert judge_probes(exercise, "garbage").status == "error"
    result = judge_probes(exercise, [{"value": "no"}, {}, {"__failed__": "raised X"}])
    assert result.status == "failed" and result.score == 0
    # the in-notebook check goes through the same data: a correct loss passes
    ok = run_cases(
        exercise,
        lambda r, f: (
            torch.nn.functional.softplus(-r).mean() + torch.nn.functional.softplus(f).mean()
        ),
    )
    assert ok.status == "passed"


@pytest.mark.parametrize("attack", ["forge", "allclose"])
def test_forged_verdicts_and_a_hostile_torch_earn_only_the_real_answers(tmp_path, attack):
    notebook = nbformat.read(SOLUTION, as_version=4)
    at = next(i for i, c in enumerate(notebook.cells) if 'check("00.1"' in c.source)
    notebook.cells.insert(at, nbformat.v4.new_code_cell(WRONG))  # 00.1 now wrong: 0 of 3
    notebook.cells.insert(0, nbformat.v4.new_code_cell(FORGE if attack == "forge" else ALLCLOSE))
    nbformat.write(notebook, tmp_path / "attacker.ipynb")
    report = tmp_path / "report.json"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        sandbox = [] if attack == "forge" else ["--no-sandbox"]  # the same in both
        cli_main(["grade", str(tmp_path / "attacker.ipynb"), "--json", str(report), *sandbox])
    entry = json.loads(report.read_text())[0]
    scores = {e["id"]: e["score"] for e in entry["exercises"]}
    assert scores["00.1"] == 0
    if attack == "forge":  # the other answers are right and keep their points
        # ... except 00.5, whose training step uses the wrong discriminator_loss
        full = {e: get_exercise(e).max_score for e in ("00.2", "00.3", "00.4")}
        assert scores == {"00.1": 0, **full, "00.5": 0}
