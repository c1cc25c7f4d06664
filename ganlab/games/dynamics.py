"""Gradient dynamics on two-player games: the update rules of §3 and beyond.

Write θ = (x, y) and g(θ) = (∂V/∂x, −∂V/∂y) for the players' cost gradients
(:meth:`~ganlab.games.Game.cost_gradients`).  :func:`simulate` runs one of

- ``"simultaneous"``:  θ_{t+1} = θ_t − lr · g(θ_t)
- ``"alternating"``:   x_{t+1} = x_t − lr · ∂V/∂x(x_t, y_t), then
  y_{t+1} = y_t + lr · ∂V/∂y(x_{t+1}, y_t)  (y sees the new x)
- ``"historical_averaging"`` (§3.3): each player's cost gets
  weight · ‖θ − θ̄_t‖², θ̄_t = (1/t) Σ_{i=1..t} θ[i] the mean of its values so far, the
  current one included (θ[1] is the start).  The mean is treated as a constant when
  differentiating, so θ_{t+1} = θ_t − lr · (g(θ_t) + 2 · weight · (θ_t − θ̄_t)), and the
  mean is updated online: θ̄_{t+1} = θ̄_t + (θ_{t+1} − θ̄_t) / (t + 1).
- ``"extragradient"`` (Korpelevich 1976): look ahead θ' = θ_t − lr · g(θ_t), then
  θ_{t+1} = θ_t − lr · g(θ').
- ``"optimistic"`` (Daskalakis et al. 2018): θ_{t+1} = θ_t − 2 lr · g(θ_t) + lr · g(θ_{t−1}),
  with g(θ_{−1}) = g(θ_0), so the first step is plain gradient descent.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from ganlab.games.games import Game
from ganlab.games.trajectory import Trajectory

#: Historical-averaging defaults for the piecewise game.  From 1000 uniform random starts in
#: [−2, 3]² every run ends within 1e-2 of (1, 1) after DEFAULT_HA_STEPS steps (the worst at
#: 0.0044); lesson 02's sweep maps the neighbourhood.  Stability there needs
#: lr < weight / (1 + weight²) (:func:`~ganlab.games.historical_averaging_max_lr`).
DEFAULT_WEIGHT = 0.2
DEFAULT_HA_LR = 0.05
DEFAULT_HA_STEPS = 20_000

#: |coordinate| above which a run counts as diverged
DEFAULT_BOUND = 1e6

_Step = Callable[[np.ndarray], np.ndarray]  # θ_t (M, 2) -> θ_{t+1} (M, 2)


class DivergenceWarning(RuntimeWarning):
    """A run left the box |θ| ≤ bound (or overflowed); :func:`simulate` stopped it there."""


def _cost_gradients(game: Game, theta: np.ndarray) -> np.ndarray:
    gx, gy = game.cost_gradients(theta[:, 0], theta[:, 1])
    return np.stack([gx, gy], axis=1)  # (M, 2)


def _simultaneous(game: Game, lr: float, start: np.ndarray) -> _Step:
    def step(theta: np.ndarray) -> np.ndarray:
        return theta - lr * _cost_gradients(game, theta)

    return step


def _alternating(game: Game, lr: float, start: np.ndarray) -> _Step:
    def step(theta: np.ndarray) -> np.ndarray:
        x, y = theta[:, 0], theta[:, 1]
        x_next = x - lr * game.partials(x, y)[0]
        y_next = y + lr * game.partials(x_next, y)[1]
        return np.stack([x_next, y_next], axis=1)

    return step


def _historical_averaging(
    game: Game, lr: float, start: np.ndarray, weight: float = DEFAULT_WEIGHT
) -> _Step:
    if not np.isfinite(weight) or weight < 0:
        raise ValueError(f"weight must be a finite number ≥ 0, got {weight!r}")
    mean = start.copy()  # θ̄_1 = θ[1], the start
    count = 1

    def step(theta: np.ndarray) -> np.ndarray:
        nonlocal mean, count
        theta_next = theta - lr * (_cost_gradients(game, theta) + 2 * weight * (theta - mean))
        count += 1
        mean = mean + (theta_next - mean) / count
        return theta_next

    return step


def _extragradient(game: Game, lr: float, start: np.ndarray) -> _Step:
    def step(theta: np.ndarray) -> np.ndarray:
        lookahead = theta - lr * _cost_gradients(game, theta)
        return theta - lr * _cost_gradients(game, lookahead)

    return step


def _optimistic(game: Game, lr: float, start: np.ndarray) -> _Step:
    previous = _cost_gradients(game, start)

    def step(theta: np.ndarray) -> np.ndarray:
        nonlocal previous
        current = _cost_gradients(game, theta)
        theta_next = theta - 2 * lr * current + lr * previous
        previous = current
        return theta_next

    return step


_METHODS: dict[str, Callable[..., _Step]] = {
    "simultaneous": _simultaneous,
    "alternating": _alternating,
    "historical_averaging": _historical_averaging,
    "extragradient": _extragradient,
    "optimistic": _optimistic,
}
_OPTIONS: dict[str, tuple[str, ...]] = {"historical_averaging": ("weight",)}

#: the update rules :func:`simulate` knows
METHODS: tuple[str, ...] = tuple(_METHODS)


def _check_start(start: ArrayLike) -> np.ndarray:
    start = np.asarray(start, dtype=np.float64)
    if start.ndim not in (1, 2) or start.shape[-1] != 2:
        raise ValueError(
            f"start must be one point (x, y) of shape (2,) or M points of shape (M, 2), "
            f"got shape {start.shape}"
        )
    if not np.isfinite(start).all():
        raise ValueError("start must be finite")
    return start


def simulate(
    game: Game,
    method: str,
    start: ArrayLike,
    lr: float,
    steps: int,
    *,
    bound: float = DEFAULT_BOUND,
    **options: float,
) -> Trajectory:
    """Run ``steps`` updates of ``method`` on ``game`` from ``start``.

    Each player descends its own cost, θ_{t+1} = θ_t − lr · g(θ_t) for ``simultaneous``;
    ``historical_averaging`` (§3.3) adds weight · ‖θ − (1/t) Σ_{i=1..t} θ[i]‖² to each
    player's cost.  The module docstring gives every rule's update equations.

    Args:
        game: the game, e.g. :class:`~ganlab.games.XYGame`.
        method: one of :data:`METHODS`.
        start: (2,) one start, or (M, 2) M independent starts run together (phase portraits).
        lr: the learning rate (step size) of both players.
        steps: number of updates.
        bound: a run whose iterate has a coordinate with |·| > bound, or a non-finite one,
            has diverged: it is stopped at that step and reported.
        **options: method options; ``historical_averaging`` takes ``weight`` (default
            :data:`DEFAULT_WEIGHT`).

    Returns:
        A :class:`Trajectory` whose ``points`` are (steps + 1, 2) for one start or
        (steps + 1, M, 2) for M, the start at index 0.  A diverged run keeps its iterates
        up to the step where it left the bound; with M starts the later rows of that start
        are NaN.  Once every run has diverged the simulation stops, so T = (last divergence
        step) + 1 then.  Divergence is also reported with a :class:`DivergenceWarning`.
    """
    if not isinstance(game, Game):
        raise TypeError(
            "game must be a ganlab.games.Game such as XYGame(), PiecewiseGame() or "
            f"game_from_function(...), got {type(game).__name__}"
        )
    if method not in _METHODS:
        raise ValueError(f"unknown method {method!r}; valid methods are {', '.join(METHODS)}")
    unknown = sorted(set(options) - set(_OPTIONS.get(method, ())))
    if unknown:
        valid = ", ".join(_OPTIONS.get(method, ())) or "none"
        raise TypeError(f"{method} takes no option {', '.join(unknown)}; its options: {valid}")
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 0:
        raise ValueError(f"steps must be an int ≥ 0, got {steps!r}")
    if not bound > 0:
        raise ValueError(f"bound must be > 0 (np.inf to stop only on overflow), got {bound!r}")
    start = _check_start(start)
    single = start.ndim == 1
    theta = start.reshape(-1, 2)  # (M, 2)
    num_starts = len(theta)
    step = _METHODS[method](game, lr, theta.copy(), **options)

    points = np.full((steps + 1, num_starts, 2), np.nan)  # (T, M, 2)
    points[0] = theta
    diverged_at = np.full(num_starts, -1)
    alive = np.ones(num_starts, dtype=bool)
    last = steps
    # dead runs keep being updated with the live ones (rows are independent); their
    # overflowing arithmetic is expected and not worth a NumPy warning
    with np.errstate(over="ignore", invalid="ignore", under="ignore", divide="ignore"):
        for t in range(1, steps + 1):
            theta = step(theta)
            points[t, alive] = theta[alive]
            inside = np.isfinite(theta).all(axis=1) & (np.abs(theta) <= bound).all(axis=1)
            escaped = alive & ~inside
            diverged_at[escaped] = t
            alive &= ~escaped
            if not alive.any():
                last = t
                break

    diverged = diverged_at >= 0
    if diverged.any():
        _warn_divergence(game, method, diverged_at, bound, single)
    points = points[: last + 1]
    metadata = {"game": game, "method": method, "lr": float(lr), "options": dict(options)}
    if single:
        at = int(diverged_at[0])
        return Trajectory(
            points[:, 0],
            **metadata,
            diverged=bool(diverged[0]),
            diverged_at=at if at >= 0 else None,
        )
    return Trajectory(points, **metadata, diverged=diverged, diverged_at=diverged_at)


def _warn_divergence(
    game: Game, method: str, diverged_at: np.ndarray, bound: float, single: bool
) -> None:
    steps = diverged_at[diverged_at >= 0]
    if single:
        what = f"diverged at step {steps[0]}; the trajectory stops there"
    else:
        what = (
            f"{len(steps)} of {len(diverged_at)} runs diverged (first at step {steps.min()}); "
            "their rows are NaN after that step"
        )
    warnings.warn(
        f"{method} on the {game.name}: {what} (|θ| > {bound:g} or not finite)",
        DivergenceWarning,
        stacklevel=3,
    )


def grid_starts(low: float, high: float, num: int) -> np.ndarray:
    """A num × num grid of starts over [low, high]², shape (num², 2)."""
    ticks = np.linspace(low, high, num)
    xs, ys = np.meshgrid(ticks, ticks, indexing="xy")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


def random_starts(num: int, low: float, high: float, seed: int = 0) -> np.ndarray:
    """``num`` starts drawn uniformly from [low, high]², shape (num, 2), reproducible by seed."""
    return np.random.default_rng(seed).uniform(low, high, size=(num, 2))
