"""Figures of lesson 09: test-error curves, benchmark curves over seeds, confusion matrices."""

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
    _error_axes(ax, title)
    return ax


def _error_axes(ax: Axes, title: str) -> None:
    """Log-scale test-error axis with plain tick labels, grid, title, legend to the right."""
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


def plot_seed_curves(
    arms: Mapping[str, Mapping],
    *,
    title: str = "Test error over training, every seed",
    ax: Axes | None = None,
) -> Axes:
    """Benchmark curves: test error (%) against steps, one colour per arm.

    Each seed is a faint line, the mean over seeds a thick one.

    Args:
        arms: label → an arm's record from :func:`ganlab.bench.ssl.load_results`
            (``curves``: per seed, the test error per epoch; ``steps_per_epoch``).
        title: the axes title.
        ax: draw here; by default a new (9, 4) figure with a constrained layout.
    """
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4), layout="constrained")
    for label, arm in arms.items():
        curves = np.asarray(arm["curves"], dtype=float) * 100  # (seeds, epochs)
        if curves.ndim != 2 or curves.size == 0:
            raise ValueError(f"{label}: expected per-seed curves of equal length")
        steps = arm["steps_per_epoch"] * np.arange(1, curves.shape[1] + 1)
        n = len(curves)
        line = ax.plot(steps, curves.mean(0), lw=2, label=f"{label} (mean of {n})")[0]
        for curve in curves:
            ax.plot(steps, curve, color=line.get_color(), alpha=0.3, lw=0.8)
    ax.set_xlabel("training step")
    _error_axes(ax, title)
    return ax


def confusion_matrix(labels: Tensor, predicted: Tensor, num_classes: int = 10) -> np.ndarray:
    """Counts C[i, j] of test examples of class i predicted as j, int64 (K, K)."""
    labels = np.asarray(labels.cpu() if isinstance(labels, Tensor) else labels).astype(np.int64)
    predicted = np.asarray(predicted.cpu() if isinstance(predicted, Tensor) else predicted).astype(
        np.int64
    )
    if labels.shape != predicted.shape or labels.ndim != 1:
        raise ValueError(
            f"need 1-D labels and predictions of the same length, got {labels.shape} and "
            f"{predicted.shape}"
        )
    for name, values in (("labels", labels), ("predicted", predicted)):
        if len(values) and (values.min() < 0 or values.max() >= num_classes):
            raise ValueError(f"{name} must lie in 0..{num_classes - 1}")
    counts = np.bincount(labels * num_classes + predicted, minlength=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def plot_confusion(
    labels: Tensor,
    predicted: Tensor,
    *,
    num_classes: int = 10,
    title: str = "Confusion matrix",
    ax: Axes | None = None,
) -> Axes:
    """The confusion matrix with its off-diagonal counts written in, and each class's error.

    Rows are the true classes (labelled with that class's error rate), columns the
    predictions; the diagonal (correct) is left blank so the mistakes stand out.
    """
    counts = confusion_matrix(labels, predicted, num_classes)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 5.5), layout="constrained")
    mistakes = counts.astype(float)
    np.fill_diagonal(mistakes, np.nan)
    image = ax.imshow(mistakes, cmap="Reds", vmin=0, vmax=max(1.0, np.nanmax(mistakes)))
    for i in range(num_classes):
        for j in range(num_classes):
            if i != j and counts[i, j]:
                ax.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=8)
    totals = counts.sum(1)
    errors = 100 * (1 - np.diag(counts) / np.maximum(totals, 1))
    ax.set_xticks(range(num_classes))
    ax.set_yticks(range(num_classes), [f"{k}  ({e:.1f} %)" for k, e in enumerate(errors)])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class  (its error rate)")
    ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, label="test digits (off the diagonal)", shrink=0.8)
    return ax
