"""Interactive controls for the lessons (ipywidgets), built so they also run headless.

The drawing is a plain function (:func:`trajectory_figure`) that returns a matplotlib
``Figure``; the widget only wires controls to it.  Tests and ``nbval`` call the function
directly.  The widget draws once on construction, and its display carries that drawing as
a PNG and one line of text besides the live view, so a notebook executed without a browser
keeps a picture where the widget will be (and no raw widget repr).
"""

from __future__ import annotations

import base64
import html
import io
import time
import warnings
from collections.abc import Sequence

import ipywidgets as widgets
import numpy as np
from matplotlib.figure import Figure

from ganlab.games import DEFAULT_WEIGHT, METHODS, DivergenceWarning, Game, Trajectory, simulate
from ganlab.games.plots import plot_game, plot_rates, plot_trajectories


def _view(
    trajectory: Trajectory, start_range: tuple[float, float]
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Axis limits that hold the start range, the equilibrium and the path.

    A diverged path reaches |θ| ~ 1e6, which would squash everything else to a dot, so its
    view is capped at three times the start range and the path is seen leaving the frame.
    """
    points = np.asarray(trajectory)
    corners = [np.array([[start_range[0]] * 2, [start_range[1]] * 2])]
    if not trajectory.diverged:
        corners.append(points)
    if trajectory.game.equilibrium is not None:
        corners.append(trajectory.game.equilibrium[None])
    box = np.concatenate(corners)
    low, high = box.min(axis=0), box.max(axis=0)
    pad = 0.08 * (high - low)
    if trajectory.diverged:
        pad = 1.0 * (high - low)
    return (low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1])


def _outcome(trajectory: Trajectory) -> str:
    if trajectory.diverged:
        return f"diverged at step {trajectory.diverged_at}"
    if trajectory.game.equilibrium is None:
        return f"ended at ({trajectory[-1, 0]:.3g}, {trajectory[-1, 1]:.3g})"
    final = trajectory.distances()[-1]
    return f"distance to equilibrium after {len(trajectory) - 1} steps: {final:.2e}"


def trajectory_figure(
    game: Game,
    method: str,
    lr: float,
    steps: int,
    start: Sequence[float],
    weight: float = DEFAULT_WEIGHT,
    *,
    start_range: tuple[float, float] = (-3.0, 3.0),
) -> tuple[Figure, Trajectory]:
    """Simulate one run and draw it: the path over the game's field, and its distance curve.

    The explorer's callback, usable on its own.  ``weight`` is passed on only to
    ``historical_averaging``.  Divergence is shown in the title instead of a warning.

    Returns:
        (figure, trajectory).  The figure is not registered with pyplot, so repeated calls
        do not pile up open figures; show it with ``display(figure)``.
    """
    options = {"weight": weight} if method == "historical_averaging" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        trajectory = simulate(game, method, np.asarray(start, dtype=float), lr, steps, **options)
    points = np.asarray(trajectory)

    figure = Figure(figsize=(11, 4.5), layout="constrained")
    field_ax, rate_ax = figure.subplots(1, 2, width_ratios=(1.2, 1))
    xlim, ylim = _view(trajectory, start_range)
    plot_game(game, xlim, ylim, ax=field_ax)
    # plot_game already marks the equilibrium, so the path is drawn without the game
    plot_trajectories(
        {method: points}, title=f"{method}, lr = {lr:.3g}", equal_aspect=False, ax=field_ax
    )
    if game.equilibrium is not None:
        plot_rates(
            {method: trajectory.distances()}, title="Distance to the equilibrium", ax=rate_ax
        )
    else:
        radius = np.linalg.norm(points, axis=1)
        plot_rates({method: radius}, ylabel="‖θ‖", title="Distance to the origin", ax=rate_ax)
    figure.suptitle(f"{game.name}: {_outcome(trajectory)}")
    return figure, trajectory


# sliders redraw when released, not while dragging: a redraw simulates up to max_steps
_SLIDER = {"continuous_update": False, "style": {"description_width": "initial"}}


def _log_slider(description: str, value: float, bounds: tuple[float, float]) -> widgets.Widget:
    """A base-10 log slider over ``bounds``, widened to hold ``value`` (sliders clamp silently)."""
    low = np.floor(np.log10(min(bounds[0], value)))
    high = np.ceil(np.log10(max(bounds[1], value)))
    return widgets.FloatLogSlider(
        value=value,
        base=10,
        min=low,
        max=high,
        step=0.05,
        description=description,
        readout_format=".3g",
        **_SLIDER,
    )


def _linear_slider(description: str, value: float, bounds: tuple[float, float]) -> widgets.Widget:
    """A slider over ``bounds``, widened to hold ``value``."""
    return widgets.FloatSlider(
        value=value,
        min=min(bounds[0], value),
        max=max(bounds[1], value),
        step=0.05,
        description=description,
        **_SLIDER,
    )


class TrajectoryExplorer(widgets.VBox):
    """Controls (method, lr, steps, start, weight) above a status line and a live trajectory
    figure.

    Displayed, it is the live widget in a running notebook, and a picture of the current
    figure with one line of text where widgets cannot run (a saved notebook, nbconvert).

    Attributes:
        controls: the control widgets by name; setting ``controls["lr"].value`` redraws.
        figure: the latest figure (a ``Figure`` not attached to pyplot).
        trajectory: the latest :class:`~ganlab.games.Trajectory`.
        image: the picture of ``figure`` (PNG), what the widget shows.
        status: "drawing …" while a redraw runs, then the redraw's time.
        dpi: the picture's resolution (pixels per inch of the figure).
    """

    def __init__(
        self,
        game: Game,
        *,
        methods: Sequence[str] = METHODS,
        method: str = "simultaneous",
        lr: float = 0.1,
        steps: int = 200,
        start: Sequence[float] = (1.0, 1.0),
        weight: float = DEFAULT_WEIGHT,
        max_steps: int = 5000,
        start_range: tuple[float, float] = (-3.0, 3.0),
        dpi: int = 100,
    ) -> None:
        unknown = [m for m in methods if m not in METHODS]
        if unknown or method not in methods:
            raise ValueError(
                f"methods must be among {', '.join(METHODS)} and include method={method!r}; "
                f"got methods={list(methods)}"
            )
        self.game = game
        self.start_range = start_range
        self.dpi = dpi
        self.controls: dict[str, widgets.ValueWidget] = {
            "method": widgets.Dropdown(options=list(methods), value=method, description="method"),
            "lr": _log_slider("lr", lr, (1e-3, 1.0)),
            "steps": widgets.IntSlider(
                value=steps, min=1, max=max(max_steps, steps), description="steps", **_SLIDER
            ),
            "x0": _linear_slider("start x", start[0], start_range),
            "y0": _linear_slider("start y", start[1], start_range),
            "weight": _log_slider("HA weight", weight, (1e-2, 10.0)),
        }
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%"))
        rows = [
            widgets.HBox([self.controls[k] for k in ("method", "lr", "steps")]),
            widgets.HBox([self.controls[k] for k in ("x0", "y0", "weight")]),
        ]
        super().__init__([*rows, self.status, self.image])
        for control in self.controls.values():
            control.observe(self.update, names="value")
        self.update()

    def draw(self) -> tuple[Figure, Trajectory]:
        """The figure for the controls' current values (no display)."""
        values = {name: control.value for name, control in self.controls.items()}
        return trajectory_figure(
            self.game,
            values["method"],
            values["lr"],
            values["steps"],
            (values["x0"], values["y0"]),
            values["weight"],
            start_range=self.start_range,
        )

    def update(self, change: object = None) -> Figure:
        """Redraw for the current control values (the controls' callback); the status line
        says "drawing …" while it runs, then how long it took.  Returns the new figure."""
        self.status.value = "<i>drawing …</i>"
        start = time.perf_counter()
        try:
            self.figure, self.trajectory = self.draw()
            buffer = io.BytesIO()
            self.figure.savefig(buffer, format="png", dpi=self.dpi)
        except Exception as err:
            self.status.value = (
                f"<span style='color:#b00'>could not draw: {html.escape(str(err))}</span>"
            )
            raise
        self.image.value = buffer.getvalue()
        elapsed = time.perf_counter() - start
        self.status.value = f"<span style='color:gray'>drawn in {elapsed:.2f} s</span>"
        return self.figure

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        # the live view, plus a picture and one line for pages that cannot run widgets
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        values = {name: control.value for name, control in self.controls.items()}
        bundle["text/plain"] = (
            f"Trajectory explorer on {self.game.name}: {values['method']}, "
            f"lr = {values['lr']:.3g}, {values['steps']} steps from "
            f"({values['x0']:g}, {values['y0']:g})"
        )
        return bundle


def trajectory_explorer(game: Game, **settings: object) -> TrajectoryExplorer:
    """A live explorer of gradient dynamics on ``game``; see :class:`TrajectoryExplorer`.

    ``settings``: initial ``method``, ``lr``, ``steps``, ``start``, ``weight``, the
    ``methods`` offered, ``max_steps``, ``start_range`` and the picture's ``dpi``.
    """
    return TrajectoryExplorer(game, **settings)
