"""Two-player scalar games of §3: the xy game, the piecewise game, and games of your own.

Every game has a value V(x, y); player x chooses x to *minimise* V and player y chooses y
to *maximise* it, i.e. player x's cost is V and player y's cost is −V.  A game exposes

- :meth:`Game.value` — V(x, y),
- :meth:`Game.partials` — the two partial derivatives (∂V/∂x, ∂V/∂y),
- :meth:`Game.cost_gradients` — each player's gradient of its *own* cost, (∂V/∂x, −∂V/∂y),
  the field that gradient descent follows downhill,
- :attr:`Game.equilibrium` — the Nash equilibrium (x*, y*), when known.

All arithmetic is float64 NumPy; inputs broadcast, so one call evaluates many points.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np
import torch
from numpy.typing import ArrayLike

_JACOBIAN_STEP = 1e-6  # central differences: error O(h²) ≈ 1e-12, round-off O(eps/h) ≈ 1e-10


def _float64(x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    return x, y


class Game(ABC):
    """A two-player zero-sum game on the plane: x minimises V(x, y), y maximises it.

    Subclasses define :meth:`value` and :meth:`partials`; everything else (the dynamics
    of :func:`ganlab.games.simulate`, the Jacobian, the plots) is built on those two.
    """

    #: a short name for titles and legends
    name: str = "game"
    #: V(x, y) in LaTeX, for titles
    formula: str = "V(x, y)"

    def __init__(self, equilibrium: ArrayLike | None = None) -> None:
        if equilibrium is not None:
            equilibrium = np.asarray(equilibrium, dtype=np.float64)
            if equilibrium.shape != (2,):
                raise ValueError(
                    f"equilibrium must be a point (x*, y*) of shape (2,), got shape "
                    f"{equilibrium.shape}"
                )
        self._equilibrium = equilibrium

    @property
    def equilibrium(self) -> np.ndarray | None:
        """The Nash equilibrium (x*, y*) as a float64 array of shape (2,), or None if unknown."""
        return None if self._equilibrium is None else self._equilibrium.copy()

    @abstractmethod
    def value(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """V(x, y), elementwise over broadcast ``x`` and ``y``."""

    @abstractmethod
    def partials(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(∂V/∂x, ∂V/∂y), elementwise over broadcast ``x`` and ``y``."""

    def cost_gradients(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """Each player's gradient of its own cost: (∂V/∂x, −∂V/∂y).

        Player x's cost is V and player y's cost is −V, so simultaneous gradient descent is
        ``(x, y) ← (x, y) − lr · cost_gradients(x, y)``.
        """
        dv_dx, dv_dy = self.partials(x, y)
        return dv_dx, -dv_dy

    def jacobian(self, point: ArrayLike) -> np.ndarray:
        """The 2×2 Jacobian of :meth:`cost_gradients` at ``point``, by central differences.

        Its eigenvalues decide what gradient dynamics do near an equilibrium: eigenvalues on
        the imaginary axis (±iω, as in the xy game) mean rotation with no pull inwards,
        which simultaneous gradient descent turns into an outward spiral (Mescheder et al.,
        2017).  Rows are (∂/∂x, ∂/∂y) of player x's and player y's gradient.
        """
        point = np.asarray(point, dtype=np.float64)
        if point.shape != (2,):
            raise ValueError(f"point must have shape (2,), got {point.shape}")
        h = _JACOBIAN_STEP
        columns = []
        for direction in np.eye(2):
            plus = np.array(self.cost_gradients(*(point + h * direction)))
            minus = np.array(self.cost_gradients(*(point - h * direction)))
            columns.append((plus - minus) / (2 * h))
        return np.stack(columns, axis=1)  # (2, 2): [i, j] = ∂ g_i / ∂ θ_j

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, equilibrium={self._equilibrium})"


class XYGame(Game):
    """The paper's counterexample (§3): V(x, y) = x·y, equilibrium (0, 0).

    Player x minimises x·y, player y minimises −x·y.  The cost gradients (y, −x) rotate
    every point around the origin, so gradient descent orbits or spirals instead of
    converging.
    """

    name = "xy game"
    formula = r"V(x, y) = x\,y"

    def __init__(self) -> None:
        super().__init__(equilibrium=(0.0, 0.0))

    def value(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """V(x, y) = x·y."""
        x, y = _float64(x, y)
        return x * y

    def partials(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """∂V/∂x = y, ∂V/∂y = x."""
        x, y = _float64(x, y)
        return y.copy(), x.copy()


def _piecewise_f(x: np.ndarray) -> np.ndarray:
    """f(x) = x for x < 0 and x² otherwise."""
    return np.where(x < 0, x, x * x)


def _piecewise_df(x: np.ndarray) -> np.ndarray:
    """f'(x) = 1 for x < 0 and 2x otherwise."""
    return np.where(x < 0, 1.0, 2 * x)


class PiecewiseGame(Game):
    """The game of §3.3 that historical averaging solves: V(x, y) = (f(x) − 1)(y − 1).

    f(x) = x for x < 0 and x² otherwise; x minimises V, y maximises it.  The unique Nash
    equilibrium is (1, 1): player y is indifferent only when f(x) = 1, i.e. x = 1, and
    player x is indifferent only when y = 1.  Near x = 0, f'(x) = 2x vanishes, so player
    x's gradient dies out while player y's does not — the stall of lesson 02.
    """

    name = "piecewise game"
    formula = r"V(x, y) = (f(x) - 1)(y - 1)"

    def __init__(self) -> None:
        super().__init__(equilibrium=(1.0, 1.0))

    def value(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """V(x, y) = (f(x) − 1)(y − 1)."""
        x, y = _float64(x, y)
        return (_piecewise_f(x) - 1) * (y - 1)

    def partials(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """∂V/∂x = f'(x)(y − 1), ∂V/∂y = f(x) − 1."""
        x, y = _float64(x, y)
        return _piecewise_df(x) * (y - 1), _piecewise_f(x) - 1


ValueFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


class CustomGame(Game):
    """A game defined by a Python function of (x, y); derivatives by torch autograd.

    ``value_fn(x, y)`` receives two float64 tensors of the same shape and must return V
    elementwise (same shape), written with torch operations (``torch.where``,
    ``torch.exp``, ``*``, ``**``, ...), e.g. ``lambda x, y: x * y + 0.1 * x**2``.
    Use :func:`game_from_function` to build one.
    """

    def __init__(
        self,
        value_fn: ValueFn,
        equilibrium: ArrayLike | None = None,
        name: str = "custom game",
        formula: str = "V(x, y)",
    ) -> None:
        if not callable(value_fn):
            raise TypeError(f"value_fn must be a function of (x, y), got {type(value_fn)}")
        super().__init__(equilibrium)
        self.value_fn = value_fn
        self.name = name
        self.formula = formula
        self._probe()

    def _probe(self) -> None:
        """Fail at construction, with a hint, if value_fn cannot be differentiated."""
        try:
            self.partials(np.array([0.3, -0.7]), np.array([-0.2, 1.1]))
        except Exception as err:
            raise TypeError(
                "value_fn(x, y) must take two float64 torch tensors and return V "
                "elementwise as a tensor of the same shape, using torch operations "
                f"(torch.where, not np.where); calling it failed with: {err}"
            ) from err

    def _evaluate(self, x: np.ndarray, y: np.ndarray, grad: bool) -> tuple[torch.Tensor, ...]:
        xt = torch.tensor(x, dtype=torch.float64, requires_grad=grad)
        yt = torch.tensor(y, dtype=torch.float64, requires_grad=grad)
        v = self.value_fn(xt, yt)
        if not isinstance(v, torch.Tensor) or v.shape != xt.shape:
            got = tuple(v.shape) if isinstance(v, torch.Tensor) else type(v).__name__
            raise ValueError(f"value_fn must return a tensor of shape {tuple(xt.shape)}, got {got}")
        return v, xt, yt

    def value(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """V(x, y) = value_fn(x, y), in float64."""
        with torch.no_grad():
            v, _, _ = self._evaluate(*_float64(x, y), grad=False)
        return v.numpy()

    def partials(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(∂V/∂x, ∂V/∂y) by autograd; V_i depends on (x_i, y_i) only, so ∇ Σ V gives each."""
        v, xt, yt = self._evaluate(*_float64(x, y), grad=True)
        dv_dx, dv_dy = torch.autograd.grad(v.sum(), (xt, yt), allow_unused=True)
        zeros = torch.zeros_like(xt)  # a V that ignores a player has zero partial for it
        dv_dx = zeros if dv_dx is None else dv_dx
        dv_dy = zeros if dv_dy is None else dv_dy
        return dv_dx.detach().numpy(), dv_dy.detach().numpy()


def game_from_function(
    value_fn: ValueFn,
    equilibrium: ArrayLike | None = None,
    name: str = "custom game",
    formula: str = "V(x, y)",
) -> CustomGame:
    """Your own two-player scalar game: x minimises ``value_fn(x, y)``, y maximises it.

    Args:
        value_fn: V(x, y) on float64 torch tensors, elementwise, with torch operations.
        equilibrium: the Nash equilibrium (x*, y*) if you know it (needed for distances).
        name: a short name for titles and legends.
        formula: V in LaTeX, for titles.

    Example:
        >>> game = game_from_function(lambda x, y: x * y + 0.05 * x**2, equilibrium=(0, 0))
        >>> traj = simulate(game, "simultaneous", (1.0, 1.0), lr=0.1, steps=100)
    """
    return CustomGame(value_fn, equilibrium=equilibrium, name=name, formula=formula)
