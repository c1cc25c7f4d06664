"""ganlab.widgets: the explorer's callbacks run headless, without a browser or a kernel."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from ganlab.games import METHODS, PiecewiseGame, Trajectory, XYGame, game_from_function
from ganlab.widgets import TrajectoryExplorer, trajectory_explorer, trajectory_figure


@pytest.mark.parametrize("method", METHODS)
def test_trajectory_figure_draws_every_method(method: str) -> None:
    open_before = plt.get_fignums()
    figure, trajectory = trajectory_figure(PiecewiseGame(), method, 0.05, 300, (-1.0, 2.0))
    assert isinstance(figure, Figure) and isinstance(trajectory, Trajectory)
    assert trajectory.shape == (301, 2) and trajectory.method == method
    field_ax, rate_ax = figure.axes[:2]
    assert field_ax.get_title() and field_ax.get_xlabel() and field_ax.get_ylabel()
    assert rate_ax.get_title() and rate_ax.get_xlabel() and rate_ax.get_ylabel()
    assert "distance to equilibrium after 300 steps" in figure.get_suptitle()
    assert plt.get_fignums() == open_before  # not registered with pyplot: nothing piles up


def test_trajectory_figure_reports_divergence_in_the_title() -> None:
    figure, trajectory = trajectory_figure(XYGame(), "simultaneous", 1.0, 100, (1.0, 0.0))
    assert trajectory.diverged
    assert f"diverged at step {trajectory.diverged_at}" in figure.get_suptitle()


def test_trajectory_figure_on_a_game_without_equilibrium() -> None:
    game = game_from_function(lambda x, y: x * y + 0.1 * x**2)
    figure, _ = trajectory_figure(game, "extragradient", 0.1, 50, (1.0, 1.0))
    assert "ended at" in figure.get_suptitle()


def test_weight_reaches_historical_averaging_only() -> None:
    _, averaged = trajectory_figure(PiecewiseGame(), "historical_averaging", 0.05, 10, (2, 0), 0.7)
    _, plain = trajectory_figure(PiecewiseGame(), "simultaneous", 0.05, 10, (2, 0), 0.7)
    assert averaged.options == {"weight": 0.7} and plain.options == {}


def test_explorer_draws_on_construction_and_redraws_on_change() -> None:
    explorer = trajectory_explorer(XYGame(), lr=0.1, steps=50, start=(1.0, 0.5))
    assert isinstance(explorer, TrajectoryExplorer)
    assert isinstance(explorer.figure, Figure) and explorer.trajectory.shape == (51, 2)
    first = explorer.figure

    explorer.controls["method"].value = "extragradient"
    explorer.controls["steps"].value = 80
    assert explorer.figure is not first
    assert explorer.trajectory.method == "extragradient" and explorer.trajectory.shape == (81, 2)

    explorer.controls["x0"].value = -2.0
    assert explorer.trajectory[0, 0] == -2.0
    assert set(explorer.controls) == {"method", "lr", "steps", "x0", "y0", "weight"}


def test_explorer_validates_its_methods() -> None:
    with pytest.raises(ValueError, match="methods must be among"):
        trajectory_explorer(XYGame(), methods=("simultaneous", "adam"))
    with pytest.raises(ValueError, match="include method"):
        trajectory_explorer(XYGame(), methods=("alternating",), method="simultaneous")


def test_explorer_sliders_hold_values_outside_their_default_ranges() -> None:
    explorer = trajectory_explorer(
        XYGame(), lr=2.5, steps=10, start=(-7.0, 4.0), weight=30.0, max_steps=5
    )
    values = {name: control.value for name, control in explorer.controls.items()}
    assert values["lr"] == pytest.approx(2.5) and values["weight"] == pytest.approx(30.0)
    assert (values["x0"], values["y0"], values["steps"]) == (-7.0, 4.0, 10)
