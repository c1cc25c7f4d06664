"""The mode-collapse benchmark of lessons 03–04: ``ganlab bench modes``.

Vanilla GAN, feature matching and minibatch discrimination on the ring of 8 and the grid of
25 Gaussians: the same networks, the same budget and the same seeds, all in one run.  Prints
modes covered and % high-quality samples (mean ± std over seeds) per data set and method;
with ``--out`` also writes ``modes.json`` and a figure of one sample set per method.
"""

from __future__ import annotations

import argparse
import functools
import time
from pathlib import Path
from types import SimpleNamespace

from ganlab.config import sizes
from ganlab.data import Mixture2D, grid_mixture, ring_mixture
from ganlab.files import save_json
from ganlab.nets import MLPDiscriminator
from ganlab.recipes import SeedResult, compare_seeds, coverage_table
from ganlab.tricks import FeatureMatchingObjective

# The model: the same under both profiles (only the budget below changes with the profile).
BATCH_SIZE = 128
HIDDEN = 128
DEPTH = 3
LATENT_DIM = 16
MINIBATCH_KERNELS = 16
KERNEL_DIM = 5


def budget(profile: str | None = None) -> SimpleNamespace:
    """Steps, seeds and evaluation samples under ``profile`` (default: the active one)."""
    return sizes(
        full=dict(steps=10_000, seeds=5, eval_samples=2500),
        quick=dict(steps=40, seeds=1, eval_samples=200),
        profile=profile,
    )


DATASETS = {
    "ring of 8": lambda: ring_mixture(8, radius=2.0, std=0.02),
    "grid of 25": lambda: grid_mixture(5, spacing=2.0, std=0.05),
}


def methods(hidden: int, depth: int, minibatch_kernels: int, kernel_dim: int) -> dict[str, dict]:
    """The three methods as keyword arguments of :func:`ganlab.recipes.toy_gan`.

    Minibatch discrimination divides its features by the N - 1 other examples
    (``minibatch_normalize=True``); the paper's plain sum gives D's last layer features of
    size ~N.  Neither official layer does this: the Theano code sums, the TensorFlow
    (ImageNet) code divides by n(2n - 1) over a joint batch of n real and n generated
    examples.  Lesson 04 compares the sum and the mean.
    """
    return {
        "vanilla": {},
        "feature matching": {"g_objective": FeatureMatchingObjective("sum")},
        "minibatch discrimination": {
            "discriminator": functools.partial(
                MLPDiscriminator,
                2,
                hidden,
                depth,
                minibatch_kernels=minibatch_kernels,
                kernel_dim=kernel_dim,
                minibatch_normalize=True,
            )
        },
    }


def run(
    profile: str | None = None, seeds: int | None = None, device: str | None = None
) -> dict[str, list[SeedResult]]:
    """Run every method on every data set; returns ``{data set: results}``."""
    s = budget(profile)
    seed_list = range(seeds if seeds is not None else s.seeds)
    results = {}
    for name, make in DATASETS.items():
        mixture: Mixture2D = make()
        results[name] = compare_seeds(
            mixture,
            methods(HIDDEN, DEPTH, MINIBATCH_KERNELS, KERNEL_DIM),
            seed_list,
            steps=s.steps,
            batch_size=BATCH_SIZE,
            hidden=HIDDEN,
            depth=DEPTH,
            latent_dim=LATENT_DIM,
            eval_samples=s.eval_samples,
            device=device,
            progress=False,
        )
    return results


def _save(results: dict[str, list[SeedResult]], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ganlab.plotting import plot_samples_2d

    out.mkdir(parents=True, exist_ok=True)
    rows = [
        {
            "dataset": name,
            "method": r.method,
            "seed": r.seed,
            "modes_covered": r.coverage.modes_covered,
            "num_modes": r.coverage.num_modes,
            "high_quality": r.coverage.high_quality,
        }
        for name, rs in results.items()
        for r in rs
    ]
    save_json(rows, out / "modes.json")
    method_names = list(dict.fromkeys(r.method for rs in results.values() for r in rs))
    fig, axes = plt.subplots(
        len(results), len(method_names), figsize=(4 * len(method_names), 4 * len(results))
    )
    for row, (name, rs) in zip(axes.reshape(len(results), -1), results.items(), strict=True):
        mixture = DATASETS[name]()
        for ax, method in zip(row, method_names, strict=True):
            first = next(r for r in rs if r.method == method)
            plot_samples_2d(
                first.trainer.sample(1000).cpu(),
                mixture,
                extent=float(mixture.centers.abs().max()) * 1.5,
                title=f"{name}, {method}\nseed {first.seed}: {first.coverage.modes_covered}/"
                f"{first.coverage.num_modes} modes, {100 * first.coverage.high_quality:.0f}% HQ",
                ax=ax,
            )
    fig.tight_layout()
    fig.savefig(out / "modes.png", dpi=80)
    plt.close(fig)


def _main(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    profile = "quick" if args.quick else None
    results = run(profile, args.seeds, args.device)
    for name, rs in results.items():
        print(f"\n{name}")
        print(coverage_table(rs))
    if args.out:
        _save(results, Path(args.out))
        print(f"\nwrote {args.out}/modes.json and modes.png")
    print(f"\n{time.perf_counter() - start:.0f} s")
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab bench modes``."""
    parser = subparsers.add_parser("modes", help="mode collapse: vanilla vs FM vs minibatch")
    parser.add_argument("--quick", action="store_true", help="the quick profile's sizes")
    parser.add_argument("--seeds", type=int, default=None, help="number of seeds")
    parser.add_argument("--out", default=None, help="folder for modes.json and modes.png")
    parser.add_argument("--device", default=None, help="cpu, cuda, mps (default: best)")
    parser.set_defaults(func=_main)
