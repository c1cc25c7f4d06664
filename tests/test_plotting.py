import matplotlib.pyplot as plt
import pytest
import torch

from ganlab.data import ring_mixture
from ganlab.plotting import plot_image_grids, plot_seed_grid
from ganlab.recipes import compare_seeds

SMALL = {"hidden": 8, "depth": 2, "batch_size": 16, "progress": False, "device": "cpu"}


def test_seed_grid_has_one_panel_per_method_and_seed_titled_with_its_coverage():
    mixture = ring_mixture()
    results = compare_seeds(
        mixture, {"vanilla": {}, "other": {}}, seeds=[3, 5], steps=2, eval_samples=40, **SMALL
    )
    fig = plot_seed_grid(results, mixture.centers, samples=50, title="grid")
    axes = fig.axes
    assert len(axes) == 4
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
