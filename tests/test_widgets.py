"""ganlab.widgets: the explorer's callbacks run headless, without a browser or a kernel."""

from __future__ import annotations

import base64
import re
import struct

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


def test_explorer_displays_a_picture_and_one_line_besides_the_live_view() -> None:
    open_before = plt.get_fignums()
    explorer = trajectory_explorer(XYGame(), lr=0.2, steps=40, start=(1.0, 0.5))
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle  # live in a running notebook
    png = base64.b64decode(bundle["image/png"])
    assert png == explorer.image.value and png.startswith(b"\x89PNG")
    # the picture is the current figure, drawn at the explorer's dpi
    width, height = struct.unpack(">II", png[16:24])
    expected = explorer.figure.get_size_inches() * explorer.dpi
    assert (width, height) == (round(expected[0]), round(expected[1]))
    text = bundle["text/plain"]
    assert "\n" not in text and "children=" not in text and "Layout(" not in text
    assert text == "Trajectory explorer on xy game: simultaneous, lr = 0.2, 40 steps from (1, 0.5)"
    assert plt.get_fignums() == open_before  # no pyplot figure for the inline backend to show

    explorer.controls["steps"].value = 7
    assert "7 steps" in explorer._repr_mimebundle_()["text/plain"]
    assert explorer.image.value != png


def test_explorer_says_it_is_busy_while_it_redraws() -> None:
    explorer = trajectory_explorer(XYGame(), steps=20)
    seen: list[str] = []
    explorer.status.observe(lambda change: seen.append(change["new"]), names="value")
    pictures: list[bytes] = []
    explorer.image.observe(lambda change: pictures.append(seen[-1]), names="value")
    explorer.controls["lr"].value = 0.05
    assert seen[0] == "<i>drawing …</i>"
    assert pictures == ["<i>drawing …</i>"]  # the picture changed while it said so
    assert re.search(r"drawn in \d+\.\d\d s", seen[-1]) and len(seen) == 2


def test_explorer_reports_a_failed_redraw(monkeypatch: pytest.MonkeyPatch) -> None:
    explorer = trajectory_explorer(XYGame(), steps=20)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("no memory")

    monkeypatch.setattr("ganlab.widgets.trajectory_figure", broken)
    with pytest.raises(RuntimeError):
        explorer.controls["steps"].value = 30
    assert "could not draw: no memory" in explorer.status.value
