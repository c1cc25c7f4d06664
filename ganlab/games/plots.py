"""Figures for the toy games: the game's field, trajectories, phase portraits, rates, sweeps.

Every function draws on ``ax`` if given (else on a new figure) and returns the axes, with a
title, labelled axes and a legend where there are several series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike

from ganlab.games.games import Game
from ganlab.games.trajectory import Trajectory
from ganlab.plotting import axes_or_new


def _mark_equilibrium(ax: Axes, game: Game | None) -> None:
    if game is not None and game.equilibrium is not None:
        x, y = game.equilibrium
        ax.scatter(
            [x],
            [y],
            marker="*",
            s=220,
            c="gold",
            edgecolors="k",
            zorder=5,
            label=f"equilibrium ({x:g}, {y:g})",
        )


def _label_plane(ax: Axes, title: str) -> None:
    ax.set_xlabel("x (the minimising player)")
    ax.set_ylabel("y (the maximising player)")
    ax.set_title(title)


def plot_game(
    game: Game,
    xlim: tuple[float, float] = (-2.0, 2.0),
    ylim: tuple[float, float] = (-2.0, 2.0),
    *,
    resolution: int = 21,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Contours of V(x, y) and unit arrows along −(∂V/∂x, −∂V/∂y), where gradient descent goes."""
    ax = axes_or_new(ax)
    xs, ys = np.linspace(*xlim, 200), np.linspace(*ylim, 200)
    xx, yy = np.meshgrid(xs, ys, indexing="xy")
    contours = ax.contourf(xx, yy, game.value(xx, yy), levels=20, cmap="coolwarm", alpha=0.6)
    ax.figure.colorbar(contours, ax=ax, fraction=0.046, pad=0.04, label="V(x, y)")
    qx, qy = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    gx, gy = game.cost_gradients(qx, qy)
    # unit arrows: the speed varies by orders of magnitude, the direction is the story
    norm = np.hypot(gx, gy)
    norm[norm == 0] = 1.0
    ax.quiver(
        qx, qy, -gx / norm, -gy / norm, color="k", alpha=0.6, angles="xy", label="descent direction"
    )
    _mark_equilibrium(ax, game)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    _label_plane(ax, title or f"The {game.name}: ${game.formula}$")
    ax.legend(loc="lower left", fontsize="small")
    return ax


def plot_trajectories(
    trajectories: Mapping[str, ArrayLike],
    game: Game | None = None,
    *,
    title: str = "Trajectories",
    equal_aspect: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Paths {label: (T, 2) iterates}, each with its start (circle) and end (square)."""
    ax = axes_or_new(ax)
    for label, points in trajectories.items():
        points = np.asarray(points, dtype=np.float64)
        points = points[np.isfinite(points).all(axis=1)]
        (line,) = ax.plot(points[:, 0], points[:, 1], lw=1.2, label=label)
        ax.plot(*points[0], "o", c=line.get_color(), ms=6)
        ax.plot(*points[-1], "s", c=line.get_color(), ms=6)
    _mark_equilibrium(ax, game)
    if equal_aspect:
        ax.set_aspect("equal", adjustable="datalim")
    _label_plane(ax, title + "  (o start, □ end)")
    ax.legend(fontsize="small")
    return ax


def plot_coordinates(
    trajectories: Mapping[str, ArrayLike],
    game: Game | None = None,
    *,
    title: str = "The players over time",
    ax: Axes | None = None,
) -> Axes:
    """x_t (solid) and y_t (dashed) against the step t for each path {label: (T, 2)}."""
    ax = axes_or_new(ax, figsize=(6, 4))
    for label, points in trajectories.items():
        points = np.asarray(points, dtype=np.float64)
        steps = np.arange(len(points))
        (line,) = ax.plot(steps, points[:, 0], label=f"{label}: x")
        ax.plot(steps, points[:, 1], "--", c=line.get_color(), label=f"{label}: y")
    if game is not None and game.equilibrium is not None:
        for value in np.unique(game.equilibrium):
            ax.axhline(value, c="0.5", lw=0.8, ls=":")
    ax.set_xlabel("step t")
    ax.set_ylabel("x_t (solid), y_t (dashed)")
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def plot_phase_portrait(
    trajectory: Trajectory,
    *,
    tol: float = 1e-2,
    title: str = "Phase portrait",
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Many runs of :func:`~ganlab.games.simulate` (T, M, 2), coloured by their outcome.

    Green: ended within ``tol`` of the equilibrium; orange: did not; red: diverged.
    """
    points = np.asarray(trajectory)
    if points.ndim != 3:
        raise ValueError(f"expected a trajectory of M starts, shape (T, M, 2), got {points.shape}")
    ax = axes_or_new(ax)
    diverged = np.asarray(trajectory.diverged)
    converged = trajectory.converged(tol)
    groups = [
        (converged, "tab:green", f"converged within {tol:g}"),
        (~converged & ~diverged, "tab:orange", "not converged"),
        (diverged, "tab:red", "diverged"),
    ]
    for mask, colour, label in groups:
        if mask.any():
            # hundreds of overlapping paths: antialiasing only blurs them, and triples the PNG
            ax.plot(
                points[:, mask, 0],
                points[:, mask, 1],
                c=colour,
                lw=0.5,
                alpha=0.35,
                antialiased=False,
            )
            ax.scatter(
                points[0, mask, 0],
                points[0, mask, 1],
                c=colour,
                s=14,
                zorder=3,
                edgecolors="k",
                linewidths=0.3,
                label=f"{label}: {mask.sum()} of {len(mask)}",
            )
    _mark_equilibrium(ax, trajectory.game)
    if xlim is not None:
        ax.set_xlim(*xlim)
    if ylim is not None:
        ax.set_ylim(*ylim)
    _label_plane(ax, title + "  (dots: starts)")
    ax.legend(fontsize="small", loc="best")
    return ax


def plot_rates(
    curves: Mapping[str, ArrayLike],
    references: Mapping[str, ArrayLike] | None = None,
    *,
    ylabel: str = "distance to the equilibrium",
    title: str = "Distance to the equilibrium",
    loglog: bool = False,
    ax: Axes | None = None,
) -> Axes:
    """Per-step curves {label: (T,) or (T, M)} on a log scale, closed forms dashed.

    A (T, M) curve (many starts) is drawn as its median with a 10–90 % band.  Each entry of
    ``references`` is a (T,) closed-form prediction drawn as a dashed black line.
    """
    ax = axes_or_new(ax, figsize=(6, 4))
    for label, values in curves.items():
        values = np.asarray(values, dtype=np.float64)
        steps = np.arange(len(values))
        if values.ndim == 2:
            low, mid, high = np.nanpercentile(values, [10, 50, 90], axis=1)
            (line,) = ax.plot(steps, mid, label=f"{label} (median of {values.shape[1]})")
            ax.fill_between(steps, low, high, color=line.get_color(), alpha=0.2)
        else:
            ax.plot(steps, values, label=label)
    for label, values in (references or {}).items():
        values = np.asarray(values, dtype=np.float64)
        ax.plot(np.arange(len(values)), values, "k--", lw=1, label=label)
    if loglog:
        ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def plot_sweep(
    values: ArrayLike,
    weights: Sequence[float],
    lrs: Sequence[float],
    *,
    boundary: tuple[ArrayLike, ArrayLike] | None = None,
    label: str = "fraction of starts converged",
    title: str = "Historical averaging: weight × learning rate",
    ax: Axes | None = None,
) -> Axes:
    """A (len(lrs), len(weights)) table as an annotated heatmap, optional boundary curve.

    ``boundary`` = (weights, lrs) draws a curve, e.g. the stability limit lr(weight).
    """
    ax = axes_or_new(ax, figsize=(6.5, 5))
    values = np.asarray(values, dtype=np.float64)
    expected = (len(lrs), len(weights))
    if values.shape != expected:
        raise ValueError(
            f"values must have shape (len(lrs), len(weights)) = {expected}, got {values.shape}"
        )
    mesh = ax.imshow(values, origin="lower", cmap="viridis", vmin=0, vmax=1, aspect="auto")
    ax.figure.colorbar(mesh, ax=ax, label=label)
    for (i, j), v in np.ndenumerate(values):
        ax.text(
            j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="k" if v > 0.5 else "w"
        )
    ax.set_xticks(range(len(weights)), [f"{w:g}" for w in weights])
    ax.set_yticks(range(len(lrs)), [f"{lr:g}" for lr in lrs])
    if boundary is not None:
        # the heatmap's axes are indices; place the curve by interpolating in log space
        bw, blr = (np.asarray(b, dtype=np.float64) for b in boundary)
        xs = np.interp(np.log(bw), np.log(weights), np.arange(len(weights)), np.nan, np.nan)
        ys = np.interp(np.log(blr), np.log(lrs), np.arange(len(lrs)), left=-0.5, right=np.nan)
        ax.plot(xs, ys, "r-", lw=2, label="stability limit (closed form)")
        ax.legend(loc="upper left", fontsize="small")
    ax.set_xlabel("penalty weight")
    ax.set_ylabel("learning rate lr")
    ax.set_title(title)
    return ax
