import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from ganlab.data import ring_mixture
from ganlab.plotting import plot_image_grids, plot_samples_2d, plot_seed_grid
from ganlab.recipes import compare_seeds

SMALL = {"hidden": 8, "depth": 2, "batch_size": 16, "progress": False, "device": "cpu"}


def test_seed_grid_has_one_panel_per_method_and_seed_titled_with_its_coverage():
    mixture = ring_mixture()
    results = compare_seeds(
        mixture, {"vanilla": {}, "other": {}}, seeds=[3, 5], steps=2, eval_samples=40, **SMALL
    )
    fig = plot_seed_grid(results, mixture, samples=50, title="grid")
    axes = [ax for ax in fig.axes if hasattr(ax, "mode_counts")]
    assert len(axes) == 4
    for ax, r in zip(axes, results, strict=True):  # the strip counts the evaluation's samples
        assert ax.mode_counts.get_xlabel() == f"mode ({r.coverage.modes_covered}/8 covered)"
        assert [b.get_height() for b in ax.mode_counts.patches] == r.coverage.counts.tolist()
    for ax, r in zip(axes, results, strict=True):  # row-major: method, then seed
        title = ax.get_title()
        assert title.startswith(f"{r.method}, seed {r.seed}")
        assert f"{r.coverage.modes_covered}/8 modes" in title
    assert fig._suptitle.get_text() == "grid"
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one"):
        plot_seed_grid([], mixture.centers)


def test_image_grids_side_by_side():
    batches = {"a": torch.rand(12, 1, 8, 8), "b": torch.zeros(12, 1, 8, 8)}
    fig = plot_image_grids(batches, nrow=4, subtitle=", 10 steps")
    assert [ax.get_title() for ax in fig.axes] == ["a, 10 steps", "b, 10 steps"]
    # each grid is 3 rows of 4 tiles of 8 px with 1 px borders
    assert fig.axes[0].images[0].get_array().shape == (3 * 9 + 1, 4 * 9 + 1)
    plt.close(fig)
    with pytest.raises(ValueError, match="at least one"):
        plot_image_grids({})


def _pixel(fig, ax, point):
    """RGB in [0, 1] of the rendered figure at data coordinates ``point`` of ``ax``."""
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3] / 255.0
    x, y = ax.transData.transform(point)
    row = image.shape[0] - 1 - int(round(y))  # display y runs upward, image rows downward
    return image[row, int(round(x))]


def test_covered_and_empty_modes_look_different_at_their_centres():
    # samples on modes 0, 2 and 5 of the ring: those centres must show the samples' colour,
    # the five empty ones the background through a hollow circle
    mixture = ring_mixture()
    gen = torch.Generator().manual_seed(0)
    covered = [0, 2, 5]
    idx = torch.tensor(covered).repeat(300)
    samples = mixture.centers[idx] + mixture.std * torch.randn(len(idx), 2, generator=gen)
    fig, ax = plt.subplots(figsize=(5, 5), dpi=100)
    plot_samples_2d(samples, mixture, extent=3.0, ax=ax)
    orange = np.array(matplotlib.colors.to_rgb("tab:orange"))
    for k, centre in enumerate(mixture.centers.numpy()):
        rgb = _pixel(fig, ax, centre)
        if k in covered:
            assert np.abs(rgb - orange).max() < 0.25, (k, rgb)  # a sample, drawn on top
        else:
            assert rgb.min() > 0.9, (k, rgb)  # white: nothing there, the circle is hollow
    plt.close(fig)


def test_count_strip_bars_are_the_per_mode_counts_of_a_naive_loop():
    mixture = ring_mixture()
    gen = torch.Generator().manual_seed(1)
    idx = torch.tensor([1, 1, 1, 4, 6]).repeat(40)
    samples = mixture.centers[idx] + 2 * mixture.std * torch.randn(len(idx), 2, generator=gen)
    ax = plot_samples_2d(samples, mixture, extent=3.0)
    expected = [0] * 8
    for s in samples.tolist():  # nearest centre, within 3σ
        d = [((s[0] - c[0]) ** 2 + (s[1] - c[1]) ** 2) ** 0.5 for c in mixture.centers.tolist()]
        k = min(range(8), key=d.__getitem__)
        expected[k] += d[k] <= 3 * mixture.std
    heights = [bar.get_height() for bar in ax.mode_counts.patches]
    assert heights == expected
    # under-covered modes are marked on the strip's axis and circled in red in the panel
    min_count = math.ceil(0.008 * len(samples))
    marked = ax.mode_counts.collections[0].get_offsets()[:, 0].tolist()
    assert marked == [k for k in range(8) if expected[k] < min_count]
    rings = [p for p in ax.patches if p.get_radius() == pytest.approx(3 * mixture.std)]
    red = matplotlib.colors.to_rgba("tab:red")
    assert [p.get_edgecolor() == red for p in rings] == [e < min_count for e in expected]
    plt.close(ax.figure)


def test_counts_need_the_std():
    with pytest.raises(ValueError, match="std"):
        plot_samples_2d(torch.zeros(5, 2), torch.zeros(3, 2), counts=True)
    ax = plot_samples_2d(torch.zeros(5, 2), torch.zeros(3, 2))  # no std: no strip
    assert not hasattr(ax, "mode_counts")
    plt.close(ax.figure)
