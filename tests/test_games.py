"""ganlab.games: the toy games of §3 against closed forms and naive loops."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch

from ganlab.games import (
    DEFAULT_HA_LR,
    DEFAULT_HA_STEPS,
    DEFAULT_WEIGHT,
    METHODS,
    DivergenceWarning,
    PiecewiseGame,
    Trajectory,
    XYGame,
    alternating_invariant,
    extragradient_rate,
    game_from_function,
    grid_starts,
    historical_averaging_decay_exponent,
    historical_averaging_max_lr,
    optimistic_rate,
    random_starts,
    running_mean,
    simulate,
    simultaneous_growth,
    update_matrix,
)


def _radius(points: np.ndarray) -> np.ndarray:
    return np.hypot(points[..., 0], points[..., 1])


def _piecewise_torch(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return (torch.where(x < 0, x, x**2) - 1) * (y - 1)


# ---------------------------------------------------------------- the xy game, closed forms


@pytest.mark.parametrize("lr", [0.01, 0.1, 0.5])
def test_simultaneous_radius_grows_by_sqrt_one_plus_lr_squared(lr: float) -> None:
    traj = simulate(XYGame(), "simultaneous", (0.6, -0.8), lr=lr, steps=100)
    ratios = _radius(traj[1:]) / _radius(traj[:-1])
    np.testing.assert_allclose(ratios, np.sqrt(1 + lr**2), rtol=1e-9, atol=0)


def test_simultaneous_paper_number() -> None:
    """1000 steps at lr 0.1 from radius 1 reach radius 144.77 (paper-notes §1)."""
    traj = simulate(XYGame(), "simultaneous", (1.0, 0.0), lr=0.1, steps=1000)
    assert _radius(traj[-1]) == pytest.approx(1.01**500, rel=1e-9)
    assert round(float(_radius(traj[-1])), 2) == 144.77


@pytest.mark.parametrize("lr", [0.05, 0.3, 1.5])
def test_alternating_conserves_its_invariant_over_ten_thousand_steps(lr: float) -> None:
    traj = simulate(XYGame(), "alternating", (1.0, 0.5), lr=lr, steps=10_000)
    invariant = alternating_invariant(traj, lr)
    assert len(invariant) == 10_001
    np.testing.assert_allclose(invariant, invariant[0], rtol=1e-9, atol=0)
    assert _radius(traj).max() < 10  # a bounded orbit ...
    assert _radius(traj).min() > 0.1  # ... that never converges


def test_alternating_invariant_is_not_the_radius() -> None:
    """The conserved quantity is the tilted ellipse x² + y² − lr·x·y, not x² + y²."""
    traj = simulate(XYGame(), "alternating", (1.0, 0.5), lr=0.3, steps=50)
    assert np.ptp(_radius(traj)) > 1e-2


@pytest.mark.parametrize("lr", [0.05, 0.1, 0.5])
def test_extragradient_shrinks_at_its_closed_form_rate(lr: float) -> None:
    traj = simulate(XYGame(), "extragradient", (1.0, 2.0), lr=lr, steps=200)
    ratios = _radius(traj[1:]) / _radius(traj[:-1])
    np.testing.assert_allclose(ratios, np.sqrt(1 - lr**2 + lr**4), rtol=1e-9, atol=0)
    assert extragradient_rate(lr) == pytest.approx(np.sqrt(1 - lr**2 + lr**4), rel=1e-15)


def test_optimistic_converges_at_its_slowest_mode() -> None:
    traj = simulate(XYGame(), "optimistic", (1.0, 0.5), lr=0.1, steps=2000)
    late = (_radius(traj[-1]) / _radius(traj[-1001])) ** (1 / 1000)  # fast mode long gone
    assert late == pytest.approx(optimistic_rate(0.1), rel=1e-9)
    assert optimistic_rate(0.1) == pytest.approx(0.99494, abs=1e-5)


def _naive_xy(method: str, x: float, y: float, lr: float, steps: int) -> list[tuple[float, float]]:
    """The update rules written out for V = x·y (∂V/∂x = y, ∂V/∂y = x), one float at a time."""
    path = [(x, y)]
    gx_prev, gy_prev = y, -x
    for _ in range(steps):
        if method == "simultaneous":
            x, y = x - lr * y, y + lr * x
        elif method == "alternating":
            x = x - lr * y
            y = y + lr * x
        elif method == "extragradient":
            xh, yh = x - lr * y, y + lr * x
            x, y = x - lr * yh, y + lr * xh
        elif method == "optimistic":
            gx, gy = y, -x
            x, y = x - 2 * lr * gx + lr * gx_prev, y - 2 * lr * gy + lr * gy_prev
            gx_prev, gy_prev = gx, gy
        path.append((x, y))
    return path


@pytest.mark.parametrize("method", ["simultaneous", "alternating", "extragradient", "optimistic"])
def test_xy_updates_match_a_naive_loop_and_the_update_matrix(method: str) -> None:
    traj = simulate(XYGame(), method, (0.7, -0.4), lr=0.2, steps=30)
    np.testing.assert_allclose(traj, _naive_xy(method, 0.7, -0.4, 0.2, 30), rtol=1e-13, atol=1e-15)
    matrix = update_matrix(method, 0.2)
    if method == "optimistic":  # state (θ_t, θ_{t−1}), with θ_{−1} = θ_0
        state = np.concatenate([traj[1], traj[0]])
        np.testing.assert_allclose(matrix @ state, np.concatenate([traj[2], traj[1]]))
    else:
        np.testing.assert_allclose(matrix @ traj[0], traj[1])


def test_update_matrix_eigenvalues_match_the_closed_forms() -> None:
    lr = 0.1
    closed_forms = {
        "simultaneous": simultaneous_growth(lr),
        "alternating": 1.0,
        "extragradient": extragradient_rate(lr),
        "optimistic": optimistic_rate(lr),
    }
    for method, expected in closed_forms.items():
        modulus = np.abs(np.linalg.eigvals(update_matrix(method, lr))).max()
        assert modulus == pytest.approx(expected, rel=1e-12), method
    with pytest.raises(ValueError, match="simultaneous"):
        update_matrix("historical_averaging", lr)


def test_closed_forms_scale_with_omega_times_lr() -> None:
    assert simultaneous_growth(0.05, omega=2.0) == pytest.approx(simultaneous_growth(0.1))
    assert extragradient_rate(0.05, omega=2.0) == pytest.approx(extragradient_rate(0.1))
    points = np.array([[1.0, 2.0]])
    assert alternating_invariant(points, 0.05, omega=2.0) == pytest.approx(
        alternating_invariant(points, 0.1)
    )


def test_jacobians_have_imaginary_eigenvalues_at_the_equilibria() -> None:
    np.testing.assert_allclose(XYGame().jacobian((0.0, 0.0)), [[0, 1], [-1, 0]], atol=1e-8)
    np.testing.assert_allclose(PiecewiseGame().jacobian((1.0, 1.0)), [[0, 2], [-2, 0]], atol=1e-8)


# ------------------------------------------------- the piecewise game, historical averaging


def test_piecewise_derivatives_by_finite_differences() -> None:
    game = PiecewiseGame()
    points = random_starts(50, -2, 3, seed=3)
    x, y, h = points[:, 0], points[:, 1], 1e-6
    dv_dx, dv_dy = game.partials(x, y)
    np.testing.assert_allclose(
        dv_dx, (game.value(x + h, y) - game.value(x - h, y)) / (2 * h), rtol=1e-6, atol=1e-7
    )
    np.testing.assert_allclose(
        dv_dy, (game.value(x, y + h) - game.value(x, y - h)) / (2 * h), rtol=1e-6, atol=1e-7
    )
    assert game.value(1.0, 1.0) == 0 and game.partials(1.0, 1.0) == (0.0, 0.0)


def _naive_historical_averaging(
    start: tuple[float, float], lr: float, weight: float, steps: int
) -> np.ndarray:
    """θ ← θ − lr·(g(θ) + 2·weight·(θ − (1/t) Σ_{i≤t} θ[i])), the mean recomputed from scratch."""
    game = PiecewiseGame()
    history = [np.array(start, dtype=float)]
    for _ in range(steps):
        theta = history[-1]
        mean = np.mean(history, axis=0)  # over θ[1..t], the current value included
        grad = np.array(game.cost_gradients(*theta), dtype=float)
        history.append(theta - lr * (grad + 2 * weight * (theta - mean)))
    return np.array(history)


def test_historical_averaging_matches_a_naive_loop() -> None:
    traj = simulate(
        PiecewiseGame(), "historical_averaging", (-1.5, 2.0), lr=0.05, steps=300, weight=0.3
    )
    np.testing.assert_allclose(
        traj, _naive_historical_averaging((-1.5, 2.0), 0.05, 0.3, 300), rtol=1e-10, atol=1e-12
    )


def test_historical_averaging_with_zero_weight_is_simultaneous_descent() -> None:
    a = simulate(PiecewiseGame(), "historical_averaging", (2.0, 0.0), 0.01, 100, weight=0.0)
    b = simulate(PiecewiseGame(), "simultaneous", (2.0, 0.0), 0.01, 100)
    np.testing.assert_array_equal(a, b)


def test_historical_averaging_converges_where_simultaneous_descent_does_not() -> None:
    """The §3.3 claim at the documented defaults, from 20 random starts in [−2, 3]²."""
    starts = random_starts(20, -2.0, 3.0, seed=2016)
    averaged = simulate(
        PiecewiseGame(),
        "historical_averaging",
        starts,
        lr=DEFAULT_HA_LR,
        steps=DEFAULT_HA_STEPS,
        weight=DEFAULT_WEIGHT,
    )
    final = np.linalg.norm(averaged[-1] - np.array([1.0, 1.0]), axis=1)
    assert (final < 1e-2).all(), final
    assert averaged.converged().all() and not averaged.diverged.any()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        plain = simulate(
            PiecewiseGame(), "simultaneous", starts, lr=DEFAULT_HA_LR, steps=DEFAULT_HA_STEPS
        )
    assert not plain.converged().any()


def test_simultaneous_descent_stalls_near_x_zero_while_y_drifts() -> None:
    """At lr 0.01 (paper-notes §2.3): x dies out near 0, y keeps sliding down by lr a step."""
    starts = random_starts(20, -2.0, 3.0, seed=2016)
    traj = simulate(PiecewiseGame(), "simultaneous", starts, lr=0.01, steps=5000)
    assert not traj.converged().any()
    stalled = np.abs(traj[-1, :, 0]) < 1e-3
    assert stalled.sum() >= 10
    # ∂V/∂y = f(x) − 1 ≈ −1 there, so the maximising y slides down by lr per step
    np.testing.assert_allclose(traj[-2, stalled, 1] - traj[-1, stalled, 1], 0.01, rtol=1e-5)


def test_historical_averaging_stability_limit_and_decay_exponent() -> None:
    for weight in (0.1, 0.5, 2.0):
        lr = historical_averaging_max_lr(weight, omega=2.0)
        assert abs(1 - lr * (2 * weight + 2j)) == pytest.approx(1.0, rel=1e-12)
        assert historical_averaging_max_lr(weight) == pytest.approx(weight / (1 + weight**2))
    traj = simulate(
        PiecewiseGame(), "historical_averaging", (2.0, -1.0), lr=0.05, steps=20_000, weight=0.5
    )
    distance = traj.distances()
    slope = np.log(distance[20_000] / distance[5_000]) / np.log(4)
    assert slope == pytest.approx(historical_averaging_decay_exponent(0.5), abs=0.02)


def test_running_mean_matches_a_cumulative_average() -> None:
    points = np.random.default_rng(0).normal(size=(30, 4, 2))
    expected = np.array([points[: t + 1].mean(axis=0) for t in range(30)])
    np.testing.assert_allclose(running_mean(points), expected, rtol=1e-12)


# ------------------------------------------------------------ custom games by autograd


@pytest.mark.parametrize(
    ("builtin", "value_fn"),
    [(XYGame(), lambda x, y: x * y), (PiecewiseGame(), _piecewise_torch)],
)
def test_custom_game_autograd_matches_closed_form_derivatives(builtin, value_fn) -> None:
    custom = game_from_function(value_fn, equilibrium=builtin.equilibrium)
    points = np.concatenate([random_starts(200, -2, 3, seed=1), [[-0.5, 1.0], [0.0, 2.0]]])
    x, y = points[:, 0], points[:, 1]
    np.testing.assert_allclose(custom.value(x, y), builtin.value(x, y), rtol=1e-14)
    for got, expected in zip(custom.partials(x, y), builtin.partials(x, y), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-14, atol=1e-15)
    a = simulate(custom, "historical_averaging", points[:5], lr=0.05, steps=200)
    b = simulate(builtin, "historical_averaging", points[:5], lr=0.05, steps=200)
    np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_custom_game_with_a_player_missing_from_v_has_zero_partial() -> None:
    game = game_from_function(lambda x, y: x**2)
    dv_dx, dv_dy = game.partials([1.0, 2.0], [3.0, 4.0])
    np.testing.assert_allclose(dv_dx, [2.0, 4.0])
    np.testing.assert_array_equal(dv_dy, [0.0, 0.0])


def test_custom_game_rejects_non_torch_functions_early() -> None:
    with pytest.raises(TypeError, match="torch"):
        game_from_function(lambda x, y: np.where(x < 0, x, x**2) * y)
    with pytest.raises(TypeError, match="same shape"):
        game_from_function(lambda x, y: (x * y).sum())
    with pytest.raises(TypeError, match="function"):
        game_from_function(3.0)


def test_custom_game_without_equilibrium_has_no_distances() -> None:
    game = game_from_function(lambda x, y: x * y)
    traj = simulate(game, "simultaneous", (1.0, 0.0), lr=0.1, steps=3)
    with pytest.raises(ValueError, match="equilibrium"):
        traj.distances()


# ------------------------------------------------------------------ simulate's contract


@pytest.mark.parametrize("method", METHODS)
def test_many_starts_equal_single_runs(method: str) -> None:
    starts = grid_starts(-1.7, 2.9, 3)  # (9, 2)
    together = simulate(PiecewiseGame(), method, starts, lr=0.02, steps=150)
    assert together.shape == (151, 9, 2)
    for m, start in enumerate(starts):
        alone = simulate(PiecewiseGame(), method, start, lr=0.02, steps=150)
        assert alone.shape == (151, 2)
        np.testing.assert_array_equal(together[:, m], alone)


def test_trajectory_indexes_and_converts_like_its_points() -> None:
    traj = simulate(XYGame(), "simultaneous", (1.0, 0.0), lr=0.1, steps=10)
    assert isinstance(traj, Trajectory) and not isinstance(traj, np.ndarray)
    assert np.asarray(traj).shape == (11, 2) and type(np.asarray(traj)) is np.ndarray
    assert traj.points.dtype == np.float64 and traj.shape == (11, 2) and len(traj) == 11
    assert type(traj[-1]) is np.ndarray and traj[-1, 0] == traj.points[-1, 0]
    # an array on the left converts the trajectory (lesson 02 compares iterates this way)
    np.testing.assert_array_equal(np.zeros((11, 2)) - traj, -traj.points)
    assert np.asarray(traj, dtype=np.float32).dtype == np.float32
    assert (traj.method, traj.lr, traj.diverged, traj.diverged_at) == (
        "simultaneous",
        0.1,
        False,
        None,
    )
    np.testing.assert_array_equal(traj[0], [1.0, 0.0])
    restored = pickle.loads(pickle.dumps(traj))
    np.testing.assert_array_equal(restored, traj)
    assert restored.method == "simultaneous"


def test_zero_steps_returns_the_start() -> None:
    traj = simulate(XYGame(), "optimistic", [[1.0, 2.0], [3.0, 4.0]], lr=0.1, steps=0)
    np.testing.assert_array_equal(traj, [[[1.0, 2.0], [3.0, 4.0]]])


def test_divergence_of_one_start_stops_cleanly_and_is_reported() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy overflow warnings, only ours
        with pytest.raises(DivergenceWarning, match="diverged at step"):
            simulate(XYGame(), "simultaneous", (1.0, 0.0), lr=1.0, steps=100)
    with pytest.warns(DivergenceWarning):
        traj = simulate(XYGame(), "simultaneous", (1.0, 0.0), lr=1.0, steps=100)
    # radius 2^(t/2) first exceeds 1e6 at t = 40
    assert traj.diverged and traj.diverged_at == 40
    assert traj.shape == (41, 2) and np.isfinite(traj).all()
    assert np.abs(traj[-1]).max() > 1e6 >= np.abs(traj[-2]).max()


def test_divergence_among_many_starts_pads_with_nan() -> None:
    starts = np.array([[1.0, 0.0], [1e-3, 0.0]])  # the second needs 20 more steps to escape
    with pytest.warns(DivergenceWarning, match="2 of 2 runs diverged"):
        traj = simulate(XYGame(), "simultaneous", starts, lr=1.0, steps=1000)
    np.testing.assert_array_equal(traj.diverged_at, [40, 60])
    assert traj.shape == (61, 2, 2)  # stops once every run has diverged
    assert np.isnan(traj[41:, 0]).all() and np.isfinite(traj[:41, 0]).all()
    assert np.isfinite(traj[:, 1]).all()
    assert not traj.converged().any()


def test_overflow_to_infinity_counts_as_divergence() -> None:
    with pytest.warns(DivergenceWarning):
        traj = simulate(XYGame(), "simultaneous", (1.0, 0.0), lr=1e200, steps=10, bound=np.inf)
    assert traj.diverged_at == 2 and not np.isfinite(traj[-1]).all()


def test_no_warning_without_divergence() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        simulate(XYGame(), "extragradient", (1.0, 0.0), lr=0.1, steps=100)


def test_simulate_wants_a_game() -> None:
    with pytest.raises(TypeError, match="game_from_function"):
        simulate(lambda x, y: x * y, "simultaneous", (1.0, 0.0), lr=0.1, steps=5)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"method": "adam"},
            ValueError,
            "valid methods are simultaneous, alternating, "
            "historical_averaging, extragradient, optimistic",
        ),
        ({"start": (1.0, 2.0, 3.0)}, ValueError, r"shape \(2,\).*got shape \(3,\)"),
        ({"start": np.zeros((2, 3))}, ValueError, r"\(M, 2\), got shape \(2, 3\)"),
        ({"start": np.zeros((1, 1, 2))}, ValueError, "got shape"),
        ({"start": (np.nan, 0.0)}, ValueError, "finite"),
        ({"lr": 0.0}, ValueError, "lr must be"),
        ({"lr": -0.1}, ValueError, "lr must be"),
        ({"steps": 10.5}, ValueError, "steps must be an int"),
        ({"steps": -1}, ValueError, "steps must be an int"),
        ({"weight": 0.1}, TypeError, "simultaneous takes no option weight"),
        ({"method": "historical_averaging", "beta": 1}, TypeError, "its options: weight"),
        ({"method": "historical_averaging", "weight": -1.0}, ValueError, "weight must be"),
    ],
)
def test_bad_calls_say_what_was_expected(kwargs: dict, error: type, match: str) -> None:
    call = {"method": "simultaneous", "start": (1.0, 0.0), "lr": 0.1, "steps": 5} | kwargs
    with pytest.raises(error, match=match):
        simulate(XYGame(), **call)


def test_starts_helpers() -> None:
    grid = grid_starts(-2.0, 3.0, 4)
    assert grid.shape == (16, 2) and grid.min() == -2.0 and grid.max() == 3.0
    a, b = random_starts(5, -2.0, 3.0, seed=7), random_starts(5, -2.0, 3.0, seed=7)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (5, 2) and ((a >= -2) & (a <= 3)).all()


# ----------------------------------------------------------------------------- figures


def test_plots_label_their_axes_and_count_outcomes() -> None:
    import matplotlib.pyplot as plt

    from ganlab.games.plots import (
        plot_coordinates,
        plot_game,
        plot_phase_portrait,
        plot_rates,
        plot_sweep,
        plot_trajectories,
    )

    game = XYGame()
    starts = np.array([[1.0, 0.0], [0.5, 0.5], [1e-3, 0.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        grown = simulate(game, "simultaneous", starts, lr=1.0, steps=45)  # two of three diverge
    shrunk = simulate(game, "extragradient", starts, lr=0.5, steps=100)
    fig, axes = plt.subplots(2, 3)
    drawn = [
        plot_game(game, ax=axes[0, 0]),
        plot_trajectories({"a": shrunk[:, 0], "b": shrunk[:, 1]}, game, ax=axes[0, 1]),
        plot_coordinates({"a": shrunk[:, 0]}, game, ax=axes[0, 2]),
        plot_phase_portrait(grown, ax=axes[1, 0]),
        plot_rates({"many": shrunk.distances()}, references={"one": np.ones(101)}, ax=axes[1, 1]),
        plot_sweep(
            np.eye(2), [0.1, 1.0], [0.01, 0.1], boundary=([0.1, 1.0], [0.05, 0.5]), ax=axes[1, 2]
        ),
    ]
    for ax in drawn:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()
    labels = [t.get_text() for t in axes[1, 0].get_legend().get_texts()]
    assert "diverged: 2 of 3" in labels and "not converged: 1 of 3" in labels
    with pytest.raises(ValueError, match="shape"):
        plot_sweep(np.eye(3), [0.1, 1.0], [0.01, 0.1])
    with pytest.raises(ValueError, match=r"\(T, M, 2\)"):
        plot_phase_portrait(simulate(game, "simultaneous", (1.0, 0.0), 0.1, 3))
    plt.close(fig)
