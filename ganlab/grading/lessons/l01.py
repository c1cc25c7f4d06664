"""Graded cases of lesson 01 (``solutions/01_xy_game_*``): gradient steps on the xy game.

V(x, y) = x·y; player x minimises V, player y maximises it.  Every case computes its
reference here in float64, independently of :mod:`ganlab.games`:

- 01.1, 01.2 (write): one simultaneous / alternating step, against the update equations, and
  100 steps against closed forms (z_t = (1 + i·lr)^t z_0; powers of the alternating matrix).
- 01.3 (derive): the quantity alternating steps with step sizes lr_x (x first) and lr_y (y,
  seeing the new x) conserve.  The grader makes alternating runs with its own step, and the
  student's Q must be constant along each, depend on the point, and be the quadratic form
  x² + (lr_x / lr_y)·y² − lr_x·x·y (scaled so that Q(x, 0) = x²).
- 01.4 (write): the measured radius growth per step, the geometric mean of the ratios
  r_{t+1} / r_t, against exact factors and a naive loop.
- 01.5 (write): one extragradient step with a look-ahead of size lookahead_lr and an update
  of size lr, against its equations and the closed form z_t = (1 − lr·γ + i·lr)^t z_0.
- 01.6 (derive): extragradient's radius factor per step, |1 − lr·γ + i·lr|, computed here as
  the spectral radius of the update matrix built from the grader's own step.

None of these formulas appears in the exercise notebook where deriving them is the exercise.
When an answer fails and matches a known wrong convention (a flipped sign, the other update
order, the simultaneous step's factor), the message says which.  Every case is a
:class:`~ganlab.grading.probes.Probe`: the student's function runs (and is iterated) in the
worker, the references and the verdict are computed by the grader.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial

import numpy as np
import torch
from torch import Tensor

from ganlab.grading.compare import as_array, as_floats, first_failure
from ganlab.grading.core import Case, Exercise, Outcome, fail, ok
from ganlab.grading.inputs import uniform
from ganlab.grading.mistakes import compare_runs, compare_with_mistakes
from ganlab.grading.probes import Probe, combine

Step = Callable[..., tuple[float, float]]  # (x, y, *params) -> (x_new, y_new)
LR = ("lr",)
EXTRAGRADIENT = ("lr", "lookahead_lr")


# ------------------------------------------------------------ the steps and their mistakes


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
    return lambda x, y, *params: rule(x, y, *params)[::-1]


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


def _extragradient(
    x: float,
    y: float,
    lr: float,
    lookahead_lr: float,
    *,
    sign: float = 1.0,
    from_lookahead: bool = False,
    alternating_lookahead: bool = False,
    use_lookahead: bool = True,
    returned: str = "update",
) -> tuple[float, float]:
    """One extragradient step on V = x·y: the look-ahead (x̃, ỹ) = (x − γ·y, y + γ·x) with
    γ = lookahead_lr, then (x − lr·ỹ, y + lr·x̃).  The keywords make the known wrong ones:
    ``sign=-1`` flips both players' directions."""
    x_ahead = x - sign * lookahead_lr * y
    y_ahead = y + sign * lookahead_lr * (x_ahead if alternating_lookahead else x)
    if returned == "lookahead":
        return x_ahead, y_ahead
    if not use_lookahead:
        x_ahead, y_ahead = x, y
    x_from, y_from = (x_ahead, y_ahead) if from_lookahead else (x, y)
    return x_from - sign * lr * y_ahead, y_from + sign * lr * x_ahead


EXTRAGRADIENT_MISTAKES: dict[str, Step] = {
    "you stepped with the gradients at (x, y): that is a simultaneous step; extragradient's "
    "update uses each player's gradient at the look-ahead point": partial(
        _extragradient, use_lookahead=False
    ),
    "the update starts from the look-ahead point: it starts from the original point (x, y); "
    "only the gradients are taken at the look-ahead point": partial(
        _extragradient, from_lookahead=True
    ),
    "lookahead_lr is the size of the look-ahead step and lr the size of the update: you "
    "swapped them": lambda x, y, lr, lookahead_lr: _extragradient(x, y, lookahead_lr, lr),
    "you returned the look-ahead point: return the point after the update": partial(
        _extragradient, returned="lookahead"
    ),
    "the look-ahead is a simultaneous step (both players from (x, y)): your look-ahead y "
    "used the look-ahead x": partial(_extragradient, alternating_lookahead=True),
    "both players move the wrong way: x descends V = x·y and y ascends it, in the look-ahead "
    "and in the update": partial(_extragradient, sign=-1.0),
    "the result is (y_new, x_new): return (x_new, y_new), in that order": _swapped(_extragradient),
}


def _describe(name: str, x: float, y: float, *params: float, names: Sequence[str] = LR) -> str:
    shown = ", ".join(f"{n}={v:g}" for n, v in zip(names, params, strict=True))
    return f"{name}(x={x:.6g}, y={y:.6g}, {shown}) = (x_new, y_new)"


def _as_step(answer: object, what: str) -> Tensor:
    """A step's answer as a float64 tensor (2,)."""
    return torch.tensor(as_floats(answer, 2, what), dtype=torch.float64)


def _mistaken_steps(mistakes: Mapping[str, Step], *args: float) -> dict[str, Tensor]:
    return {hint: torch.tensor(m(*args), dtype=torch.float64) for hint, m in mistakes.items()}


def _one_step_case(
    name: str,
    reference: Step,
    mistakes: Mapping[str, Step],
    points: Sequence[tuple],
    names: Sequence[str] = LR,
) -> Probe:
    """One step from each (x, y, *params) in ``points``, against the update equations."""

    def judge(answers: list) -> Outcome:
        outcomes = []
        for args, answer in zip(points, answers, strict=True):
            what = _describe(name, *args, names=names)
            outcomes.append(
                compare_with_mistakes(
                    _as_step(answer, what),
                    torch.tensor(reference(*args), dtype=torch.float64),
                    partial(_mistaken_steps, mistakes, *args),
                    what=what,
                )
            )
        return first_failure(outcomes)

    return Probe(lambda student: [student(*args) for args in points], judge)


def _iterates(step: Step, start: tuple[float, float], params: tuple, steps: int) -> Tensor:
    """(steps + 1, 2): the start, then ``steps`` applications of ``step``."""
    points = [start]
    for _ in range(steps):
        points.append(tuple(step(*points[-1], *params)))
    return torch.tensor(points, dtype=torch.float64)


def _spiral(start: tuple[float, float], factor: complex, steps: int) -> Tensor:
    """z_t = factor^t · z_0 with z = x + i·y, as (steps + 1, 2) points."""
    powers = torch.tensor(factor, dtype=torch.complex128) ** torch.arange(steps + 1)
    z = complex(*start) * powers
    return torch.stack([z.real, z.imag], dim=1)


def _simultaneous_closed_form(start: tuple[float, float], params: tuple, steps: int) -> Tensor:
    """z_t = (1 + i·lr)^t · z_0 with z = x + i·y, as (steps + 1, 2) points."""
    (lr,) = params
    return _spiral(start, complex(1.0, lr), steps)


def _alternating_closed_form(start: tuple[float, float], params: tuple, steps: int) -> Tensor:
    """θ_t = A^t θ_0 with A = [[1, −lr], [lr, 1 − lr²]], as (steps + 1, 2) points."""
    (lr,) = params
    matrix = torch.tensor([[1.0, -lr], [lr, 1.0 - lr * lr]], dtype=torch.float64)
    theta = torch.tensor(start, dtype=torch.float64)
    return torch.stack([torch.linalg.matrix_power(matrix, t) @ theta for t in range(steps + 1)])


def _extragradient_closed_form(start: tuple[float, float], params: tuple, steps: int) -> Tensor:
    """z_t = (1 − lr·γ + i·lr)^t · z_0: the look-ahead is z·(1 + iγ), the update z + i·lr·that."""
    lr, lookahead = params
    return _spiral(start, complex(1.0 - lr * lookahead, lr), steps)


def _many_steps_case(
    name: str,
    closed_form: Callable[[tuple[float, float], tuple, int], Tensor],
    mistakes: Mapping[str, Step],
    runs: Sequence[tuple[tuple[float, float], tuple]],
    steps: int,
    names: Sequence[str] = LR,
) -> Probe:
    """Iterates the student's step ``steps`` times from each (start, params) in ``runs`` (in
    the worker) and compares the (steps + 1, 2) points with ``closed_form``."""

    def run(student: Step) -> list[list[list[float]]]:
        def step(x: float, y: float, *params: float) -> list[float]:
            return as_floats(student(x, y, *params), 2, _describe(name, x, y, *params, names=names))

        return [_iterates(step, start, params, steps).tolist() for start, params in runs]

    def judge(answers: list) -> Outcome:
        outcomes = []
        for (start, params), points in zip(runs, answers, strict=True):
            shown = ", ".join(f"{n}={v:g}" for n, v in zip(names, params, strict=True))
            outcomes.append(
                compare_runs(
                    torch.tensor(points, dtype=torch.float64),
                    closed_form(start, params, steps),
                    partial(_mistaken_runs, mistakes, start, params, steps),
                    what=f"{steps} steps of {name} from ({start[0]:.6g}, {start[1]:.6g}) at "
                    f"{shown}",
                    row="after step {}".format,
                )
            )
        return first_failure(outcomes)

    return Probe(run, judge)


def _mistaken_runs(
    mistakes: Mapping[str, Step], start: tuple[float, float], params: tuple, steps: int
) -> dict[str, Tensor]:
    return {hint: _iterates(m, start, params, steps) for hint, m in mistakes.items()}


def _random_points(n: int, seed: int) -> list[tuple[float, float, float]]:
    """``n`` points (x, y) in [−2, 2]² with learning rates in [0.01, 0.5)."""
    xs, ys = uniform(n, -2.0, 2.0, seed), uniform(n, -2.0, 2.0, seed + 1)
    return list(zip(xs, ys, uniform(n, 0.01, 0.5, seed + 2), strict=True))


def _still_points(seed: int) -> list[tuple[float, float, float]]:
    """lr = 0 at random points, and the equilibrium (0, 0) at lr = 0.3: nothing moves."""
    return [(x, y, 0.0) for x, y, _ in _random_points(3, seed)] + [(0.0, 0.0, 0.3)]


def _runs(seed: int) -> list[tuple[tuple[float, float], tuple[float]]]:
    """Three (start, (lr,)): random starts in [−2, 2]², lr 0.05, 0.2 and 0.5."""
    points = _random_points(3, seed)
    return [((x, y), (lr,)) for (x, y, _), lr in zip(points, (0.05, 0.2, 0.5), strict=True)]


def _step_exercise(
    exercise_id: str,
    title: str,
    target: str,
    reference: Step,
    mistakes: Mapping[str, Step],
    closed_form: Callable[[tuple[float, float], tuple, int], Tensor],
    seed: int,
) -> Exercise:
    """One step at random points, at lr = 0 and at (0, 0), and 100 steps against a closed form."""
    probe = combine(
        _one_step_case(target, reference, mistakes, _random_points(6, seed)),
        _one_step_case(target, reference, mistakes, _still_points(seed + 10)),
        _many_steps_case(target, closed_form, mistakes, _runs(seed + 20), 100),
    )
    name = "one step at random points, at lr = 0 and at (0, 0); 100 steps against a closed form"
    return Exercise(exercise_id, title, target, (Case(name, 1, probe),))


# ------------------------------------------------------- 01.3: the alternating invariant

Invariant = Callable[[float, float, float, float], float]  # (x, y, lr_x, lr_y) -> Q


def _alternating_two(x: float, y: float, lr_x: float, lr_y: float) -> tuple[float, float]:
    """x moves first with step lr_x, then y with step lr_y, seeing the new x."""
    x_new = x - lr_x * y
    return x_new, y + lr_y * x_new


def _invariant(x: float, y: float, lr_x: float, lr_y: float) -> float:
    """Q = x² + (lr_x / lr_y)·y² − lr_x·x·y, conserved by :func:`_alternating_two`.

    From y_new − lr_y·x_new = y and x_new + lr_x·y = x: Q(x_new, y_new) = x_new² +
    (lr_x / lr_y)·y_new·y = x_new² + (lr_x / lr_y)·y² + lr_x·x_new·y = x_new·x +
    (lr_x / lr_y)·y² = Q(x, y).  Scaled so that Q(x, 0) = x².
    """
    return x * x + lr_x / lr_y * y * y - lr_x * x * y


INVARIANT_MISTAKES: dict[str, Invariant] = {
    "the squared radius x² + y² is not conserved by alternating steps: it wobbles along the "
    "orbit (lesson 01, section 3); look for a quadratic form with a cross term": (
        lambda x, y, a, b: x * x + y * y
    ),
    "the radius is not conserved by alternating steps: it wobbles along the orbit (lesson 01, "
    "section 3); look for a quadratic form with a cross term": (
        lambda x, y, a, b: math.hypot(x, y)
    ),
    "that quantity is conserved only when both players use the same step size lr_x; here "
    "lr_y differs: redo the derivation with two step sizes": (
        lambda x, y, a, b: x * x + y * y - a * x * y
    ),
    "that quantity is conserved only when both players use the same step size lr_y; here "
    "lr_x differs: redo the derivation with two step sizes": (
        lambda x, y, a, b: x * x + y * y - b * x * y
    ),
    "the cross term has the wrong sign: that quantity is conserved when y moves first; here x "
    "moves first and y responds to the new x": lambda x, y, a, b: x * x + a / b * y * y + a * x * y,
    "lr_x and lr_y are swapped: lr_x is the step of x, the player that moves first": (
        lambda x, y, a, b: x * x + b / a * y * y - b * x * y
    ),
    "the coefficient of y² is inverted: try your Q on one step from a point with x = 0": (
        lambda x, y, a, b: x * x + b / a * y * y - a * x * y
    ),
}
SCALE_HINT = (
    "your Q is conserved, but not scaled as the docstring asks: divide it by its coefficient "
    "of x², so that Q(x, 0; lr_x, lr_y) = x²"
)
INVARIANT_SCALED: dict[str, Invariant] = {
    # the natural unnormalised forms a derivation ends with
    f"{SCALE_HINT} (yours gives lr_y·x²)": lambda x, y, a, b: b * _invariant(x, y, a, b),
    f"{SCALE_HINT} (yours gives x² / lr_x)": lambda x, y, a, b: _invariant(x, y, a, b) / a,
    f"{SCALE_HINT} (yours gives −x²)": lambda x, y, a, b: -_invariant(x, y, a, b),
}


def _invariant_what(x: float, y: float, lr_x: float, lr_y: float) -> str:
    return f"alternating_invariant(x={x:.6g}, y={y:.6g}, lr_x={lr_x:g}, lr_y={lr_y:g})"


def _as_value(answer: object, what: str) -> float:
    return float(as_array(answer, (), what))


def _invariant_runs() -> tuple[tuple[tuple[float, float], float, float, Tensor], ...]:
    """(start, lr_x, lr_y, points (steps + 1, 2)) of the grader's alternating runs; the first
    two share their step sizes, the second starts at twice the first's start."""
    settings = [((1.0, 0.5), 0.1, 0.1, 60), ((2.0, 1.0), 0.1, 0.1, 60)]
    for (x, y, _), lr_x, lr_y, steps in zip(
        _random_points(3, 700), (0.3, 0.05, 1.0), (0.05, 0.4, 0.5), (80, 80, 40), strict=True
    ):
        settings.append(((x, y), lr_x, lr_y, steps))
    return tuple(
        (start, lr_x, lr_y, _iterates(_alternating_two, start, (lr_x, lr_y), steps))
        for start, lr_x, lr_y, steps in settings
    )


INVARIANT_RUNS = _invariant_runs()


def _conserved_run(student: Invariant) -> list[list[float]]:
    return [
        [student(x, y, lr_x, lr_y) for x, y in points.tolist()]
        for _, lr_x, lr_y, points in INVARIANT_RUNS
    ]


def _matching_hint(values: list[float], points: Tensor, lr_x: float, lr_y: float) -> str:
    """The hint of the known wrong invariant that gives ``values`` on ``points``, or ''."""
    got = np.array(values)
    for hint, wrong in INVARIANT_MISTAKES.items():
        expected = np.array([wrong(x, y, lr_x, lr_y) for x, y in points.tolist()])
        if np.allclose(got, expected, rtol=1e-6, atol=1e-9):
            return "\n" + hint
    return ""


def _conserved_judge(answers: list) -> Outcome:
    """Q is constant along each of the grader's runs, and differs between the first two."""
    constants = []
    for (start, lr_x, lr_y, points), raw in zip(INVARIANT_RUNS, answers, strict=True):
        steps = len(points) - 1
        where = (
            f"along {steps} alternating steps from ({start[0]:.6g}, {start[1]:.6g}) with "
            f"lr_x={lr_x:g}, lr_y={lr_y:g}"
        )
        if not isinstance(raw, list) or len(raw) != len(points):
            return fail(f"alternating_invariant {where}: expected {len(points)} floats")
        values = [
            _as_value(v, _invariant_what(x, y, lr_x, lr_y))
            for v, (x, y) in zip(raw, points.tolist(), strict=True)
        ]
        if not all(math.isfinite(v) for v in values):
            return fail(f"alternating_invariant {where}: got a non-finite value")
        scale = max(abs(v) for v in values)
        worst = max(range(len(values)), key=lambda t: abs(values[t] - values[0]))
        if abs(values[worst] - values[0]) > 1e-6 * scale + 1e-12:
            return fail(
                f"alternating_invariant {where}: Q = {values[0]:.7g} at step 0 but "
                f"{values[worst]:.7g} at step {worst}; it is not conserved"
                + _matching_hint(values, points, lr_x, lr_y)
            )
        constants.append(values[0])
    first, second = constants[0], constants[1]
    if abs(first - second) <= 1e-6 * max(abs(first), abs(second), 1e-12):
        return fail(
            "alternating_invariant is constant along every run, but takes the same value "
            f"({first:.7g}) on the run from (1, 0.5) and on the run from (2, 1) with the same "
            "step sizes: a conserved quantity that does not depend on the point says nothing "
            "about the orbit; find the one that does"
        )
    return ok("conserved along every alternating run")


def _invariant_points() -> list[tuple[float, float, float, float]]:
    """Random points and step sizes, each point also at twice its size, and points (x, 0)."""
    xs, ys = uniform(5, -2.0, 2.0, 710), uniform(5, -2.0, 2.0, 711)
    lr_xs, lr_ys = uniform(5, 0.05, 1.0, 712), uniform(5, 0.05, 1.0, 713)
    points = []
    for x, y, a, b in zip(xs, ys, lr_xs, lr_ys, strict=True):
        points += [(x, y, a, b), (2 * x, 2 * y, a, b)]
    return points + [(1.5, 0.0, 0.2, 0.7), (-0.8, 0.0, 0.9, 0.1)]


INVARIANT_POINTS = _invariant_points()


def _values_judge(answers: list) -> Outcome:
    """The student's Q at random points against the scaled quadratic form."""
    what = f"alternating_invariant at {len(INVARIANT_POINTS)} random points and step sizes"
    if not isinstance(answers, list) or len(answers) != len(INVARIANT_POINTS):
        return fail(f"{what}: expected {len(INVARIANT_POINTS)} floats")
    got = torch.tensor(
        [_as_value(a, _invariant_what(*p)) for a, p in zip(answers, INVARIANT_POINTS, strict=True)],
        dtype=torch.float64,
    )
    expected = torch.tensor([_invariant(*p) for p in INVARIANT_POINTS], dtype=torch.float64)

    def mistakes() -> dict[str, Tensor]:
        known = {**INVARIANT_MISTAKES, **INVARIANT_SCALED}
        return {
            hint: torch.tensor([m(*p) for p in INVARIANT_POINTS], dtype=torch.float64)
            for hint, m in known.items()
        }

    outcome = compare_with_mistakes(got, expected, mistakes, what=what)
    if outcome.passed or "\n" in outcome.message:
        return outcome
    doubled = got[1:10:2] - 4 * got[0:10:2]  # Q(2x, 2y) − 4·Q(x, y), five times
    if not torch.allclose(
        doubled, torch.zeros(5, dtype=torch.float64), atol=1e-6 * got.abs().max()
    ):
        return fail(
            f"{outcome.message}\nQ must be a quadratic form in (x, y): Q(2x, 2y) = 4·Q(x, y)"
        )
    return outcome


INVARIANT_VALUES_PROBE = Probe(
    lambda student: [student(*p) for p in INVARIANT_POINTS], _values_judge
)


# ------------------------------------------------------------------ 01.4: the radius growth


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
        "you divided by the number of points: a trajectory of shape (T + 1, 2) has T steps": (
            total ** (1 / (steps + 1))
        ),
        "that is the growth over all T steps together, not per step: a factor ρ per step, "
        "compounded over T steps, gives that": total,
        "the arithmetic mean of the ratios r_(t+1) / r_t is not the factor per step: growth "
        "compounds, so which factor, applied T times, gives the run's overall growth?": (
            sum(ratios) / steps
        ),
        "you measured the squared radius x² + y²: the radius is √(x² + y²)": total ** (2 / steps),
        "the ratios are the wrong way round: growth compares r_(t+1) with r_t": (
            total ** (-1 / steps)
        ),
    }
    return {hint: torch.tensor(value, dtype=torch.float64) for hint, value in mistakes.items()}


def _growth_case(trajectories: Sequence[tuple[str, Tensor, Tensor | None]]) -> Probe:
    """A case for ``radius_growth`` on each (description, points, exact factor or None)."""

    def judge(answers: list) -> Outcome:
        outcomes = []
        for (description, points, exact), answer in zip(trajectories, answers, strict=True):
            what = f"radius_growth({description}, shape {tuple(points.shape)})"
            got = as_array(answer, (), what)
            expected = _growth_reference(points) if exact is None else exact
            mistakes = partial(_growth_mistakes, points)
            outcomes.append(compare_with_mistakes(got, expected, mistakes, what=what))
        return first_failure(outcomes)

    return Probe(
        lambda student: [student(points.clone().numpy()) for _, points, _ in trajectories], judge
    )


def _constant_factor_runs(seed: int) -> list[tuple[str, Tensor, Tensor]]:
    """Spirals whose radius changes by the same factor |c| every step: simultaneous runs at
    lr 0, 0.05, 0.1, 0.5 and an extragradient run (lr = look-ahead = 0.3)."""
    starts = _random_points(5, seed)
    factors = [complex(1.0, lr) for lr in (0.0, 0.05, 0.1, 0.5)] + [complex(1 - 0.09, 0.3)]
    names = [f"50 simultaneous steps at lr {lr:g}" for lr in (0.0, 0.05, 0.1, 0.5)]
    names.append("40 extragradient steps at lr 0.3")
    lengths = (50, 50, 50, 50, 40)
    return [
        (name, _spiral((x, y), c, steps), torch.tensor(abs(c), dtype=torch.float64))
        for name, (x, y, _), c, steps in zip(names, starts, factors, lengths, strict=True)
    ]


def _wobbling_runs(seed: int) -> list[tuple[str, Tensor, None]]:
    (x, y, _), lr = _random_points(1, seed)[0], 0.4
    wander = torch.tensor(_random_points(6, seed + 1), dtype=torch.float64)[:, :2]
    points = torch.tensor(_random_points(4, seed + 2), dtype=torch.float64)[:, :2]
    return [
        (f"7 alternating steps at lr {lr:g}", _alternating_closed_form((x, y), (lr,), 7), None),
        ("6 random points", wander, None),
        ("one step", points[:2], None),
        ("another step", points[2:], None),
    ]


# ------------------------------------------------------- 01.5 and 01.6: extragradient


def _extragradient_points(seed: int) -> list[tuple[float, float, float, float]]:
    """Random points and step sizes (lr, look-ahead in [0.01, 0.5)), a look-ahead of 0,
    lr = 0 (nothing moves) and the equilibrium."""
    points = [
        (x, y, lr, g)
        for (x, y, lr), g in zip(
            _random_points(6, seed), uniform(6, 0.01, 0.5, seed + 5), strict=True
        )
    ]
    (x, y, _), (u, v, _) = _random_points(2, seed + 10)
    return points + [(x, y, 0.3, 0.0), (u, v, 0.0, 0.4), (0.0, 0.0, 0.2, 0.3)]


def _extragradient_runs(seed: int) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    points = _random_points(3, seed)
    params = ((0.1, 0.15), (0.2, 0.5), (0.5, 0.05))
    return [((x, y), p) for (x, y, _), p in zip(points, params, strict=True)]


Rate = Callable[[float, float], float]  # (lr, lookahead_lr) -> the radius factor per step


def _extragradient_factor(lr: float, lookahead: float) -> float:
    """The spectral radius of the 2 × 2 matrix of one extragradient step, built from the
    grader's step applied to (1, 0) and (0, 1): on the xy game the step is a rotation times a
    scaling, so this is the radius factor of every step from every start."""
    columns = [_extragradient(1.0, 0.0, lr, lookahead), _extragradient(0.0, 1.0, lr, lookahead)]
    matrix = np.array(columns, dtype=np.float64).T
    return float(np.abs(np.linalg.eigvals(matrix)).max())


RATE_MISTAKES: dict[str, Rate] = {
    "that is the factor of a simultaneous step: the update uses the gradient at the "
    "look-ahead point, which changes the factor": lambda lr, g: math.sqrt(1 + lr * lr),
    "that is the factor when the look-ahead step is as large as the update (lookahead_lr = "
    "lr): keep both step sizes in the derivation": lambda lr, g: math.sqrt(1 - lr**2 + lr**4),
    "that is the factor when the update step is as large as the look-ahead (lr = "
    "lookahead_lr): keep both step sizes in the derivation": lambda lr, g: math.sqrt(
        1 - g**2 + g**4
    ),
    "that is the factor of the squared radius x² + y²: the radius is its square root": (
        lambda lr, g: (1 - lr * g) ** 2 + lr * lr
    ),
    "lr and lookahead_lr play different roles in the step: you swapped them": (
        lambda lr, g: math.sqrt((1 - lr * g) ** 2 + g * g)
    ),
    "a sign is flipped: in the look-ahead, too, each player descends its own cost": (
        lambda lr, g: math.sqrt((1 + lr * g) ** 2 + lr * lr)
    ),
}


def _rate_case(params: Sequence[tuple[float, float]]) -> Probe:
    def judge(answers: list) -> Outcome:
        outcomes = []
        for (lr, lookahead), answer in zip(params, answers, strict=True):
            what = f"extragradient_rate(lr={lr:g}, lookahead_lr={lookahead:g})"
            outcomes.append(
                compare_with_mistakes(
                    as_array(answer, (), what),
                    torch.tensor(_extragradient_factor(lr, lookahead), dtype=torch.float64),
                    lambda lr=lr, lookahead=lookahead: {
                        hint: torch.tensor(m(lr, lookahead), dtype=torch.float64)
                        for hint, m in RATE_MISTAKES.items()
                    },
                    what=what,
                )
            )
        return first_failure(outcomes)

    return Probe(lambda student: [student(lr, g) for lr, g in params], judge)


EXERCISES = (
    _step_exercise(
        "01.1",
        "one simultaneous step on the xy game",
        "simultaneous_step",
        SIMULTANEOUS,
        SIMULTANEOUS_MISTAKES,
        _simultaneous_closed_form,
        seed=100,
    ),
    _step_exercise(
        "01.2",
        "one alternating step on the xy game",
        "alternating_step",
        ALTERNATING,
        ALTERNATING_MISTAKES,
        _alternating_closed_form,
        seed=200,
    ),
    Exercise(
        "01.3",
        "what alternating steps conserve (derived)",
        "alternating_invariant",
        (
            Case(
                "constant along alternating runs from several starts and step sizes, and "
                "different on runs of different sizes",
                1,
                Probe(_conserved_run, _conserved_judge),
            ),
            Case(
                "its values at random points and step sizes, scaled as the docstring says",
                1,
                INVARIANT_VALUES_PROBE,
            ),
        ),
    ),
    Exercise(
        "01.4",
        "the measured radius growth per step",
        "radius_growth",
        (
            Case(
                "spirals that change radius by the same factor every step (simultaneous at "
                "lr = 0, 0.05, 0.1, 0.5; extragradient): against that factor",
                1,
                _growth_case(_constant_factor_runs(300)),
            ),
            Case(
                "a wobbling radius (alternating steps), random points, single steps: "
                "against a naive loop",
                1,
                _growth_case(_wobbling_runs(320)),
            ),
        ),
    ),
    Exercise(
        "01.5",
        "one extragradient step on the xy game",
        "extragradient_step",
        (
            Case(
                "one step at random points and step sizes, with no look-ahead, at lr = 0 and "
                "at (0, 0)",
                1,
                _one_step_case(
                    "extragradient_step",
                    _extragradient,
                    EXTRAGRADIENT_MISTAKES,
                    _extragradient_points(500),
                    EXTRAGRADIENT,
                ),
            ),
            Case(
                "100 steps from random starts: against a closed form",
                1,
                _many_steps_case(
                    "extragradient_step",
                    _extragradient_closed_form,
                    EXTRAGRADIENT_MISTAKES,
                    _extragradient_runs(520),
                    100,
                    EXTRAGRADIENT,
                ),
            ),
        ),
    ),
    Exercise(
        "01.6",
        "extragradient's radius factor per step (derived)",
        "extragradient_rate",
        (
            Case(
                "equal step sizes, lr = lookahead_lr = 0, 0.1, 0.5, 0.9, 1.3",
                1,
                _rate_case([(lr, lr) for lr in (0.0, 0.1, 0.5, 0.9, 1.3)]),
            ),
            Case(
                "different step sizes, lookahead_lr = 0 among them",
                1,
                _rate_case(
                    [
                        (0.2, 0.05),
                        (0.1, 1.0),
                        (0.4, 2.0),
                        (0.05, 5.0),
                        (0.3, 3.0),
                        (1.5, 0.2),
                        (0.1, 0.0),
                        (0.3, 0.0),
                    ]
                ),
            ),
        ),
    ),
)
