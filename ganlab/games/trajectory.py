"""The result of :func:`~ganlab.games.simulate`: the iterates and what produced them.

A :class:`Trajectory` holds the (T, 2) or (T, M, 2) float64 array of iterates θ_0, θ_1, ...
in ``points``, plus the game, method, lr and options of the run and whether each run
diverged.  It is a dataclass, not an array, but it indexes (``traj[-1, 0]``), has a length
and converts with ``np.asarray(traj)`` like its ``points``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from ganlab.games.games import Game


@dataclass(eq=False)
class Trajectory:
    """The iterates θ_0, θ_1, ... of :func:`simulate` and what produced them.

    ``points`` has shape (T, 2) for one start, (T, M, 2) for M starts, with T = steps + 1
    unless every run diverged earlier.  ``traj[index]``, ``len(traj)``, ``traj.shape`` and
    ``np.asarray(traj)`` act on ``points``; for anything else (arithmetic, reductions) use
    ``traj.points`` or ``np.asarray(traj)``.

    Attributes:
        points: the iterates, float64.
        game: the game played.
        method: the update rule.
        lr: the learning rate.
        options: method options, e.g. ``{"weight": 0.2}``.
        diverged: one start: a bool; M starts: bool array (M,).
        diverged_at: the step whose iterate left |θ| ≤ bound (or was not finite): one
            start: an int or None; M starts: int array (M,), −1 where it did not diverge.
    """

    points: np.ndarray = field(repr=False)
    game: Game
    method: str
    lr: float
    options: dict[str, float] = field(default_factory=dict)
    diverged: bool | np.ndarray = False
    diverged_at: int | None | np.ndarray = None

    def __post_init__(self) -> None:
        self.points = np.asarray(self.points, dtype=np.float64)

    def __array__(self, dtype: object = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self.points, dtype=dtype, copy=True)
        return np.asarray(self.points, dtype=dtype)

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: object) -> np.ndarray:
        return self.points[index]

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``points``: (T, 2) or (T, M, 2)."""
        return self.points.shape

    def distances(self) -> np.ndarray:
        """‖θ_t − θ*‖ per step: (T,) for one start, (T, M) for M starts; NaN after divergence."""
        equilibrium = self.game.equilibrium
        if equilibrium is None:
            raise ValueError(
                f"{self.game.name} has no known equilibrium; pass equilibrium=(x*, y*) "
                "to game_from_function to measure distances"
            )
        return np.linalg.norm(self.points - equilibrium, axis=-1)

    def converged(self, tol: float = 1e-2) -> bool | np.ndarray:
        """Whether the last iterate is within ``tol`` of the equilibrium (and finite)."""
        final = self.distances()[-1]
        within = np.isfinite(final) & (final < tol) & ~np.asarray(self.diverged)
        return bool(within) if within.ndim == 0 else within


def running_mean(points: ArrayLike) -> np.ndarray:
    """θ̄_t = (1/t) Σ_{i=1..t} θ[i] along axis 0 — the average play of fictitious play.

    ``points``: (T, 2) or (T, M, 2) iterates; returns the same shape, row t−1 holding the
    mean of the first t rows.
    """
    points = np.asarray(points, dtype=np.float64)
    counts = np.arange(1, len(points) + 1).reshape((-1,) + (1,) * (points.ndim - 1))
    return np.cumsum(points, axis=0) / counts
