"""Tests of the graded cases of lessons 01 and 02 (the xy game, historical averaging).

The correct answers come from :mod:`ganlab.games` (update matrices, cost gradients,
distances), which the cases never call for their references, so a pass here is a pass
against an independent implementation.  Each known wrong convention must fail the cases it
breaks, and only those, with a hint that names it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from ganlab.games import (
    DEFAULT_HA_LR,
    DEFAULT_WEIGHT,
    PiecewiseGame,
    update_matrix,
)
from ganlab.grading import get_exercise
from ganlab.grading.core import ExerciseResult, run_cases
from ganlab.grading.lessons import l02

ROOT = Path(__file__).resolve().parents[1]
PIECEWISE = PiecewiseGame()

# ----------------------------------------------------------------- correct answers (oracle)


def _matrix_step(method: str) -> Callable:
    def step(x: float, y: float, lr: float) -> tuple[float, float]:
        x_new, y_new = update_matrix(method, lr) @ np.array([x, y])
        return float(x_new), float(y_new)

    return step


def _radius_growth(trajectory: np.ndarray) -> float:
    radii = np.linalg.norm(np.asarray(trajectory), axis=1)  # (T + 1,): distance to (0, 0)
    return float((radii[-1] / radii[0]) ** (1 / (len(radii) - 1)))


def _piecewise_gradients(x: float, y: float) -> tuple[float, float]:
    g_x, g_y = PIECEWISE.cost_gradients(x, y)
    return float(g_x), float(g_y)


def _running_mean_update(mean: np.ndarray, value: np.ndarray, t: int) -> np.ndarray:
    return mean + (value - mean) / t


def _ha_step(
    theta: np.ndarray,
    mean: np.ndarray,
    t: int,
    lr: float,
    weight: float,
    cost_gradients: Callable,
    *,
    dtype: type = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    theta, mean = theta.astype(dtype), _running_mean_update(mean.astype(dtype), theta, t)
    gradient = np.array(cost_gradients(theta[0], theta[1]), dtype=dtype)
    return theta - dtype(lr) * (gradient + dtype(2 * weight) * (theta - mean)), mean


CORRECT = {
    "01.1": _matrix_step("simultaneous"),
    "01.2": _matrix_step("alternating"),
    "01.3": _radius_growth,
    "02.1": _piecewise_gradients,
    "02.2": _running_mean_update,
    "02.3": _ha_step,
}


def _float32_step(method: str) -> Callable:
    def step(x: float, y: float, lr: float) -> tuple[float, float]:
        matrix = update_matrix(method, lr).astype(np.float32)
        x_new, y_new = matrix @ np.array([x, y], dtype=np.float32)
        return x_new, y_new

    return step


FLOAT32 = {
    "01.1": _float32_step("simultaneous"),
    "01.2": _float32_step("alternating"),
    "02.3": lambda *args: _ha_step(*args, dtype=np.float32),
}

# ------------------------------------------------------------------- known wrong answers


def _ha_variant(
    anchor: str = "current",
    pull: float = 2.0,
    signs: tuple[float, float] = (1.0, 1.0),
    divisor: int = 0,
    returned: str = "current",
    own_gradients: bool = False,
) -> Callable:
    """A historical-averaging step with one wrong convention."""

    @np.errstate(over="ignore", invalid="ignore")  # some wrong rules blow up
    def step(theta, mean, t, lr, weight, cost_gradients):
        current = mean + (theta - mean) / (t + divisor)
        gradients = _piecewise_gradients if own_gradients else cost_gradients
        gradient = np.array(signs) * np.array(gradients(theta[0], theta[1]))
        pulled_to = current if anchor == "current" else mean
        theta_next = theta - lr * (gradient + pull * weight * (theta - pulled_to))
        means = {
            "current": current,
            "past": mean,
            "next": current + (theta_next - current) / (t + 1),
        }
        return theta_next, means[returned]

    return step


def _ratios(trajectory: np.ndarray) -> np.ndarray:
    radii = np.linalg.norm(trajectory, axis=1)
    return radii[1:] / radii[:-1]


# (exercise, wrong answer, its hint (or the hint of each failed case), the cases it fails)
WRONG = {
    "01.1 y descends": (
        "01.1",
        lambda x, y, lr: (x - lr * y, y - lr * x),
        "y stepped down its gradient",
        [0, 2],
    ),
    "01.1 x ascends": (
        "01.1",
        lambda x, y, lr: (x + lr * y, y + lr * x),
        "x stepped up its gradient",
        [0, 2],
    ),
    "01.1 both signs": (
        "01.1",
        lambda x, y, lr: (x + lr * y, y - lr * x),
        "both signs are flipped",
        [0, 2],
    ),
    "01.1 is alternating": (
        "01.1",
        CORRECT["01.2"],
        "y used the new x: that is the alternating step",
        [0, 2],
    ),
    "01.1 swapped result": (
        "01.1",
        lambda x, y, lr: CORRECT["01.1"](x, y, lr)[::-1],
        "the result is (y_new, x_new)",
        [0, 1, 2],
    ),
    "01.2 y uses the old x": (
        "01.2",
        CORRECT["01.1"],
        "y used the old x: that is the simultaneous step, not the alternating one",
        [0, 2],
    ),
    "01.2 y moves first": (
        "01.2",
        lambda x, y, lr: (x - lr * (y + lr * x), y + lr * x),
        "y moved first",
        [0, 2],
    ),
    "01.2 y descends": (
        "01.2",
        lambda x, y, lr: (x - lr * y, y - lr * (x - lr * y)),
        "y stepped down its gradient",
        [0, 2],
    ),
    "01.3 divides by the points": (
        "01.3",
        lambda tr: float(np.prod(_ratios(tr)) ** (1 / len(tr))),
        "you divided by the number of points",
        [0, 1, 2, 3],
    ),
    "01.3 no root": (
        "01.3",
        lambda tr: float(np.prod(_ratios(tr))),
        "that is the growth over all T steps",
        [0, 1, 2],
    ),
    "01.3 arithmetic mean": (
        "01.3",
        lambda tr: float(np.mean(_ratios(tr))),
        "the arithmetic mean of the ratios",
        [2],
    ),
    "01.3 squared radius": (
        "01.3",
        lambda tr: float(np.prod(_ratios(tr) ** 2) ** (1 / (len(tr) - 1))),
        "you measured the squared radius",
        [0, 1, 2, 3],
    ),
    "01.3 inverted ratios": (
        "01.3",
        lambda tr: float(np.prod(1 / _ratios(tr)) ** (1 / (len(tr) - 1))),
        "the ratios are the wrong way round",
        [0, 1, 2, 3],
    ),
    "02.1 y's gradient is dV/dy": (
        "02.1",
        lambda x, y: (_piecewise_gradients(x, y)[0], -_piecewise_gradients(x, y)[1]),
        "y maximises V: its cost is −V",
        [0, 1, 2],
    ),
    "02.1 x ascends": (
        "02.1",
        lambda x, y: (-_piecewise_gradients(x, y)[0], _piecewise_gradients(x, y)[1]),
        "x minimises V",
        [0, 1, 2],
    ),
    "02.1 x² for x < 0": (
        "02.1",
        lambda x, y: (2 * x * (y - 1), 1 - x * x),
        "for x < 0, f(x) = x and f'(x) = 1",
        [0, 2],
    ),
    "02.1 x for x ≥ 0": (
        "02.1",
        lambda x, y: (y - 1, 1 - x),
        {1: "for x ≥ 0, f(x) = x² and f'(x) = 2x", 2: "f'(0) = 0: test x < 0"},
        [1, 2],
    ),
    "02.1 x ≤ 0 is linear": (
        "02.1",
        lambda x, y: (y - 1, 1 - x) if x <= 0 else (2 * x * (y - 1), 1 - x * x),
        "f'(0) = 0: test x < 0",
        [2],
    ),
    "02.1 factor y": (
        "02.1",
        lambda x, y: (_piecewise_gradients(x, y + 1)[0], _piecewise_gradients(x, y)[1]),
        "the factor is y − 1, not y",
        [0, 1, 2],
    ),
    "02.1 swapped result": (
        "02.1",
        lambda x, y: _piecewise_gradients(x, y)[::-1],
        "return (player x's gradient, player y's gradient)",
        [0, 1, 2],
    ),
    "02.2 divides by t + 1": (
        "02.2",
        lambda mean, value, t: mean + (value - mean) / (t + 1),
        "you divided by t + 1",
        [0, 1],
    ),
    "02.2 old mean": (
        "02.2",
        lambda mean, value, t: mean,
        "the mean must include the current value",
        [0, 1],
    ),
    "02.2 exponential average": (
        "02.2",
        lambda mean, value, t: (mean + value) / 2,
        {0: "you divided by t + 1", 1: "an exponential average"},  # the same at t = 1
        [0, 1],
    ),
    "02.3 mean without the current value": (
        "02.3",
        _ha_variant(anchor="past"),
        "the mean must include the current value θ_t",
        [0, 1, 2, 3, 4],
    ),
    "02.3 penalty pushes away": (
        "02.3",
        _ha_variant(pull=-2.0),
        "pulls θ towards the mean",
        [1, 2, 3, 4],
    ),
    "02.3 no factor 2": (
        "02.3",
        _ha_variant(pull=1.0),
        "the factor 2 is missing",
        [1, 2, 3, 4],
    ),
    "02.3 ascends": (
        "02.3",
        _ha_variant(signs=(-1.0, -1.0)),
        "both players descend their own costs",
        [0, 1, 2, 3, 4],
    ),
    "02.3 y ascends": (
        "02.3",
        _ha_variant(signs=(1.0, -1.0)),
        "cost_gradients already gives y's gradient",
        [0, 1, 2, 3, 4],
    ),
    "02.3 mean divides by t + 1": (
        "02.3",
        _ha_variant(divisor=1),
        "divides by t",
        [0, 1, 2, 3, 4],
    ),
    "02.3 returns the next mean": (
        "02.3",
        _ha_variant(returned="next"),
        "not θ̄_(t+1)",
        [0, 1, 2, 3, 4],
    ),
    "02.3 returns the mean passed in": (
        "02.3",
        _ha_variant(returned="past"),
        "you returned the mean that was passed in",
        [0, 1, 2, 3, 4],
    ),
    "02.3 ignores cost_gradients": (
        "02.3",
        _ha_variant(own_gradients=True),
        "use the cost_gradients passed in",
        [2],
    ),
}


# the exercises' function names in order, per lesson (tests/test_grading.py checks them)
TARGETS = {
    "01": ["simultaneous_step", "alternating_step", "radius_growth"],
    "02": ["piecewise_cost_gradients", "running_mean_update", "historical_averaging_step"],
}


def _failed(result: ExerciseResult) -> list[int]:
    return [i for i, case in enumerate(result.cases) if not case.passed]


# ------------------------------------------------------------------------------ the tests


@pytest.mark.parametrize("exercise_id", sorted(FLOAT32))
def test_float32_answers_pass(exercise_id: str) -> None:
    result = run_cases(get_exercise(exercise_id), FLOAT32[exercise_id])
    assert result.status == "passed", result.report()


@pytest.mark.parametrize("exercise_id", ["01.1", "02.1"])
@pytest.mark.parametrize("array", [np.array, torch.tensor], ids=["numpy", "torch"])
def test_a_pair_may_come_as_an_array(exercise_id: str, array: Callable) -> None:
    correct = CORRECT[exercise_id]
    result = run_cases(get_exercise(exercise_id), lambda *args: array(correct(*args)))
    assert result.status == "passed", result.report()


def test_an_unknown_mistake_gets_no_hint() -> None:
    result = run_cases(get_exercise("01.2"), lambda x, y, lr: (x + 1.0, y))
    assert _failed(result) == [0, 1, 2]
    assert all("\n" not in case.message for case in result.cases)
    message = result.cases[0].message
    assert message.startswith("alternating_step(x=") and "largest difference" in message


def test_a_run_names_the_first_step_that_differs() -> None:
    drifting = _ha_variant(pull=1.0)
    message = run_cases(get_exercise("02.3"), drifting).cases[3].message
    assert "300 steps from (2, 0.5) at lr=0.05, weight=0.5, step t = 2 gives" in message


def test_wrong_types_and_shapes_are_named() -> None:
    result = run_cases(get_exercise("01.1"), lambda x, y, lr: None)
    assert "expected a tuple of 2 floats, got None" in result.cases[0].message
    result = run_cases(get_exercise("01.3"), lambda trajectory: np.ones(2))
    assert "expected a float, got shape (2,)" in result.cases[0].message
    result = run_cases(get_exercise("02.3"), lambda *args: args[0])
    assert "expected a pair (theta_next, mean)" in result.cases[0].message
    result = run_cases(get_exercise("02.2"), lambda mean, value, t: "mean")
    assert "expected an array of shape (2,), got 'mean'" in result.cases[0].message


def test_the_naive_reference_agrees_with_the_lessons_run() -> None:
    naive = l02._naive_rows(
        l02.LESSON_START, DEFAULT_HA_LR, DEFAULT_WEIGHT, l02.PIECEWISE, l02.LESSON_STEPS
    )
    lesson = torch.tensor(l02.LESSON_ROWS, dtype=torch.float64)
    torch.testing.assert_close(naive, lesson, rtol=1e-9, atol=1e-12)


def test_grade_lessons_01_and_02(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    notebooks = [
        str(ROOT / folder / name)
        for folder in ("solutions", "exercises")
        for name in ("01_xy_game.ipynb", "02_piecewise_game.ipynb")
    ]
    command = [sys.executable, "-m", "ganlab.cli", "grade", *notebooks, "--json", str(report)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    entries = json.loads(report.read_text())
    assert [(e["score"], e["max_score"]) for e in entries] == [(10, 10)] * 2 + [(0, 10)] * 2
    for entry in entries[:2]:
        assert {e["status"] for e in entry["exercises"]} == {"passed"}
    for entry in entries[2:]:
        assert {e["status"] for e in entry["exercises"]} == {"not_attempted"}
