"""Graded cases of lesson 02 (``solutions/02_piecewise_game_*``): historical averaging.

The piecewise game V(x, y) = (f(x) − 1)(y − 1), f(x) = x for x < 0 and x² for x ≥ 0; x
minimises V and y maximises it.  Historical averaging (§3.3) adds weight·(θ − θ̄_t)² to each
player's cost, where θ̄_t = (1/t) Σ_{i=1..t} θ_i is the mean of its values so far, the
current one included, kept online.  The references are computed here: the derivatives of
V in closed form, the mean of every stored value (a naive loop) and, for consistency with
the lesson's figures, a run of :func:`ganlab.games.simulate` made when this module loads,
before any submitted code runs.  02.4 (derived) asks for the penalty weights that make the step,
linearised at (1, 1) with the mean held fixed, stable at a given lr; the grader finds them
numerically (the spectral radius of I − lr·(J + 2w·I), J the Jacobian of the closed-form
gradients by central differences, scanned and bisected over w).  Every case is a
:class:`~ganlab.grading.probes.Probe`: the student's functions run (and are iterated)
in the worker, the verdicts are computed by the grader.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import torch
from torch import Tensor

from ganlab.games import DEFAULT_HA_LR, DEFAULT_WEIGHT, PiecewiseGame, simulate
from ganlab.grading.compare import as_array, as_floats, first_failure
from ganlab.grading.core import Case, CaseFailed, Exercise, Outcome
from ganlab.grading.inputs import uniform
from ganlab.grading.mistakes import compare_runs, compare_with_mistakes
from ganlab.grading.probes import Probe, combine

Gradients = Callable[[float, float], tuple[float, float]]  # (x, y) -> (g_x, g_y)


def _format_point(v: Tensor) -> str:
    """A (2,) tensor as "(x, y)"."""
    return "(" + ", ".join(f"{c:.6g}" for c in v.tolist()) + ")"


# ------------------------------------------------------------ 02.1: the players' gradients


def _f(x: float) -> float:
    """f(x) = x for x < 0 and x² for x ≥ 0."""
    return x if x < 0 else x * x


def _df(x: float) -> float:
    """f'(x) = 1 for x < 0 and 2x for x ≥ 0 (so f'(0) = 0)."""
    return 1.0 if x < 0 else 2 * x


def _gradients(
    f: Callable[[float], float] = _f,
    df: Callable[[float], float] = _df,
    x_sign: float = 1.0,
    y_sign: float = 1.0,
    offset: float = 1.0,
) -> Gradients:
    """Each player's gradient of its own cost: (∂V/∂x, −∂V/∂y) = (f'(x)(y − 1), 1 − f(x)).

    The defaults give the right one; other arguments make the known wrong ones.
    """

    def gradients(x: float, y: float) -> tuple[float, float]:
        x, y = float(x), float(y)
        return x_sign * df(x) * (y - offset), y_sign * (1 - f(x))

    return gradients


PIECEWISE = _gradients()


def _xy_gradients(x: float, y: float) -> tuple[float, float]:
    """The xy game's (∂V/∂x, −∂V/∂y) = (y, −x)."""
    return float(y), -float(x)


GRADIENT_MISTAKES: dict[str, Gradients] = {
    "the second entry is ∂V/∂y = f(x) − 1, but y maximises V: its cost is −V, so its "
    "gradient is −∂V/∂y = 1 − f(x)": _gradients(y_sign=-1.0),
    "the first entry has the wrong sign: x minimises V, so its gradient is "
    "+∂V/∂x = f'(x)·(y − 1)": _gradients(x_sign=-1.0),
    "for x < 0, f(x) = x and f'(x) = 1: you used the x² branch there": _gradients(
        lambda x: x * x, lambda x: 2 * x
    ),
    "at x = 0, f is on its x² branch (x ≥ 0), so f'(0) = 0: test x < 0 for the linear "
    "branch, not x ≤ 0": _gradients(
        lambda x: x if x <= 0 else x * x, lambda x: 1.0 if x <= 0 else 2 * x
    ),
    "for x ≥ 0, f(x) = x² and f'(x) = 2x: you used the linear branch there": _gradients(
        lambda x: x, lambda x: 1.0
    ),
    "∂V/∂x = f'(x)·(y − 1): the factor is y − 1, not y": _gradients(offset=0.0),
    "the result is (g_y, g_x): return (player x's gradient, player y's gradient), in that "
    "order": lambda x, y: PIECEWISE(x, y)[::-1],
}


def _mistaken_gradients(x: float, y: float) -> dict[str, Tensor]:
    return {h: torch.tensor(m(x, y), dtype=torch.float64) for h, m in GRADIENT_MISTAKES.items()}


def _gradients_case(points: Sequence[tuple[float, float]]) -> Probe:
    """A case for ``piecewise_cost_gradients`` at each (x, y), against the closed form."""

    def judge(answers: list) -> Outcome:
        outcomes = []
        for (x, y), answer in zip(points, answers, strict=True):
            what = f"piecewise_cost_gradients(x={x:.6g}, y={y:.6g}) = (g_x, g_y)"
            got = torch.tensor(as_floats(answer, 2, what), dtype=torch.float64)
            expected = torch.tensor(PIECEWISE(x, y), dtype=torch.float64)
            mistakes = partial(_mistaken_gradients, x, y)
            outcomes.append(compare_with_mistakes(got, expected, mistakes, what=what))
        return first_failure(outcomes)

    return Probe(lambda student: [student(x, y) for x, y in points], judge)


def _points(n: int, x_range: tuple[float, float], seed: int) -> list[tuple[float, float]]:
    """``n`` points with x uniform in ``x_range`` and y uniform in [−2, 3]."""
    xs, ys = uniform(n, *x_range, seed), uniform(n, -2.0, 3.0, seed + 1)
    return list(zip(xs, ys, strict=True))


# The stall of lesson 02 (f'(0) = 0 on the x² branch, and tiny on either side) and (1, 1).
DEAD_ZONE = [(0.0, 2.0), (0.0, -1.0), (1e-3, 2.0), (-1e-3, 2.0), (1.0, 1.0)]


# ---------------------------------------------------------------- 02.2: the running mean

MeanUpdate = Callable[[Any, Any, int], Any]  # (mean, value, t) -> the new mean


def _mean_update(mean: Tensor, value: Tensor, t: int, shift: int = 0) -> Tensor:
    """θ̄_t = θ̄_{t−1} + (θ_t − θ̄_{t−1}) / t; ``shift=1`` makes the wrong divisor t + 1."""
    return mean + (value - mean) / (t + shift)


MEAN_MISTAKES: dict[str, Callable[[Tensor, Tensor, int], Tensor]] = {
    "you divided by t + 1, but t already counts the new value: the mean of θ_1..θ_t is "
    "mean + (value − mean) / t": partial(_mean_update, shift=1),
    "you returned the old mean: the mean must include the current value": (
        lambda mean, value, t: mean
    ),
    "(mean + value) / 2 weighs the new value 1/2 at every t, an exponential average: the "
    "running mean weighs it 1/t": lambda mean, value, t: (mean + value) / 2,
}


def _mistaken_means(mean: Tensor, value: Tensor, t: int) -> dict[str, Tensor]:
    return {hint: m(mean, value, t) for hint, m in MEAN_MISTAKES.items()}


def _mean_what(mean: Tensor, value: Tensor, t: int) -> str:
    return f"running_mean_update(mean={_format_point(mean)}, value={_format_point(value)}, t={t})"


def _call_mean_update(student: MeanUpdate, mean: Tensor, value: Tensor, t: int) -> Tensor:
    answer = student(mean.clone().numpy(), value.clone().numpy(), t)
    return as_array(answer, (2,), _mean_what(mean, value, t))


def _mean_stream(update: Callable[[Tensor, Tensor, int], Tensor], values: Tensor) -> Tensor:
    """(T, 2): the means ``update`` keeps over ``values`` (T, 2), from a zero mean at t = 1."""
    means, mean = [], torch.zeros(2, dtype=torch.float64)
    for t, value in enumerate(values, start=1):
        mean = update(mean, value, t)
        means.append(mean)
    return torch.stack(means)


def _naive_means(values: Tensor) -> Tensor:
    """(T, 2): row t − 1 is the mean of the stored values θ_1..θ_t."""
    return torch.stack([values[:t].mean(dim=0) for t in range(1, len(values) + 1)])


def _first_mean_case(seed: int) -> Probe:
    """At t = 1 the new mean is the value, whatever ``mean`` holds."""
    pairs = list(zip(_vectors(3, seed), _vectors(3, seed + 2), strict=True))

    def judge(answers: list) -> Outcome:
        outcomes = []
        for (mean, value), answer in zip(pairs, answers, strict=True):
            what = _mean_what(mean, value, 1)
            outcomes.append(
                compare_with_mistakes(
                    as_array(answer, (2,), what),
                    value,
                    partial(_mistaken_means, mean, value, 1),
                    what=what,
                )
            )
        return first_failure(outcomes)

    return Probe(
        lambda student: [student(m.clone().numpy(), v.clone().numpy(), 1) for m, v in pairs],
        judge,
    )


def _stream_case(seed: int, count: int) -> Probe:
    """``count`` updates (in the worker) against the mean of every value so far, stored."""
    values = _vectors(count, seed)

    def judge(means: Tensor) -> Outcome:
        return compare_runs(
            as_array(means, (count, 2), f"the running means of {count} values"),
            _naive_means(values),
            lambda: {h: _mean_stream(m, values) for h, m in MEAN_MISTAKES.items()},
            what=f"the running means of {count} values, updated from t = 1",
            row=lambda index: f"at t = {index + 1}",
        )

    return Probe(lambda student: _mean_stream(partial(_call_mean_update, student), values), judge)


def _vectors(n: int, seed: int) -> Tensor:
    """(n, 2) values uniform in [−2, 3]², the same on every run."""
    return torch.tensor(_points(n, (-2.0, 3.0), seed), dtype=torch.float64)


# ------------------------------------------------------------ 02.3: historical averaging

# (theta, mean, t, lr, weight, cost_gradients) -> (θ_{t+1}, θ̄_t)
HAStep = Callable[..., Any]


def _ha_step(
    theta: Tensor,
    mean: Tensor,
    t: int,
    lr: float,
    weight: float,
    gradients: Gradients,
    *,
    anchor: str = "current",
    pull: float = 2.0,
    signs: tuple[float, float] = (1.0, 1.0),
    shift: int = 0,
    returned: str = "current",
) -> Tensor:
    """One step of historical averaging, (4,) = (θ_{t+1}, θ̄_t).

    θ̄_t = θ̄_{t−1} + (θ_t − θ̄_{t−1}) / t, then θ_{t+1} = θ_t − lr·(g(θ_t) + 2·weight·(θ_t − θ̄_t)).
    The keyword arguments' defaults give the right step; others make the known wrong ones.
    """
    current = _mean_update(mean, theta, t, shift)
    anchors = {"current": current, "past": mean}
    gradient = torch.tensor(gradients(*theta.tolist()), dtype=torch.float64)
    gradient = torch.tensor(signs, dtype=torch.float64) * gradient
    theta_next = theta - lr * (gradient + pull * weight * (theta - anchors[anchor]))
    means = {"current": current, "past": mean, "next": _mean_update(current, theta_next, t + 1)}
    return torch.cat([theta_next, means[returned]])


HA_MISTAKES: dict[str, dict[str, Any]] = {
    "the penalty used the mean of the past values θ_1..θ_(t−1): the mean must include the "
    "current value θ_t; update it first (θ̄_t = mean + (θ_t − mean) / t), then step": {
        "anchor": "past"
    },
    "the penalty weight·(θ − θ̄_t)² pulls θ towards the mean: its gradient is +2·weight·(θ − θ̄_t)": {
        "pull": -2.0
    },
    "the gradient of weight·(θ − θ̄_t)² is 2·weight·(θ − θ̄_t): the factor 2 is missing": {
        "pull": 1.0
    },
    "both players descend their own costs: θ_(t+1) = θ_t − lr·(g + 2·weight·(θ_t − θ̄_t)), "
    "g = cost_gradients(x_t, y_t)": {"signs": (-1.0, -1.0)},
    "cost_gradients already gives y's gradient of its own cost −V (the minus sign is in "
    "it): y descends it like x descends its own": {"signs": (1.0, -1.0)},
    "the running mean of θ_1..θ_t divides by t: θ̄_t = mean + (θ_t − mean) / t": {"shift": 1},
    "return θ̄_t, the mean of θ_1..θ_t (the current value included), not θ̄_(t+1): the next "
    "call folds θ_(t+1) in": {"returned": "next"},
    "you returned the mean that was passed in: return θ̄_t, which includes the current value θ_t": {
        "returned": "past"
    },
}


def _step_what(theta: Tensor, mean: Tensor, t: int, lr: float, weight: float, game: str) -> str:
    return (
        f"historical_averaging_step(theta={_format_point(theta)}, mean={_format_point(mean)}, "
        f"t={t}, lr={lr:g}, weight={weight:g}) on the {game} = (θ_(t+1), θ̄_t)"
    )


def _call_ha_step(
    student: HAStep,
    game: str,
    theta: Tensor,
    mean: Tensor,
    t: int,
    lr: float,
    weight: float,
    gradients: Gradients,
) -> Tensor:
    """The student's step as (4,) = (θ_{t+1}, θ̄_t); it gets NumPy copies of θ and the mean."""
    got = student(theta.clone().numpy(), mean.clone().numpy(), t, lr, weight, gradients)
    return _as_ha_step(got, _step_what(theta, mean, t, lr, weight, game))


def _as_ha_step(got: object, what: str) -> Tensor:
    """A step's answer, a pair (θ_(t+1), θ̄_t), as (4,)."""
    if not isinstance(got, tuple | list) or len(got) != 2:
        raise CaseFailed(f"{what}: expected a pair (theta_next, mean), got {got!r:.60}")
    return torch.cat([as_array(part, (2,), what) for part in got])


OTHER_GAME = (
    "that is the step on the piecewise game: use the cost_gradients passed in, "
    "cost_gradients(x_t, y_t)"
)


def _mistaken_steps(gradients: Gradients, *state: Any) -> dict[str, Tensor]:
    mistakes = {h: _ha_step(*state, gradients, **kw) for h, kw in HA_MISTAKES.items()}
    mistakes[OTHER_GAME] = _ha_step(*state, PIECEWISE)
    return mistakes


def _one_step_case(states: Sequence[tuple], gradients: Gradients, game: str) -> Probe:
    """A case for one step from each (θ_t, θ̄_(t−1), t, lr, weight) in ``states``."""

    def run(student: HAStep) -> list:
        return [
            student(theta.clone().numpy(), mean.clone().numpy(), t, lr, weight, gradients)
            for theta, mean, t, lr, weight in states
        ]

    def judge(answers: list) -> Outcome:
        outcomes = []
        for state, answer in zip(states, answers, strict=True):
            outcomes.append(
                compare_with_mistakes(
                    _as_ha_step(answer, _step_what(*state, game)),
                    _ha_step(*state, gradients),
                    partial(_mistaken_steps, gradients, *state),
                    what=_step_what(*state, game),
                )
            )
        return first_failure(outcomes)

    return Probe(run, judge)


def _states(ts: Sequence[int], seed: int) -> list[tuple]:
    """(θ_t, θ̄_(t−1), t, lr, weight) at random points, lr in [0.01, 0.1), weight in [0.1, 1)."""
    n = len(ts)
    thetas, means = _vectors(n, seed), _vectors(n, seed + 2)
    lrs, weights = uniform(n, 0.01, 0.1, seed + 4), uniform(n, 0.1, 1.0, seed + 5)
    return list(zip(thetas, means, ts, lrs, weights, strict=True))


def _rows(
    step: Callable[..., Tensor],
    start: tuple[float, float],
    lr: float,
    weight: float,
    gradients: Gradients,
    steps: int,
) -> Tensor:
    """(steps, 4): row t − 1 is (θ_(t+1), θ̄_t) of step t, from θ_1 = start, a zero mean."""
    theta, mean = torch.tensor(start, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    rows = []
    for t in range(1, steps + 1):
        row = step(theta, mean, t, lr, weight, gradients)
        theta, mean = row[:2], row[2:]
        rows.append(row)
    return torch.stack(rows)


def _naive_rows(
    start: tuple[float, float], lr: float, weight: float, gradients: Gradients, steps: int
) -> Tensor:
    """The rows of :func:`_rows` from a loop that keeps every θ and averages them all."""
    history = [torch.tensor(start, dtype=torch.float64)]
    rows = []
    for _ in range(steps):
        theta, mean = history[-1], torch.stack(history).mean(dim=0)  # θ̄_t includes θ_t
        gradient = torch.tensor(gradients(*theta.tolist()), dtype=torch.float64)
        history.append(theta - lr * (gradient + 2 * weight * (theta - mean)))
        rows.append(torch.cat([history[-1], mean]))
    return torch.stack(rows)


def _mistaken_runs(run: Callable[[Callable[..., Tensor]], Tensor]) -> dict[str, Tensor]:
    return {h: run(partial(_ha_step, **kw)) for h, kw in HA_MISTAKES.items()}


def _run_case(
    start: tuple[float, float],
    lr: float,
    weight: float,
    steps: int,
    expected: Callable[[], Tensor],
) -> Probe:
    """A case that runs the student's step ``steps`` times on the piecewise game (in the
    worker); ``expected()`` gives the (steps, 4) rows (θ_(t+1), θ̄_t) of :func:`_rows`."""

    def rows(step: Callable[..., Tensor]) -> Tensor:
        return _rows(step, start, lr, weight, PIECEWISE, steps)

    def judge(got: Tensor) -> Outcome:
        return compare_runs(
            as_array(got, (steps, 4), f"{steps} steps of historical_averaging_step"),
            expected(),
            partial(_mistaken_runs, rows),
            what=f"{steps} steps from ({start[0]:g}, {start[1]:g}) at lr={lr:g}, weight={weight:g}",
            row=lambda index: f"step t = {index + 1} gives (θ_(t+1), θ̄_t)",
        )

    return Probe(lambda student: rows(partial(_call_ha_step, student, "piecewise game")), judge)


def _lesson_rows(start: tuple[float, float], steps: int) -> Tensor:
    """The rows of :func:`_rows` from the lesson's run: θ_2..θ_(T+1) by ganlab.games.simulate,
    each beside the mean of the iterates before it."""
    run = simulate(
        PiecewiseGame(),
        "historical_averaging",
        start,
        lr=DEFAULT_HA_LR,
        steps=steps,
        weight=DEFAULT_WEIGHT,
    )
    thetas = torch.tensor(run.points.tolist(), dtype=torch.float64)  # (steps + 1, 2): θ_1..θ_(T+1)
    counts = torch.arange(1, steps + 1, dtype=torch.float64).unsqueeze(1)  # (steps, 1)
    return torch.cat([thetas[1:], thetas[:-1].cumsum(dim=0) / counts], dim=1)


# The lesson's run is made now, and kept as tuples: submitted code runs later and can
# neither change how it is made nor the numbers.
LESSON_START, LESSON_STEPS = (-1.5, 2.0), 1000
LESSON_ROWS = tuple(map(tuple, _lesson_rows(LESSON_START, LESSON_STEPS).tolist()))
NAIVE_START, NAIVE_LR, NAIVE_WEIGHT, NAIVE_STEPS = (2.0, 0.5), 0.05, 0.5, 300


# ------------------------------------------------- 02.4: the stable weights (derived)

WeightRange = Callable[[float], Any]  # lr -> (w_min, w_max)


def _equilibrium_jacobian(h: float = 1e-5) -> Tensor:
    """(2, 2): the Jacobian of the cost gradients at (1, 1), by central differences of the
    closed-form gradients (both branches are smooth there)."""
    columns = []
    for dx, dy in ((h, 0.0), (0.0, h)):
        plus = torch.tensor(PIECEWISE(1.0 + dx, 1.0 + dy), dtype=torch.float64)
        minus = torch.tensor(PIECEWISE(1.0 - dx, 1.0 - dy), dtype=torch.float64)
        columns.append((plus - minus) / (2 * h))
    return torch.stack(columns, dim=1)


def _spectral_radius(lr: float, weights: Tensor, jacobian: Tensor) -> Tensor:
    """(n,): the largest |eigenvalue| of the linearised step θ − θ* ↦ (I − lr·(J + 2w·I))(θ − θ*)
    (the mean held fixed), for each weight w."""
    eye = torch.eye(2, dtype=torch.float64)
    matrices = eye - lr * (jacobian + 2 * weights.reshape(-1, 1, 1) * eye)  # (n, 2, 2)
    return torch.linalg.eigvals(matrices).abs().amax(dim=1)


def _stable_weights(lr: float) -> tuple[float, float] | None:
    """(w_min, w_max) where the linearised step is stable, found numerically: a scan of w over
    [1e-4, 1e4] for a stable weight, then a bisection on each side; None if none is stable."""
    jacobian = _equilibrium_jacobian()
    grid = torch.logspace(-4, 4, 4001, dtype=torch.float64)
    stable = _spectral_radius(lr, grid, jacobian) < 1
    if not stable.any():
        return None
    first, last = int(stable.nonzero()[0]), int(stable.nonzero()[-1])
    if first == 0 or last == len(grid) - 1:
        raise ValueError(f"the stable weights at lr={lr} reach the end of the scan")

    def edge(unstable: float, inside: float) -> float:
        for _ in range(200):
            middle = (unstable + inside) / 2
            if middle in (unstable, inside):
                break
            is_stable = _spectral_radius(lr, torch.tensor([middle]), jacobian)[0] < 1
            unstable, inside = (unstable, middle) if is_stable else (middle, inside)
        return (unstable + inside) / 2

    return (
        edge(float(grid[first - 1]), float(grid[first])),
        edge(float(grid[last + 1]), float(grid[last])),
    )


def _window(lr: float, omega: float, pull: float) -> tuple[float, float]:
    """The window of a known wrong derivation: rotation rate ``omega``, penalty gradient
    ``pull``·w·(θ − θ̄) (the right ones: 2 and 2)."""
    root = math.sqrt(max(1 - omega * omega * lr * lr, 0.0))
    return (1 - root) / (pull * lr), (1 + root) / (pull * lr)


WEIGHT_MISTAKES: dict[str, Callable[[float], tuple[float, float]]] = {
    "your window is that of a rotation as slow as the xy game's: linearise the piecewise "
    "game's cost gradients at (1, 1) (their Jacobian involves f'(1))": partial(
        _window, omega=1.0, pull=2.0
    ),
    "the penalty w·(θ − θ̄)² has the gradient 2w·(θ − θ̄): your window misses the factor 2": (
        partial(_window, omega=2.0, pull=1.0)
    ),
    "return (w_min, w_max), the smaller weight first": lambda lr: _window(lr, 2.0, 2.0)[::-1],
    "those are the limits for a small lr only: solve the stability condition exactly": (
        lambda lr: (lr, 1 / lr)
    ),
    "you left out the rotation: the linearised step holds the Jacobian of the cost gradients "
    "at (1, 1) as well as the penalty's pull": lambda lr: (0.0, 1 / lr),
}


def _weights_what(lr: float) -> str:
    return f"stable_weight_range(lr={lr:g}) = (w_min, w_max)"


def _weights_case(lrs: Sequence[float]) -> Probe:
    """(w_min, w_max) at each lr against the grader's scan and bisection."""

    def judge(answers: list) -> Outcome:
        outcomes = []
        for lr, answer in zip(lrs, answers, strict=True):
            what = _weights_what(lr)
            got = torch.tensor(as_floats(answer, 2, what), dtype=torch.float64)
            window = _stable_weights(lr)
            if window is None:  # not among the graded lrs; a safeguard
                raise CaseFailed(f"{what}: the grader found no stable weight")
            if torch.isinf(got[1]) and torch.isfinite(got[0]):
                outcomes.append(
                    Outcome(
                        False,
                        f"{what}: got w_max = {got[1].item()}\nthe stable weights are bounded "
                        "above too: with a large weight the step overshoots",
                    )
                )
                continue
            outcomes.append(
                compare_with_mistakes(
                    got,
                    torch.tensor(window, dtype=torch.float64),
                    lambda lr=lr: {
                        hint: torch.tensor(m(lr), dtype=torch.float64)
                        for hint, m in WEIGHT_MISTAKES.items()
                    },
                    what=what,
                )
            )
        return first_failure(outcomes)

    return Probe(lambda student: [student(lr) for lr in lrs], judge)


UNSTABLE_LRS = (0.6, 1.0, 3.0)


def _unstable_run(student: WeightRange) -> list:
    out: list = []
    for lr in UNSTABLE_LRS:
        try:
            out.append(["returned", repr(student(lr))[:80]])
        except NotImplementedError:
            raise
        except ValueError:
            out.append(["ValueError", ""])
        except Exception as err:  # noqa: BLE001 - the student's code may raise anything
            out.append([type(err).__name__, str(err)[:80]])
    return out


def _unstable_judge(answers: list) -> Outcome:
    for lr, (kind, text) in zip(UNSTABLE_LRS, answers, strict=True):
        if kind == "ValueError":
            continue
        if kind == "returned":
            return Outcome(
                False,
                f"{_weights_what(lr)} returned {text}: at this lr no weight makes the "
                "linearised step stable; raise a ValueError that says so",
            )
        return Outcome(False, f"{_weights_what(lr)} raised {kind} ({text}); expected a ValueError")
    return Outcome(True, "ValueError where no weight is stable")


EXERCISES = (
    Exercise(
        "02.1",
        "the players' cost gradients on the piecewise game",
        "piecewise_cost_gradients",
        (
            Case(
                "x < 0, where f(x) = x, and x > 0, where f(x) = x²",
                1,
                combine(
                    _gradients_case(_points(5, (-3.0, -0.1), 400)),
                    _gradients_case(_points(5, (0.1, 3.0), 410)),
                ),
            ),
            Case(
                "the dead zone x = 0, ±1e-3 (f'(0) = 0) and the equilibrium (1, 1)",
                1,
                _gradients_case(DEAD_ZONE),
            ),
        ),
    ),
    Exercise(
        "02.2",
        "the running mean, updated online",
        "running_mean_update",
        (
            Case(
                "t = 1: the mean of one value is that value, whatever `mean` holds",
                1,
                _first_mean_case(500),
            ),
            Case(
                "200 values: the mean of all values so far, against a naive mean of them stored",
                1,
                _stream_case(510, 200),
            ),
        ),
    ),
    Exercise(
        "02.3",
        "one historical-averaging step",
        "historical_averaging_step",
        (
            Case(
                "the first step, t = 1 (no pull, whatever `mean` holds), single steps at "
                "t = 2, 3, 10, 50, and lr = 0 (θ stays, the mean takes θ_t in)",
                1,
                combine(
                    _one_step_case(_states((1, 1, 1), 600), PIECEWISE, "piecewise game"),
                    _one_step_case(
                        _states((2, 3, 10, 50), 610)
                        + [(state[0], state[1], 7, 0.0, 0.5) for state in _states((7,), 620)],
                        PIECEWISE,
                        "piecewise game",
                    ),
                ),
            ),
            Case(
                "single steps on the xy game: the step uses the cost_gradients passed in",
                1,
                _one_step_case(_states((1, 4), 630), _xy_gradients, "xy game"),
            ),
            Case(
                f"{NAIVE_STEPS} steps against a naive loop that keeps every θ and averages "
                f"them; {LESSON_STEPS} steps from {LESSON_START}, the lesson's run "
                "(ganlab.games.simulate)",
                1,
                combine(
                    _run_case(
                        NAIVE_START,
                        NAIVE_LR,
                        NAIVE_WEIGHT,
                        NAIVE_STEPS,
                        partial(
                            _naive_rows,
                            NAIVE_START,
                            NAIVE_LR,
                            NAIVE_WEIGHT,
                            PIECEWISE,
                            NAIVE_STEPS,
                        ),
                    ),
                    _run_case(
                        LESSON_START,
                        DEFAULT_HA_LR,
                        DEFAULT_WEIGHT,
                        LESSON_STEPS,
                        partial(torch.tensor, LESSON_ROWS, dtype=torch.float64),
                    ),
                ),
            ),
        ),
    ),
    Exercise(
        "02.4",
        "the weights that make historical averaging stable (derived)",
        "stable_weight_range",
        (
            Case(
                "the lesson's learning rates, lr = 0.05 and 0.1",
                1,
                _weights_case([DEFAULT_HA_LR, 0.1]),
            ),
            Case(
                "learning rates from 0.002 to 0.49",
                1,
                _weights_case([0.002, 0.02, 0.2, 0.3, 0.45, 0.49]),
            ),
            Case(
                "learning rates at which no weight is stable: ValueError",
                1,
                Probe(_unstable_run, _unstable_judge),
            ),
        ),
    ),
)
