"""Graded cases of lesson 01 (``solutions/01_xy_game.ipynb``): gradient steps on the xy game.

V(x, y) = x·y; player x minimises V, player y maximises it.  Every case computes its
reference here in float64, independently of :mod:`ganlab.games`: the update equations for
one step, closed forms over many (z_t = (1 + i·lr)^t z_0 for simultaneous steps, powers of
the alternating update matrix, the radius factors √(1 + lr²) and √(1 − lr² + lr⁴)) and a
naive loop for the measured growth.  When an answer fails and matches a known wrong
convention (a flipped sign, the other update order), the message says which.  Every case is
a :class:`~ganlab.grading.probes.Probe`: the student's function runs (and is iterated) in the
worker, the references and the verdict are computed by the grader.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial

import torch
from torch import Tensor

from ganlab.grading.compare import as_array, as_floats, first_failure
from ganlab.grading.core import Case, Exercise, Outcome
from ganlab.grading.inputs import uniform
from ganlab.grading.mistakes import compare_runs, compare_with_mistakes
from ganlab.grading.probes import Probe

Step = Callable[[float, float, float], tuple[float, float]]  # (x, y, lr) -> (x_new, y_new)


# ------------------------------------------------------------------- 01.1 and 01.2: one step


def _rule(x_sign: float = -1.0, y_sign: float = 1.0, order: str = "simultaneous") -> Step:
    """A step on V = x·y.  The right one: x_new = x − lr·∂V/∂x = x − lr·y and
    y_new = y + lr·∂V/∂y = y + lr·x, where y sees the old x (``"simultaneous"``) or the new
    one (``"x first"``); ``"y first"`` and other signs make the known wrong ones."""

    def step(x: float, y: float, lr: float) -> tuple[float, float]:
        if order == "y first":
            y_new = y + y_sign * lr * x
            return x + x_sign * lr * y_new, y_new
        x_new = x + x_sign * lr * y
        return x_new, y + y_sign * lr * (x_new if order == "x first" else x)

    return step


def _swapped(rule: Step) -> Step:
    return lambda x, y, lr: rule(x, y, lr)[::-1]


SIMULTANEOUS = _rule()
ALTERNATING = _rule(order="x first")


def _sign_mistakes(order: str) -> dict[str, Step]:
    right = _rule(order=order)
    return {
        "both signs are flipped: x descends V = x·y (x_new = x − lr·y) and y ascends it "
        "(y_new = y + lr·∂V/∂y)": _rule(1.0, -1.0, order),
        "x stepped up its gradient: x minimises V = x·y, so x_new = x − lr·∂V/∂x = x − lr·y": (
            _rule(1.0, 1.0, order)
        ),
        "y stepped down its gradient: y maximises V = x·y (its cost is −V), so "
        "y_new = y + lr·∂V/∂y, with ∂V/∂y = x": _rule(-1.0, -1.0, order),
        "the result is (y_new, x_new): return (x_new, y_new), in that order": _swapped(right),
    }


SIMULTANEOUS_MISTAKES = {
    **_sign_mistakes("simultaneous"),
    "y used the new x: that is the alternating step; in the simultaneous step both players "
    "use the old point, y_new = y + lr·x": ALTERNATING,
}
ALTERNATING_MISTAKES = {
    **_sign_mistakes("x first"),
    "y used the old x: that is the simultaneous step, not the alternating one; update x "
    "first, then y_new = y + lr·x_new": SIMULTANEOUS,
    "y moved first and x used the new y: here x moves first (x_new = x − lr·y), then y "
    "responds to the new x": _rule(order="y first"),
}


def _describe(name: str, x: float, y: float, lr: float) -> str:
    return f"{name}(x={x:.6g}, y={y:.6g}, lr={lr:g}) = (x_new, y_new)"


def _as_step(answer: object, name: str, x: float, y: float, lr: float) -> Tensor:
    """A step's answer as a float64 tensor (2,)."""
    return torch.tensor(as_floats(answer, 2, _describe(name, x, y, lr)), dtype=torch.float64)


def _mistaken_steps(mistakes: Mapping[str, Step], x: float, y: float, lr: float) -> dict:
    return {hint: torch.tensor(m(x, y, lr), dtype=torch.float64) for hint, m in mistakes.items()}


def _one_step_case(
    name: str, reference: Step, mistakes: Mapping[str, Step], points: Sequence[tuple]
) -> Probe:
    """A case for one step from each (x, y, lr) in ``points``, against the update equations."""

    def judge(answers: list) -> Outcome:
        outcomes = []
        for (x, y, lr), answer in zip(points, answers, strict=True):
            outcomes.append(
                compare_with_mistakes(
                    _as_step(answer, name, x, y, lr),
                    torch.tensor(reference(x, y, lr), dtype=torch.float64),
                    partial(_mistaken_steps, mistakes, x, y, lr),
                    what=_describe(name, x, y, lr),
                )
            )
        return first_failure(outcomes)

    return Probe(lambda student: [student(x, y, lr) for x, y, lr in points], judge)


def _iterates(step: Step, start: tuple[float, float], lr: float, steps: int) -> Tensor:
    """(steps + 1, 2): the start, then ``steps`` applications of ``step``."""
    points = [start]
    for _ in range(steps):
        points.append(tuple(step(*points[-1], lr)))
    return torch.tensor(points, dtype=torch.float64)


def _spiral(start: tuple[float, float], factor: complex, steps: int) -> Tensor:
    """z_t = factor^t · z_0 with z = x + i·y, as (steps + 1, 2) points."""
    powers = torch.tensor(factor, dtype=torch.complex128) ** torch.arange(steps + 1)
    z = complex(*start) * powers
    return torch.stack([z.real, z.imag], dim=1)


def _simultaneous_closed_form(start: tuple[float, float], lr: float, steps: int) -> Tensor:
    """z_t = (1 + i·lr)^t · z_0 with z = x + i·y, as (steps + 1, 2) points."""
    return _spiral(start, complex(1.0, lr), steps)


def _alternating_closed_form(start: tuple[float, float], lr: float, steps: int) -> Tensor:
    """θ_t = A^t θ_0 with A = [[1, −lr], [lr, 1 − lr²]], as (steps + 1, 2) points."""
    matrix = torch.tensor([[1.0, -lr], [lr, 1.0 - lr * lr]], dtype=torch.float64)
    theta = torch.tensor(start, dtype=torch.float64)
    return torch.stack([torch.linalg.matrix_power(matrix, t) @ theta for t in range(steps + 1)])


def _many_steps_case(
    name: str,
    closed_form: Callable[[tuple[float, float], float, int], Tensor],
    mistakes: Mapping[str, Step],
    runs: Sequence[tuple],
    steps: int,
) -> Probe:
    """A case that iterates the student's step ``steps`` times from each (start, lr) in
    ``runs`` (in the worker) and compares the (steps + 1, 2) points with ``closed_form``."""

    def run(student: Step) -> list[list[list[float]]]:
        def step(x: float, y: float, lr: float) -> list[float]:
            return as_floats(student(x, y, lr), 2, _describe(name, x, y, lr))

        return [_iterates(step, start, lr, steps).tolist() for start, lr in runs]

    def judge(answers: list) -> Outcome:
        outcomes = []
        for (start, lr), points in zip(runs, answers, strict=True):
            outcomes.append(
                compare_runs(
                    torch.tensor(points, dtype=torch.float64),
                    closed_form(start, lr, steps),
                    partial(_mistaken_runs, mistakes, start, lr, steps),
                    what=f"{steps} steps of {name} from ({start[0]:.6g}, {start[1]:.6g}) at "
                    f"lr={lr:g}",
                    row="after step {}".format,
                )
            )
        return first_failure(outcomes)

    return Probe(run, judge)


def _mistaken_runs(
    mistakes: Mapping[str, Step], start: tuple[float, float], lr: float, steps: int
) -> dict[str, Tensor]:
    return {hint: _iterates(m, start, lr, steps) for hint, m in mistakes.items()}


def _random_points(n: int, seed: int) -> list[tuple[float, float, float]]:
    """``n`` points (x, y) in [−2, 2]² with learning rates in [0.01, 0.5)."""
    xs, ys = uniform(n, -2.0, 2.0, seed), uniform(n, -2.0, 2.0, seed + 1)
    return list(zip(xs, ys, uniform(n, 0.01, 0.5, seed + 2), strict=True))


def _still_points(seed: int) -> list[tuple[float, float, float]]:
    """lr = 0 at random points, and the equilibrium (0, 0) at lr = 0.3: nothing moves."""
    return [(x, y, 0.0) for x, y, _ in _random_points(3, seed)] + [(0.0, 0.0, 0.3)]


def _runs(seed: int) -> list[tuple[tuple[float, float], float]]:
    """Three (start, lr): random starts in [−2, 2]², lr 0.05, 0.2 and 0.5."""
    points = _random_points(3, seed)
    return [((x, y), lr) for (x, y, _), lr in zip(points, (0.05, 0.2, 0.5), strict=True)]


def _step_exercise(
    exercise_id: str,
    title: str,
    target: str,
    reference: Step,
    mistakes: Mapping[str, Step],
    many_steps: tuple[str, Callable[[tuple[float, float], float, int], Tensor]],
    seed: int,
) -> Exercise:
    """One step at random points, at lr = 0, and 100 steps against a closed form."""
    name, closed_form = many_steps
    cases = (
        Case(
            "random points and learning rates: the update equations",
            1,
            _one_step_case(target, reference, mistakes, _random_points(6, seed)),
        ),
        Case(
            "lr = 0 and the equilibrium (0, 0): nothing moves",
            1,
            _one_step_case(target, reference, mistakes, _still_points(seed + 10)),
        ),
        Case(name, 1, _many_steps_case(target, closed_form, mistakes, _runs(seed + 20), 100)),
    )
    return Exercise(exercise_id, title, target, cases)


# ------------------------------------------------------------------ 01.3: the radius growth


def _radii(points: Tensor) -> list[float]:
    return [math.hypot(x, y) for x, y in points.tolist()]


def _growth_reference(points: Tensor) -> Tensor:
    """A naive loop: the geometric mean of the successive radius ratios r_{t+1} / r_t."""
    radii = _radii(points)
    log_sum = 0.0
    for before, after in zip(radii[:-1], radii[1:], strict=True):
        log_sum += math.log(after / before)
    return torch.tensor(math.exp(log_sum / (len(radii) - 1)), dtype=torch.float64)


def _growth_mistakes(points: Tensor) -> dict[str, Tensor]:
    radii = _radii(points)
    steps = len(radii) - 1
    ratios = [after / before for before, after in zip(radii[:-1], radii[1:], strict=True)]
    total = radii[-1] / radii[0]
    mistakes = {
        "you divided by the number of points: a trajectory of shape (T + 1, 2) has T steps, "
        "so the growth per step is (r_T / r_0)^(1/T)": total ** (1 / (steps + 1)),
        "that is the growth over all T steps, r_T / r_0: its T-th root is the growth per "
        "step": total,
        "the arithmetic mean of the ratios r_{t+1} / r_t is not the factor per step: growth "
        "compounds, so take their geometric mean, (r_T / r_0)^(1/T)": sum(ratios) / steps,
        "you measured the squared radius x² + y²: the radius is √(x² + y²)": total ** (2 / steps),
        "the ratios are the wrong way round: the growth is r_{t+1} / r_t, not r_t / r_{t+1}": (
            total ** (-1 / steps)
        ),
    }
    return {hint: torch.tensor(value, dtype=torch.float64) for hint, value in mistakes.items()}


def _growth_case(trajectories: Sequence[tuple[str, Tensor, Tensor | None]]) -> Probe:
    """A case for ``radius_growth`` on each (description, points, closed form or None)."""

    def judge(answers: list) -> Outcome:
        outcomes = []
        for (description, points, closed_form), answer in zip(trajectories, answers, strict=True):
            what = f"radius_growth({description}, shape {tuple(points.shape)})"
            got = as_array(answer, (), what)
            expected = _growth_reference(points) if closed_form is None else closed_form
            mistakes = partial(_growth_mistakes, points)
            outcomes.append(compare_with_mistakes(got, expected, mistakes, what=what))
        return first_failure(outcomes)

    return Probe(
        lambda student: [student(points.clone().numpy()) for _, points, _ in trajectories], judge
    )


def _simultaneous_runs(seed: int) -> list[tuple[str, Tensor, Tensor]]:
    starts = _random_points(4, seed)
    return [
        (
            f"50 simultaneous steps at lr {lr:g}",
            _simultaneous_closed_form((x, y), lr, 50),
            torch.tensor(math.sqrt(1 + lr * lr), dtype=torch.float64),
        )
        for (x, y, _), lr in zip(starts, (0.0, 0.05, 0.1, 0.5), strict=True)
    ]


def _extragradient_run(seed: int) -> list[tuple[str, Tensor, Tensor]]:
    (x, y, _), lr = _random_points(1, seed)[0], 0.3
    return [
        (
            f"40 extragradient steps at lr {lr:g}",
            _spiral((x, y), complex(1 - lr * lr, lr), 40),
            torch.tensor(math.sqrt(1 - lr * lr + lr**4), dtype=torch.float64),
        )
    ]


def _wobbling_runs(seed: int) -> list[tuple[str, Tensor, None]]:
    (x, y, _), lr = _random_points(1, seed)[0], 0.4
    wander = torch.tensor(_random_points(6, seed + 1), dtype=torch.float64)[:, :2]
    return [
        (f"7 alternating steps at lr {lr:g}", _alternating_closed_form((x, y), lr, 7), None),
        ("6 random points", wander, None),
    ]


def _single_step_runs(seed: int) -> list[tuple[str, Tensor, None]]:
    points = torch.tensor(_random_points(4, seed), dtype=torch.float64)[:, :2]
    return [("one step", points[:2], None), ("another step", points[2:], None)]


EXERCISES = (
    _step_exercise(
        "01.1",
        "one simultaneous step on the xy game",
        "simultaneous_step",
        SIMULTANEOUS,
        SIMULTANEOUS_MISTAKES,
        ("100 steps: the closed form z_t = (1 + i·lr)^t z_0", _simultaneous_closed_form),
        seed=100,
    ),
    _step_exercise(
        "01.2",
        "one alternating step on the xy game",
        "alternating_step",
        ALTERNATING,
        ALTERNATING_MISTAKES,
        (
            "100 steps: θ_t = A^t θ_0, A = [[1, −lr], [lr, 1 − lr²]], the ellipse Q = const",
            _alternating_closed_form,
        ),
        seed=200,
    ),
    Exercise(
        "01.3",
        "the measured radius growth per step",
        "radius_growth",
        (
            Case(
                "simultaneous steps at lr = 0, 0.05, 0.1, 0.5: the closed form √(1 + lr²)",
                1,
                _growth_case(_simultaneous_runs(300)),
            ),
            Case(
                "a shrinking spiral (extragradient): the closed form √(1 − lr² + lr⁴)",
                1,
                _growth_case(_extragradient_run(310)),
            ),
            Case(
                "a wobbling radius (alternating steps, random points): against a naive loop",
                1,
                _growth_case(_wobbling_runs(320)),
            ),
            Case(
                "a single step, shape (2, 2): r_1 / r_0",
                1,
                _growth_case(_single_step_runs(330)),
            ),
        ),
    ),
)
