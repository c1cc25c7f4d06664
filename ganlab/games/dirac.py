"""The Dirac-GAN (Mescheder, Geiger & Nowozin, 2018): the smallest GAN, and a toy game.

The data is a point mass at 0; the generator is a point mass at θ; the discriminator is
linear, D(x) = ψ·x.  With f(t) = −log(1 + e^{−t}) the GAN's value is

    L(θ, ψ) = f(ψ·θ) + f(0),

which G (θ) minimises and D (ψ) maximises — a two-player scalar game like those of
lessons 01–02, so :func:`ganlab.games.simulate` runs every update rule on it.  The unique
equilibrium is (θ, ψ) = (0, 0): G sits on the data and D cannot tell them apart.

The cost gradients are g(θ, ψ) = f'(ψθ)·(ψ, −θ), always perpendicular to (θ, ψ): the field
only rotates the point about the equilibrium.  Linearised at (0, 0) the game is the xy game
scaled by ω = f'(0) = 1/2, so the closed forms of :mod:`ganlab.games.closed_forms` apply
with ``omega=DIRAC_OMEGA``.  One simultaneous step even has an exact radius factor
(:func:`simultaneous_radius_factor`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ganlab.games.games import Game, _float64


def f(t: ArrayLike) -> np.ndarray:
    """f(t) = −log(1 + e^{−t}) = log σ(t), elementwise (stable for large |t|)."""
    return -np.logaddexp(0.0, -np.asarray(t, dtype=np.float64))


def f_prime(t: ArrayLike) -> np.ndarray:
    """f'(t) = 1 / (1 + e^{t}) = σ(−t), elementwise; f'(0) = 1/2."""
    return np.exp(-np.logaddexp(0.0, np.asarray(t, dtype=np.float64)))


#: ω = f'(0), the rotation rate of the linearised game at the equilibrium
DIRAC_OMEGA = 0.5


class DiracGAN(Game):
    """The Dirac-GAN as a game: x = θ (G's position) minimises V, y = ψ (D's slope) maximises.

    V(θ, ψ) = f(ψθ) + f(0); ∂V/∂θ = f'(ψθ)·ψ and ∂V/∂ψ = f'(ψθ)·θ.  Equilibrium (0, 0).
    """

    name = "Dirac-GAN"
    formula = r"V(\theta, \psi) = f(\psi\theta) + f(0)"

    def __init__(self) -> None:
        super().__init__(equilibrium=(0.0, 0.0))

    def value(self, x: ArrayLike, y: ArrayLike) -> np.ndarray:
        """V(θ, ψ) = f(ψθ) + f(0), θ = ``x`` and ψ = ``y``."""
        theta, psi = _float64(x, y)
        return f(psi * theta) + f(0.0)

    def partials(self, x: ArrayLike, y: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
        """(∂V/∂θ, ∂V/∂ψ) = (f'(ψθ)·ψ, f'(ψθ)·θ)."""
        theta, psi = _float64(x, y)
        slope = f_prime(psi * theta)
        return slope * psi, slope * theta


def equilibrium_jacobian() -> np.ndarray:
    """The Jacobian of the cost gradients at (0, 0), in closed form: [[0, ω], [−ω, 0]].

    From g = f'(ψθ)·(ψ, −θ): every term with f''(ψθ) carries a factor θ or ψ and vanishes at
    the equilibrium.  Its eigenvalues are ±iω with ω = f'(0) = 1/2: pure rotation, no pull
    inwards — the situation of the xy game.  Shape (2, 2), rows as in
    :meth:`ganlab.games.Game.jacobian`.
    """
    return np.array([[0.0, DIRAC_OMEGA], [-DIRAC_OMEGA, 0.0]])


def simultaneous_radius_factor(points: ArrayLike, lr: float) -> np.ndarray:
    """The exact factor ‖θ_{t+1}‖ / ‖θ_t‖ of one simultaneous step from each point.

    The step adds −lr·g with g ⟂ (θ, ψ) and ‖g‖ = f'(ψθ)·‖(θ, ψ)‖, so by Pythagoras the radius
    grows by √(1 + (lr·f'(ψθ))²) > 1 — every step, not only near (0, 0), where it tends to
    √(1 + (lr·f'(0))²) (:func:`ganlab.games.simultaneous_growth` with ``omega=DIRAC_OMEGA``).

    Args:
        points: (..., 2) iterates (θ, ψ).
        lr: the learning rate (> 0).

    Returns:
        (...) the factor for each point.
    """
    if not np.isfinite(lr) or lr <= 0:
        raise ValueError(f"lr must be a finite number > 0, got {lr!r}")
    points = np.asarray(points, dtype=np.float64)
    if points.ndim == 0 or points.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2), got {points.shape}")
    slope = f_prime(points[..., 0] * points[..., 1])
    return np.sqrt(1 + (lr * slope) ** 2)
