"""Figures of the course: 2-D samples over D's output, image grids and training curves.

Every function draws on an ``ax`` if given (else on a new figure) and returns the axes,
with a title, labelled axes and a legend where there are several series.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.patches import Circle
from mpl_toolkits.axes_grid1 import make_axes_locatable
from torch import Tensor, nn

from ganlab.data import Mixture2D
from ganlab.metrics import mode_coverage
from ganlab.modes import evaluating

SAMPLE_COLOUR = "tab:orange"
COLD_MODE = "tab:red"  # a mode that is not covered
MODE_MARKER = 110  # points², the smallest circle drawn at a mode


def axes_or_new(ax: Axes | None, figsize: tuple[float, float] = (5, 5)) -> Axes:
    """``ax`` itself, or the axes of a new figure of size ``figsize`` when ``ax`` is None."""
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def _numpy(x: Tensor | np.ndarray) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


@torch.no_grad()
def discriminator_grid(
    discriminator: nn.Module, extent: float, resolution: int = 150
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D(x) = σ(logit) on a ``resolution``² grid over [-extent, extent]²: (xs, ys, probs)."""
    device = next(discriminator.parameters()).device
    ticks = torch.linspace(-extent, extent, resolution, device=device)
    xx, yy = torch.meshgrid(ticks, ticks, indexing="xy")
    points = torch.stack([xx.reshape(-1), yy.reshape(-1)], dim=1)  # (R², 2)
    with evaluating(discriminator):
        probs = torch.sigmoid(discriminator(points)).reshape(resolution, resolution)
    return _numpy(ticks), _numpy(ticks), _numpy(probs)


def _centers_and_std(
    centers: Tensor | np.ndarray | Mixture2D | None, std: float | None
) -> tuple[np.ndarray | None, float | None]:
    if isinstance(centers, Mixture2D):
        return _numpy(centers.centers), centers.std if std is None else std
    return (None if centers is None else _numpy(centers)), std


def plot_mode_counts(
    samples: Tensor | np.ndarray,
    centers: Tensor | np.ndarray | Mixture2D,
    std: float | None = None,
    *,
    title: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The count strip: one bar per mode, its high-quality samples (within 3σ).

    Covered modes (at least :func:`~ganlab.metrics.mode_coverage`'s ``min_count``, drawn as
    a dotted line) are dark bars; an empty or under-covered mode is a red bar, with a red
    marker on the axis so that a mode with no sample at all is seen too.
    """
    centers, std = _centers_and_std(centers, std)
    if centers is None or std is None:
        raise ValueError("plot_mode_counts needs the mode centres and std (or a Mixture2D)")
    ax = axes_or_new(ax, figsize=(5, 1.2))
    coverage = mode_coverage(torch.as_tensor(_numpy(samples)), torch.as_tensor(centers), std)
    counts = coverage.counts.numpy()
    covered = counts >= coverage.min_count
    modes = np.arange(len(counts))
    ax.bar(modes, counts, width=0.8, color=np.where(covered, "0.25", COLD_MODE))
    ax.scatter(
        modes[~covered],
        np.zeros((~covered).sum()),
        marker="^",
        s=28,
        c=COLD_MODE,
        zorder=3,
        clip_on=False,
    )
    ax.axhline(coverage.min_count, ls=":", lw=1, c="k")
    ax.set_xlim(-0.6, len(counts) - 0.4)
    ax.set_ylim(0, max(float(counts.max()), coverage.min_count) * 1.15)
    ax.set_xticks(modes if len(counts) <= 12 else modes[:: max(1, len(counts) // 8)])
    ax.tick_params(labelsize="x-small")
    ax.set_xlabel(
        title or f"mode ({coverage.modes_covered}/{len(counts)} covered)", fontsize="small"
    )
    ax.set_ylabel("HQ", fontsize="small")
    return ax


def plot_samples_2d(
    samples: Tensor | np.ndarray,
    centers: Tensor | np.ndarray | Mixture2D | None = None,
    discriminator: nn.Module | None = None,
    *,
    std: float | None = None,
    real: Tensor | np.ndarray | None = None,
    extent: float | None = None,
    title: str = "Generated samples",
    counts: bool | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Generated 2-D samples over the true modes, with D's output D(x) as a heatmap.

    Modes are hollow circles drawn *under* the samples, so a mode with samples at its centre
    is filled in and an empty one is a ring you can see through.  When the standard
    deviation is known (``std``, or ``centers`` given as a :class:`~ganlab.data.Mixture2D`)
    each circle is at least 3σ wide, modes that are not covered are circled in red, and a
    count strip (:func:`plot_mode_counts`) under the panel gives each mode's high-quality
    samples.

    Args:
        samples: (N, 2) generated samples.
        centers: (K, 2) true mode centres, or the mixture itself.
        discriminator: if given, σ(D(x)) is drawn underneath as a heatmap with a colour bar.
        std: the modes' standard deviation (taken from a Mixture2D if not given).
        real: optional (M, 2) real samples, drawn faintly.
        extent: half-width of the square view; default fits the centres and samples.
        counts: draw the count strip; default: whenever ``std`` is known.

    Returns:
        The panel's axes; the strip's axes, if drawn, are ``ax.mode_counts``.
    """
    ax = axes_or_new(ax)
    samples = _numpy(samples)
    centers, std = _centers_and_std(centers, std)
    if extent is None:
        pts = [samples] + ([centers] if centers is not None else [])
        finite = np.concatenate(pts)
        finite = finite[np.isfinite(finite).all(axis=1)]
        extent = 1.25 * float(np.abs(finite).max()) if len(finite) else 1.0
        extent = max(extent, 1e-3)
    if discriminator is not None:
        xs, ys, probs = discriminator_grid(discriminator, extent)
        mesh = ax.pcolormesh(xs, ys, probs, cmap="RdBu", vmin=0, vmax=1, shading="auto")
        ax.figure.colorbar(mesh, ax=ax, fraction=0.046, pad=0.04, label="D(x) = P(real)")
    if real is not None:
        r = _numpy(real)
        ax.scatter(r[:, 0], r[:, 1], s=4, c="0.5", alpha=0.3, label="real samples", zorder=1)
    if centers is not None:
        draw_modes(ax, centers, std, samples)
    ax.scatter(
        samples[:, 0], samples[:, 1], s=4, c=SAMPLE_COLOUR, alpha=0.6, label="generated", zorder=3
    )
    ax.set_xlim(-extent, extent)
    ax.set_ylim(-extent, extent)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(loc="upper right", fontsize="x-small", framealpha=0.8)
    if counts is None:
        counts = centers is not None and std is not None
    if counts:
        if centers is None or std is None:
            raise ValueError("counts=True needs the mode centres and std (or a Mixture2D)")
        strip = make_axes_locatable(ax).append_axes("bottom", size="20%", pad=0.5)
        ax.mode_counts = plot_mode_counts(samples, centers, std, ax=strip)
    return ax


def draw_modes(
    ax: Axes, centers: np.ndarray, std: float | None, samples: np.ndarray | None = None
) -> None:
    """Hollow circles at the mode centres: radius max(3σ, a visible minimum); red where the
    mode is not covered by ``samples`` (when ``std`` and ``samples`` are given)."""
    colours = ["k"] * len(centers)
    if std is not None and samples is not None and len(samples):
        finite = samples[np.isfinite(samples).all(axis=1)]
        if len(finite):
            cov = mode_coverage(torch.as_tensor(finite), torch.as_tensor(centers), std)
            colours = ["k" if c >= cov.min_count else COLD_MODE for c in cov.counts.tolist()]
    # a marker of MODE_MARKER points, or a 3σ circle in data units when that is larger
    ax.scatter(
        centers[:, 0],
        centers[:, 1],
        s=MODE_MARKER,
        facecolors="none",
        edgecolors=colours,
        linewidths=1.4,
        zorder=2,
        label="true modes (inner ring: 3σ)",
    )
    if std is not None:
        for (x, y), colour in zip(centers, colours, strict=True):
            ax.add_patch(Circle((x, y), 3 * std, fill=False, ec=colour, lw=1.0, zorder=2))


def image_grid(
    images: Tensor | np.ndarray,
    nrow: int = 10,
    *,
    title: str = "Samples",
    ax: Axes | None = None,
) -> Axes:
    """Images (N, C, H, W) with values in [0, 1] tiled ``nrow`` to a row."""
    images = _numpy(images)
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (N, 1 or 3, H, W), got {images.shape}")
    n, c, h, w = images.shape
    ncol = min(nrow, n)
    rows = -(-n // ncol)
    canvas = np.ones((rows * (h + 1) + 1, ncol * (w + 1) + 1, c), dtype=np.float32)
    for i in range(n):
        r, k = divmod(i, ncol)
        canvas[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + k * (w + 1) : 1 + k * (w + 1) + w] = (
            images[i].transpose(1, 2, 0)
        )
    ax = axes_or_new(ax, figsize=(ncol * 0.6, rows * 0.6))
    canvas = np.clip(canvas, 0, 1)
    ax.imshow(canvas[..., 0] if c == 1 else canvas, cmap="gray" if c == 1 else None)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(f"{n} images")
    return ax


def plot_losses(
    history: Mapping[str, Sequence[float]],
    *,
    smooth: int = 1,
    title: str = "Training losses",
    ax: Axes | None = None,
) -> Axes:
    """D and G losses per step from a trainer's ``history``, optionally a moving average."""
    ax = axes_or_new(ax, figsize=(6, 3.5))
    steps = np.asarray(history["step"])
    for key, label in (("d_loss", "discriminator"), ("g_loss", "generator")):
        values = np.asarray(history[key], dtype=float)
        if smooth > 1 and len(values) >= smooth:
            values = np.convolve(values, np.ones(smooth) / smooth, mode="valid")
            ax.plot(steps[smooth - 1 :], values, label=f"{label} ({smooth}-step mean)")
        else:
            ax.plot(steps, values, label=label)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_curves(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    xlabel: str = "step",
    ylabel: str = "value",
    title: str = "",
    ax: Axes | None = None,
) -> Axes:
    """Several labelled curves ``{label: (x, y)}`` on one axes (e.g. modes covered per seed)."""
    ax = axes_or_new(ax, figsize=(6, 3.5))
    for label, (x, y) in curves.items():
        ax.plot(x, y, marker="o", markersize=3, label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if len(curves) > 1:
        ax.legend()
    return ax


def plot_seed_grid(
    results: Sequence[object],
    centers: Tensor | np.ndarray | Mixture2D,
    *,
    std: float | None = None,
    extent: float = 3.0,
    samples: int = 1000,
    title: str = "",
) -> plt.Figure:
    """One panel per method (rows) and seed (columns) of 2-D samples over the true modes.

    ``results`` are :class:`ganlab.recipes.SeedResult` objects (``method``, ``seed``,
    ``coverage``, ``trainer``); each panel's title gives its modes covered and % high
    quality, so the figure reads next to :func:`ganlab.recipes.coverage_table`.  Each panel
    draws the evaluation's own samples when the result has them (then the panel, its count
    strip and its title describe the same samples), else ``samples`` fresh ones.  With the
    mixture (or ``std``) each panel has its count strip.
    """
    if not results:
        raise ValueError("expected at least one result, got none")
    methods = list(dict.fromkeys(r.method for r in results))
    seeds = list(dict.fromkeys(r.seed for r in results))
    fig, axes = plt.subplots(
        len(methods),
        len(seeds),
        figsize=(3.2 * len(seeds), 4.1 * len(methods)),
        squeeze=False,
    )
    for r in results:
        c = r.coverage
        shown = r.samples if getattr(r, "samples", None) is not None else r.trainer.sample(samples)
        plot_samples_2d(
            shown.cpu(),
            centers,
            std=std,
            extent=extent,
            ax=axes[methods.index(r.method), seeds.index(r.seed)],
            title=f"{r.method}, seed {r.seed}\n{c.modes_covered}/{c.num_modes} modes, "
            f"{100 * c.high_quality:.0f}% HQ",
        )
    for ax in axes.flat:
        legend = ax.get_legend()
        if legend is not None and ax is not axes[0, 0]:
            legend.remove()  # one legend is enough
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_image_grids(
    batches: Mapping[str, Tensor | np.ndarray], nrow: int = 10, *, subtitle: str = ""
) -> plt.Figure:
    """Several named image batches (N, C, H, W) side by side, one :func:`image_grid` each."""
    if not batches:
        raise ValueError("expected at least one batch of images, got none")
    fig, axes = plt.subplots(1, len(batches), figsize=(6 * len(batches), 6), squeeze=False)
    for ax, (name, images) in zip(axes[0], batches.items(), strict=True):
        image_grid(images, nrow, title=f"{name}{subtitle}", ax=ax)
    fig.tight_layout()
    return fig
