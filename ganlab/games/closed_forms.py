"""Closed forms for gradient dynamics near a rotational equilibrium, to check simulations.

Near an equilibrium where the cost-gradient field's Jacobian has eigenvalues ±iω the game
is, to first order, the bilinear game V = ω·x·y (ω = 1 for the xy game; ω = 2 for the
piecewise game at (1, 1)).  Writing z = x + i·y, simultaneous gradient descent on it is the
complex multiplication z ← (1 + iωlr)·z, and every rate below follows from that.
All functions depend on the product h = ω·lr only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def simultaneous_growth(lr: float, omega: float = 1.0) -> float:
    """Radius factor per simultaneous step: |1 + iωlr| = √(1 + ω² lr²) > 1 — an outward spiral."""
    h = omega * lr
    return float(np.sqrt(1 + h * h))


def alternating_invariant(points: ArrayLike, lr: float, omega: float = 1.0) -> np.ndarray:
    """Q(x, y) = x² + y² − ωlr·x·y, conserved exactly by alternating updates on V = ω·x·y.

    With x' = x − ωlr·y and y' = y + ωlr·x', one gets Q(x', y') = Q(x, y): the iterates stay
    on an ellipse (bounded for ωlr < 2) and never converge.  ``points``: (..., 2).
    """
    points = np.asarray(points, dtype=np.float64)
    x, y = points[..., 0], points[..., 1]
    return x * x + y * y - omega * lr * x * y


def extragradient_rate(lr: float, omega: float = 1.0) -> float:
    """Radius factor per extragradient step: |1 − ω²lr² + iωlr| = √(1 − ω²lr² + ω⁴lr⁴) < 1."""
    h = omega * lr
    return float(np.sqrt(1 - h * h + h**4))


def optimistic_rate(lr: float, omega: float = 1.0) -> float:
    """Slowest per-step modulus of optimistic GD: the largest root of μ² − (1 + 2iωlr)μ + iωlr.

    From z_{t+1} = z_t + 2iωlr·z_t − iωlr·z_{t−1}; below 1 for small lr, so it converges
    (≈ 0.99494 at lr = 0.1 on the xy game).
    """
    h = omega * lr
    roots = np.roots([1.0, -(1 + 2j * h), 1j * h])
    return float(np.abs(roots).max())


def update_matrix(method: str, lr: float) -> np.ndarray:
    """The linear map one step of ``method`` applies to the xy game's state.

    (2, 2) acting on (x, y) for ``simultaneous``, ``alternating`` and ``extragradient``;
    (4, 4) acting on (x_t, y_t, x_{t−1}, y_{t−1}) for ``optimistic``.  Its eigenvalues'
    moduli are the per-step growth (> 1), conservation (= 1) or shrink (< 1) factors.
    """
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]])  # −g(θ) = (−y, x) for V = x·y
    eye = np.eye(2)
    matrices = {
        "simultaneous": eye + lr * rotation,
        "alternating": np.array([[1.0, -lr], [lr, 1.0 - lr * lr]]),
        "extragradient": eye + lr * rotation @ (eye + lr * rotation),
        "optimistic": np.block([[eye + 2 * lr * rotation, -lr * rotation], [eye, 0 * eye]]),
    }
    if method not in matrices:
        raise ValueError(
            f"no fixed update matrix for {method!r}; choose one of {', '.join(matrices)}"
        )
    return matrices[method]


def historical_averaging_max_lr(weight: float, omega: float = 2.0) -> float:
    """Largest stable lr for historical averaging with the running mean held fixed.

    Linearised, a step multiplies the deviation from the mean by 1 − lr(2·weight ± iω);
    its modulus is below 1 iff lr < 4·weight / (4·weight² + ω²) — for the piecewise game
    (ω = 2 at (1, 1)) that is lr < weight / (1 + weight²).
    """
    return 4 * weight / (4 * weight * weight + omega * omega)


def historical_averaging_decay_exponent(weight: float, omega: float = 2.0) -> float:
    """p in ‖θ_t − θ*‖ ∝ t^p, the late-time decay of historical averaging.

    Once the iterate tracks its slowly moving anchor, θ − θ* ≈ (I − A/(2·weight))⁻¹(θ̄ − θ*)
    with A the rotation of rate ω, and θ̄ moves by (θ − θ̄)/t per step, so θ̄ − θ* shrinks
    like t^p with p = Re[(iω/2w) / (1 − iω/2w)] = −ω² / (ω² + 4·weight²) — close to the
    1/t of an average for a small weight, as slow as t^(−1/2) at weight = ω/2.
    """
    return -(omega * omega) / (omega * omega + 4 * weight * weight)
