"""Figures of lesson 09: test-error curves per epoch and misclassified digits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
from torch import Tensor

from ganlab.semisupervised.settings import EpochRecord


def plot_error_curves(
    histories: Mapping[str, Sequence[EpochRecord]],
    *,
    raw: bool = False,
    title: str = "Test error per epoch",
    ax: Axes | None = None,
) -> Axes:
    """Test error (%) of the averaged D per epoch, one line per run; ``raw`` adds the raw D.

    Args:
        histories: run name → its per-epoch records (``trainer.history``).
        raw: also draw the raw D's error, faint, in the run's colour.
        title: the axes title.
        ax: draw here; by default a new (9, 4) figure with a constrained layout.  The legend
            sits to the right of the axes, so a figure of your own needs room there (a
            constrained layout makes it).
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    for label, history in histories.items():
        epochs = [r.epoch for r in history]
        line = ax.plot(epochs, [100 * r.test_error for r in history], label=label)[0]
        if raw:
            raw_errors = [100 * r.test_error_raw for r in history]
            ax.plot(epochs, raw_errors, color=line.get_color(), alpha=0.35, lw=0.8)
    if raw and histories:
        ax.plot([], [], color="gray", alpha=0.35, lw=0.8, label="raw D (faint, same colour)")
    ax.set_xlabel("epoch (one pass over the unlabelled set)")
    ax.set_ylabel("test error (%)")
    ax.set_yscale("log")
    # plain numbers (1, 2, 5, 10, 20, 50) rather than 3 × 10¹ on the log axis
    ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    # beside the axes: the early epochs, top left, are where the curves differ most
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return ax


def plot_misclassified(
    images: Tensor,
    labels: Tensor,
    predicted: Tensor,
    *,
    max_images: int = 30,
    ncol: int = 10,
    title: str = "Misclassified test digits",
) -> plt.Figure:
    """Up to ``max_images`` test digits with ``predicted != labels``, titled true → predicted."""
    if not len(images) == len(labels) == len(predicted):
        raise ValueError(
            f"need as many images, labels and predictions, got {len(images)}, "
            f"{len(labels)} and {len(predicted)}"
        )
    wrong = np.flatnonzero((predicted.cpu() != labels.cpu()).numpy())[:max_images]
    rows = max(1, -(-len(wrong) // ncol))
    fig, axes = plt.subplots(rows, ncol, figsize=(1.1 * ncol, 1.3 * rows), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, i in zip(axes.flat, wrong, strict=False):
        ax.imshow(images[i].reshape(28, 28).cpu().numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"{int(labels[i])} → {int(predicted[i])}", fontsize=9)
    fig.suptitle(f"{title} ({len(wrong)} shown; true → predicted)")
    fig.tight_layout()
    return fig
