"""The Dirac-GAN (Mescheder et al., 2018) as a game: value, gradients, closed forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ganlab.games import (
    DIRAC_OMEGA,
    DiracGAN,
    equilibrium_jacobian,
    historical_averaging_decay_exponent,
    simulate,
    simultaneous_growth,
    simultaneous_radius_factor,
)
from ganlab.games.dirac import f, f_prime


def _gan_value(theta: float, psi: float) -> float:
    """The oracle: log σ(D(θ)) + log σ(D(0)) with D(x) = ψx and torch's logsigmoid."""
    logit_fake = torch.tensor(psi * theta, dtype=torch.float64)
    logit_real = torch.tensor(psi * 0.0, dtype=torch.float64)
    return float(
        torch.nn.functional.logsigmoid(logit_fake) + torch.nn.functional.logsigmoid(logit_real)
    )


def test_value_and_partials_match_the_gan_and_finite_differences() -> None:
    game = DiracGAN()
    rng = np.random.default_rng(0)
    h = 1e-6
    for theta, psi in rng.uniform(-3, 3, size=(20, 2)):
        assert game.value(theta, psi) == pytest.approx(_gan_value(theta, psi), abs=1e-12)
        dtheta, dpsi = game.partials(theta, psi)
        fd_theta = (_gan_value(theta + h, psi) - _gan_value(theta - h, psi)) / (2 * h)
        fd_psi = (_gan_value(theta, psi + h) - _gan_value(theta, psi - h)) / (2 * h)
        assert dtheta == pytest.approx(fd_theta, abs=1e-8)
        assert dpsi == pytest.approx(fd_psi, abs=1e-8)


def test_f_is_log_sigmoid_and_stable() -> None:
    t = np.array([-800.0, -3.0, 0.0, 2.0, 800.0])
    expected = torch.nn.functional.logsigmoid(torch.tensor(t)).numpy()
    np.testing.assert_allclose(f(t), expected, rtol=1e-14)
    np.testing.assert_allclose(f_prime(t), torch.sigmoid(-torch.tensor(t)).numpy(), rtol=1e-14)
    assert f_prime(0.0) == DIRAC_OMEGA


def test_equilibrium_is_stationary_and_jacobian_is_a_rotation() -> None:
    game = DiracGAN()
    np.testing.assert_array_equal(game.cost_gradients(0.0, 0.0), (0.0, 0.0))
    np.testing.assert_allclose(game.jacobian((0.0, 0.0)), equilibrium_jacobian(), atol=1e-9)
    eigenvalues = np.linalg.eigvals(equilibrium_jacobian())
    np.testing.assert_allclose(np.sort(eigenvalues.imag), [-DIRAC_OMEGA, DIRAC_OMEGA])
    np.testing.assert_allclose(eigenvalues.real, 0.0)


def test_simultaneous_radius_grows_by_the_closed_form_factor() -> None:
    game, lr = DiracGAN(), 0.3
    traj = simulate(game, "simultaneous", (0.8, -0.5), lr=lr, steps=50)
    radii = np.linalg.norm(traj.points, axis=1)
    np.testing.assert_allclose(
        radii[1:] / radii[:-1], simultaneous_radius_factor(traj.points[:-1], lr), rtol=1e-12
    )
    # near the equilibrium the factor is sqrt(1 + (lr f'(0))^2) per step
    small = simulate(game, "simultaneous", (1e-4, 0.0), lr=lr, steps=200)
    per_step = (np.linalg.norm(small.points[-1]) / 1e-4) ** (1 / 200)
    assert per_step == pytest.approx(np.sqrt(1 + (lr * 0.5) ** 2), rel=1e-7)
    assert per_step == pytest.approx(simultaneous_growth(lr, omega=DIRAC_OMEGA), rel=1e-7)


def test_alternating_circles_and_historical_averaging_closes_in() -> None:
    game, lr = DiracGAN(), 0.1
    start = (0.05, 0.05)
    alternating = simulate(game, "alternating", start, lr=lr, steps=4000).distances()
    assert alternating.min() > 0.9 * alternating[0]  # no convergence...
    assert alternating.max() < 1.1 * alternating[0]  # ...and no escape
    weight = 0.2
    averaged = simulate(game, "historical_averaging", start, lr=lr, steps=8000, weight=weight)
    d = averaged.distances()
    slope = np.log(d[8000] / d[4000]) / np.log(2.0)  # late-time power law t^p
    assert slope == pytest.approx(
        historical_averaging_decay_exponent(weight, omega=DIRAC_OMEGA), abs=0.03
    )


def test_radius_factor_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="lr"):
        simultaneous_radius_factor((1.0, 1.0), lr=0.0)
    with pytest.raises(ValueError, match="shape"):
        simultaneous_radius_factor((1.0, 1.0, 1.0), lr=0.1)
