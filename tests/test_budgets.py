"""Every budget names amounts of work only, so that both profiles train the same model."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# what a profile may change: how many steps, epochs, seeds, samples, starts, repetitions,
# evaluations, and which points of a measurement grid
WORK = re.compile(
    r"(^|_)(steps|epochs|seeds|samples|starts|repeats|batches|examples|every|stages|"
    r"grid_size|sizes|lrs|weights|num_\w+)$"
)


def _sources() -> list[tuple[str, str]]:
    found = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        found.append((path.name, code))
    for path in sorted((ROOT / "ganlab").rglob("*.py")):
        found.append((str(path.relative_to(ROOT)), path.read_text()))
    return found


def _budget_keys(code: str) -> list[str]:
    keys = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "sizes":
            for keyword in node.keywords:
                if keyword.arg in ("full", "quick") and isinstance(keyword.value, ast.Call):
                    keys += [k.arg for k in keyword.value.keywords]
    return keys


def test_budgets_name_only_amounts_of_work():
    bad = {name: [k for k in _budget_keys(code) if not WORK.search(k)] for name, code in _sources()}
    bad = {name: keys for name, keys in bad.items() if keys}
    assert not bad, f"these look like hyperparameters, make them constants: {bad}"


def test_every_lesson_declares_a_budget_and_the_check_can_fail():
    lessons = [(name, code) for name, code in _sources() if name.endswith(".ipynb")]
    assert len(lessons) == 10 and all(_budget_keys(code) for _, code in lessons)
    assert _budget_keys("S = sizes(full=dict(batch_size=1), quick=dict(batch_size=2))") == [
        "batch_size",
        "batch_size",
    ]
    assert not WORK.search("batch_size") and not WORK.search("minibatch_kernels")
