"""The result of :func:`~ganlab.games.simulate`: iterates that behave as an array.

A :class:`Trajectory` is the (T, 2) or (T, M, 2) float64 array of iterates θ_0, θ_1, ...
plus what produced it (game, method, lr, options) and whether each run diverged.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ganlab.games.games import Game


class Trajectory(np.ndarray):
    """The iterates θ_0, θ_1, ... of :func:`simulate`: a float64 array plus what produced it.

    Shape (T, 2) for one start, (T, M, 2) for M starts, with T = steps + 1 unless every run
    diverged earlier.  Indexing and arithmetic give plain arrays; the metadata stays here:

    Attributes:
        game: the game played.
        method: the update rule.
        lr: the learning rate.
        options: method options, e.g. ``{"weight": 0.2}``.
        diverged: one start: a bool; M starts: bool array (M,).
        diverged_at: the step whose iterate left |θ| ≤ bound (or was not finite): one
            start: an int or None; M starts: int array (M,), −1 where it did not diverge.
    """

    game: Game
    method: str
    lr: float
    options: dict[str, float]
    diverged: bool | np.ndarray
    diverged_at: int | None | np.ndarray

    def __new__(cls, points: np.ndarray, **metadata: object) -> Trajectory:
        obj = np.asarray(points, dtype=np.float64).view(cls)
        obj.__dict__.update(metadata)
        return obj

    def __array_finalize__(self, obj: np.ndarray | None) -> None:
        # views (reshape, copy) keep the metadata of the array they were taken from
        if isinstance(obj, Trajectory):
            self.__dict__.update(obj.__dict__)

    def __array_wrap__(
        self, array: np.ndarray, context: object = None, return_scalar: bool = False
    ) -> np.ndarray:
        # a derived quantity (θ − θ*, a norm, a max) is no longer a trajectory
        array = np.asarray(array)
        return array[()] if return_scalar else array

    def __getitem__(self, index: object) -> np.ndarray:
        return np.asarray(self)[index]

    def __reduce__(self) -> tuple:
        return (_rebuild_trajectory, (np.asarray(self), dict(self.__dict__)))

    def distances(self) -> np.ndarray:
        """‖θ_t − θ*‖ per step: (T,) for one start, (T, M) for M starts; NaN after divergence."""
        equilibrium = self.game.equilibrium
        if equilibrium is None:
            raise ValueError(
                f"{self.game.name} has no known equilibrium; pass equilibrium=(x*, y*) "
                "to game_from_function to measure distances"
            )
        return np.linalg.norm(np.asarray(self) - equilibrium, axis=-1)

    def converged(self, tol: float = 1e-2) -> bool | np.ndarray:
        """Whether the last iterate is within ``tol`` of the equilibrium (and finite)."""
        final = self.distances()[-1]
        within = np.isfinite(final) & (final < tol) & ~np.asarray(self.diverged)
        return bool(within) if within.ndim == 0 else within


def _rebuild_trajectory(points: np.ndarray, metadata: dict) -> Trajectory:
    return Trajectory(points, **metadata)


def running_mean(points: ArrayLike) -> np.ndarray:
    """θ̄_t = (1/t) Σ_{i=1..t} θ[i] along axis 0 — the average play of fictitious play.

    ``points``: (T, 2) or (T, M, 2) iterates; returns the same shape, row t−1 holding the
    mean of the first t rows.
    """
    points = np.asarray(points, dtype=np.float64)
    counts = np.arange(1, len(points) + 1).reshape((-1,) + (1,) * (points.ndim - 1))
    return np.cumsum(points, axis=0) / counts
