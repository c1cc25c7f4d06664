"""Tests of the graded cases of lessons 01 and 02 (the xy game, historical averaging).

The correct answers come from :mod:`ganlab.games` (update matrices, cost gradients,
distances, the stability limit) or from a different method (the invariant as the null space
of P ↦ AᵀPA − P, a rate measured on one step), which the cases never use for their
references, so a pass here is a pass against an independent implementation.  Each known
wrong convention must fail the cases it breaks, and only those, with a hint that names it.
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
from scipy.optimize import brentq

from ganlab.games import (
    DEFAULT_HA_LR,
    DEFAULT_WEIGHT,
    PiecewiseGame,
    XYGame,
    historical_averaging_max_lr,
    update_matrix,
)
from ganlab.grading import get_exercise
from ganlab.grading.core import ExerciseResult, run_cases
from ganlab.grading.lessons import l02

ROOT = Path(__file__).resolve().parents[1]
PIECEWISE = PiecewiseGame()
XY = XYGame()

# ----------------------------------------------------------------- correct answers (oracle)


def _matrix_step(method: str) -> Callable:
    def step(x: float, y: float, lr: float) -> tuple[float, float]:
        x_new, y_new = update_matrix(method, lr) @ np.array([x, y])
        return float(x_new), float(y_new)

    return step


def _radius_growth(trajectory: np.ndarray) -> float:
    radii = np.linalg.norm(np.asarray(trajectory), axis=1)  # (T + 1,): distance to (0, 0)
    return float((radii[-1] / radii[0]) ** (1 / (len(radii) - 1)))


def _alternating_invariant(x: float, y: float, lr_x: float, lr_y: float) -> float:
    """The quadratic form P with AᵀPA = P, A the two-step-size alternating matrix, from the
    null space of the linear map P ↦ AᵀPA − P on symmetric P; scaled so that P[0, 0] = 1."""
    matrix = np.array([[1.0, -lr_x], [lr_y, 1.0 - lr_x * lr_y]])
    basis = [np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[0.0, 1.0], [1.0, 0.0]])]
    basis.append(np.array([[0.0, 0.0], [0.0, 1.0]]))
    images = np.stack([(matrix.T @ b @ matrix - b).ravel() for b in basis], axis=1)  # (4, 3)
    coefficients = np.linalg.svd(images)[2][-1]  # the null vector
    form = sum(c * b for c, b in zip(coefficients, basis, strict=True))
    point = np.array([x, y])
    return float(point @ form @ point / form[0, 0])


def _extragradient_step(x: float, y: float, lr: float, lookahead_lr: float) -> tuple[float, float]:
    theta = np.array([x, y])
    ahead = theta - lookahead_lr * np.array(XY.cost_gradients(x, y))
    new = theta - lr * np.array(XY.cost_gradients(*ahead))
    return float(new[0]), float(new[1])


def _extragradient_rate(lr: float, lookahead_lr: float) -> float:
    """Measured on one step from (0.6, 0.8): the step scales every radius alike."""
    return float(np.hypot(*_extragradient_step(0.6, 0.8, lr, lookahead_lr)))


def _stable_weight_range(lr: float) -> tuple[float, float]:
    """The two weights where ganlab's largest stable lr, w / (1 + w²), equals ``lr``."""
    if not 0 < lr < 0.5:  # the largest stable lr peaks at 1/2, at w = 1
        raise ValueError(f"no weight is stable at lr={lr}")
    gap = lambda w: historical_averaging_max_lr(w) - lr  # noqa: E731
    return brentq(gap, 1e-9, 1.0, xtol=1e-14), brentq(gap, 1.0, 1e9, xtol=1e-12)


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
    "01.3": _alternating_invariant,
    "01.4": _radius_growth,
    "01.5": _extragradient_step,
    "01.6": _extragradient_rate,
    "02.1": _piecewise_gradients,
    "02.2": _running_mean_update,
    "02.3": _ha_step,
    "02.4": _stable_weight_range,
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
    "01.3": lambda x, y, a, b: (
        np.float32(x) ** 2
        + np.float32(a) / np.float32(b) * np.float32(y) ** 2
        - np.float32(a) * np.float32(x) * np.float32(y)
    ),
    "01.5": lambda *args: tuple(np.float32(v) for v in _extragradient_step(*args)),
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


def _eg(x, y, lr, g, *, sign=1.0, ahead_from="start", use_ahead=True, out="update"):
    """An extragradient step with one wrong convention."""
    xa = x - sign * g * y
    ya = y + sign * g * (xa if ahead_from == "new x" else x)
    if out == "lookahead":
        return xa, ya
    gx, gy = (ya, xa) if use_ahead else (y, x)
    return x - sign * lr * gx, y + sign * lr * gy


def _q(x, y, a, b):
    return x * x + a / b * y * y - a * x * y


def _window(lr: float, omega: float = 2.0, pull: float = 2.0) -> tuple[float, float]:
    root = np.sqrt(1 - (omega * lr) ** 2 + 0j).real
    return (1 - root) / (pull * lr), (1 + root) / (pull * lr)


def _window_checked(lr: float, omega: float = 2.0, pull: float = 2.0) -> tuple[float, float]:
    if omega * lr >= 1:
        raise ValueError("no stable weight")
    return _window(lr, omega, pull)


NO_WEIGHT = "no weight makes the linearised step stable"

# (exercise, wrong answer, its hint (or the hint of each failed case), the cases it fails)
WRONG = {
    "01.1 y descends": (
        "01.1",
        lambda x, y, lr: (x - lr * y, y - lr * x),
        "y stepped down its gradient",
        [0],
    ),
    "01.1 x ascends": (
        "01.1",
        lambda x, y, lr: (x + lr * y, y + lr * x),
        "x stepped up its gradient",
        [0],
    ),
    "01.1 both signs": (
        "01.1",
        lambda x, y, lr: (x + lr * y, y - lr * x),
        "both signs are flipped",
        [0],
    ),
    "01.1 is alternating": (
        "01.1",
        CORRECT["01.2"],
        "y used the new x: that is the alternating step",
        [0],
    ),
    "01.1 swapped result": (
        "01.1",
        lambda x, y, lr: CORRECT["01.1"](x, y, lr)[::-1],
        "the result is (y_new, x_new)",
        [0],
    ),
    "01.2 y uses the old x": (
        "01.2",
        CORRECT["01.1"],
        "y used the old x: that is the simultaneous step, not the alternating one",
        [0],
    ),
    "01.2 y moves first": (
        "01.2",
        lambda x, y, lr: (x - lr * (y + lr * x), y + lr * x),
        "y moved first",
        [0],
    ),
    "01.2 y descends": (
        "01.2",
        lambda x, y, lr: (x - lr * y, y - lr * (x - lr * y)),
        "y stepped down its gradient",
        [0],
    ),
    "01.3 squared radius": (
        "01.3",
        lambda x, y, a, b: x * x + y * y,
        "the squared radius x² + y² is not conserved",
        [0, 1],
    ),
    "01.3 radius": (
        "01.3",
        lambda x, y, a, b: float(np.hypot(x, y)),
        "the radius is not conserved",
        [0, 1],
    ),
    "01.3 one step size": (
        "01.3",
        lambda x, y, a, b: x * x + y * y - a * x * y,
        "conserved only when both players use the same step size lr_x",
        [0, 1],
    ),
    "01.3 y moves first": (
        "01.3",
        lambda x, y, a, b: x * x + a / b * y * y + a * x * y,
        "the cross term has the wrong sign",
        [0, 1],
    ),
    "01.3 step sizes swapped": (
        "01.3",
        lambda x, y, a, b: x * x + b / a * y * y - b * x * y,
        "lr_x and lr_y are swapped",
        [0, 1],
    ),
    "01.3 unscaled": (
        "01.3",
        lambda x, y, a, b: b * x * x + a * y * y - a * b * x * y,
        "not scaled as the docstring asks",
        [1],
    ),
    "01.3 squared invariant": (
        "01.3",
        lambda x, y, a, b: _q(x, y, a, b) ** 2,
        "Q must be a quadratic form",
        [1],
    ),
    "01.3 a constant": (
        "01.3",
        lambda x, y, a, b: 1.0,
        {0: "does not depend on the point", 1: None},
        [0, 1],
    ),
    "01.4 divides by the points": (
        "01.4",
        lambda tr: float(np.prod(_ratios(tr)) ** (1 / len(tr))),
        "you divided by the number of points",
        [0, 1],
    ),
    "01.4 no root": (
        "01.4",
        lambda tr: float(np.prod(_ratios(tr))),
        "that is the growth over all T steps",
        [0, 1],
    ),
    "01.4 arithmetic mean": (
        "01.4",
        lambda tr: float(np.mean(_ratios(tr))),
        "the arithmetic mean of the ratios",
        [1],
    ),
    "01.4 squared radius": (
        "01.4",
        lambda tr: float(np.prod(_ratios(tr) ** 2) ** (1 / (len(tr) - 1))),
        "you measured the squared radius",
        [0, 1],
    ),
    "01.4 inverted ratios": (
        "01.4",
        lambda tr: float(np.prod(1 / _ratios(tr)) ** (1 / (len(tr) - 1))),
        "the ratios are the wrong way round",
        [0, 1],
    ),
    "01.5 no look-ahead": (
        "01.5",
        lambda x, y, lr, g: _eg(x, y, lr, g, use_ahead=False),
        "that is a simultaneous step",
        [0, 1],
    ),
    "01.5 update from the look-ahead": (
        "01.5",
        lambda x, y, lr, g: CORRECT["01.1"](*_eg(x, y, lr, g, out="lookahead"), lr),
        "the update starts from the look-ahead point",
        [0, 1],
    ),
    "01.5 step sizes swapped": (
        "01.5",
        lambda x, y, lr, g: _eg(x, y, g, lr),
        "you swapped them",
        [0, 1],
    ),
    "01.5 returns the look-ahead": (
        "01.5",
        lambda x, y, lr, g: _eg(x, y, lr, g, out="lookahead"),
        "you returned the look-ahead point",
        [0, 1],
    ),
    "01.5 alternating look-ahead": (
        "01.5",
        lambda x, y, lr, g: _eg(x, y, lr, g, ahead_from="new x"),
        "your look-ahead y used the look-ahead x",
        [0, 1],
    ),
    "01.5 wrong way": (
        "01.5",
        lambda x, y, lr, g: _eg(x, y, lr, g, sign=-1.0),
        "both players move the wrong way",
        [0, 1],
    ),
    "01.6 simultaneous factor": (
        "01.6",
        lambda lr, g: float(np.sqrt(1 + lr * lr)),
        "that is the factor of a simultaneous step",
        [0, 1],
    ),
    "01.6 one step size": (
        "01.6",
        lambda lr, g: float(np.sqrt(1 - lr**2 + lr**4)),
        "keep both step sizes in the derivation",
        [1],
    ),
    "01.6 squared radius": (
        "01.6",
        lambda lr, g: (1 - lr * g) ** 2 + lr * lr,
        "that is the factor of the squared radius",
        [0, 1],
    ),
    "01.6 swapped": (
        "01.6",
        lambda lr, g: float(np.sqrt((1 - lr * g) ** 2 + g * g)),
        "you swapped them",
        [1],
    ),
    "01.6 sign": (
        "01.6",
        lambda lr, g: float(np.sqrt((1 + lr * g) ** 2 + lr * lr)),
        "a sign is flipped",
        [0, 1],
    ),
    "02.1 y's gradient is dV/dy": (
        "02.1",
        lambda x, y: (_piecewise_gradients(x, y)[0], -_piecewise_gradients(x, y)[1]),
        "y maximises V: its cost is −V",
        [0, 1],
    ),
    "02.1 x ascends": (
        "02.1",
        lambda x, y: (-_piecewise_gradients(x, y)[0], _piecewise_gradients(x, y)[1]),
        "x minimises V",
        [0, 1],
    ),
    "02.1 x² for x < 0": (
        "02.1",
        lambda x, y: (2 * x * (y - 1), 1 - x * x),
        "for x < 0, f(x) = x and f'(x) = 1",
        [0, 1],
    ),
    "02.1 x for x ≥ 0": (
        "02.1",
        lambda x, y: (y - 1, 1 - x),
        {0: "for x ≥ 0, f(x) = x² and f'(x) = 2x", 1: "f'(0) = 0: test x < 0"},
        [0, 1],
    ),
    "02.1 x ≤ 0 is linear": (
        "02.1",
        lambda x, y: (y - 1, 1 - x) if x <= 0 else (2 * x * (y - 1), 1 - x * x),
        "f'(0) = 0: test x < 0",
        [1],
    ),
    "02.1 factor y": (
        "02.1",
        lambda x, y: (_piecewise_gradients(x, y + 1)[0], _piecewise_gradients(x, y)[1]),
        "the factor is y − 1, not y",
        [0, 1],
    ),
    "02.1 swapped result": (
        "02.1",
        lambda x, y: _piecewise_gradients(x, y)[::-1],
        "return (player x's gradient, player y's gradient)",
        [0, 1],
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
        [0, 1, 2],
    ),
    "02.3 penalty pushes away": (
        "02.3",
        _ha_variant(pull=-2.0),
        "pulls θ towards the mean",
        [0, 1, 2],
    ),
    "02.3 no factor 2": (
        "02.3",
        _ha_variant(pull=1.0),
        "the factor 2 is missing",
        [0, 1, 2],
    ),
    "02.3 ascends": (
        "02.3",
        _ha_variant(signs=(-1.0, -1.0)),
        "both players descend their own costs",
        [0, 1, 2],
    ),
    "02.3 y ascends": (
        "02.3",
        _ha_variant(signs=(1.0, -1.0)),
        "cost_gradients already gives y's gradient",
        [0, 1, 2],
    ),
    "02.3 mean divides by t + 1": (
        "02.3",
        _ha_variant(divisor=1),
        "divides by t",
        [0, 1, 2],
    ),
    "02.3 returns the next mean": (
        "02.3",
        _ha_variant(returned="next"),
        "not θ̄_(t+1)",
        [0, 1, 2],
    ),
    "02.3 returns the mean passed in": (
        "02.3",
        _ha_variant(returned="past"),
        "you returned the mean that was passed in",
        [0, 1, 2],
    ),
    "02.3 ignores cost_gradients": (
        "02.3",
        _ha_variant(own_gradients=True),
        "use the cost_gradients passed in",
        [1],
    ),
    "02.4 the xy game's rotation": (
        "02.4",
        lambda lr: _window_checked(lr, omega=1.0),
        {0: "as slow as the xy game's", 1: "as slow as the xy game's", 2: NO_WEIGHT},
        [0, 1, 2],
    ),
    "02.4 no factor 2": (
        "02.4",
        lambda lr: _window_checked(lr, pull=1.0),
        "your window misses the factor 2",
        [0, 1],
    ),
    "02.4 swapped": (
        "02.4",
        lambda lr: _window_checked(lr)[::-1],
        "the smaller weight first",
        [0, 1],
    ),
    "02.4 small-lr limits": (
        "02.4",
        lambda lr: (lr, 1 / lr),
        {0: "for a small lr only", 1: "for a small lr only", 2: NO_WEIGHT},
        [0, 1, 2],
    ),
    "02.4 no rotation": (
        "02.4",
        lambda lr: (0.0, 1 / lr),
        {0: "you left out the rotation", 1: "you left out the rotation", 2: NO_WEIGHT},
        [0, 1, 2],
    ),
    "02.4 no upper bound": (
        "02.4",
        lambda lr: (_window_checked(lr)[0], float("inf")),
        "bounded above too",
        [0, 1],
    ),
    "02.4 never raises": (
        "02.4",
        _window,
        NO_WEIGHT,
        [2],
    ),
}


# the exercises' function names in order, per lesson (tests/test_grading.py checks them)
TARGETS = {
    "01": [
        "simultaneous_step",
        "alternating_step",
        "alternating_invariant",
        "radius_growth",
        "extragradient_step",
        "extragradient_rate",
    ],
    "02": [
        "piecewise_cost_gradients",
        "running_mean_update",
        "historical_averaging_step",
        "stable_weight_range",
    ],
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
    assert _failed(result) == [0]
    assert all("\n" not in case.message for case in result.cases)
    message = result.cases[0].message
    assert message.startswith("alternating_step(x=") and "largest difference" in message


def test_a_run_names_the_first_step_that_differs() -> None:
    drifting = _ha_variant(pull=1.0)
    message = run_cases(get_exercise("02.3"), drifting).cases[2].message
    assert "300 steps from (2, 0.5) at lr=0.05, weight=0.5, step t = 2 gives" in message


def test_wrong_types_and_shapes_are_named() -> None:
    result = run_cases(get_exercise("01.1"), lambda x, y, lr: None)
    assert "expected a tuple of 2 floats, got None" in result.cases[0].message
    result = run_cases(get_exercise("01.4"), lambda trajectory: np.ones(2))
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
        str(ROOT / folder / f"{name}_exercises.ipynb")
        for folder in ("solutions", "exercises")
        for name in ("01_xy_game", "02_piecewise_game")
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
