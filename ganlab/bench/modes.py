"""The mode-collapse benchmark of lessons 03–04: ``ganlab bench modes``.

Vanilla GAN, feature matching and minibatch discrimination on the ring of 8 and the grid of
25 Gaussians: the course's baseline (:func:`ganlab.recipes.toy_gan`'s defaults, trained for
:data:`~ganlab.recipes.COURSE_STEPS`), the same seeds for every method, all in one run.
Prints modes covered and % high-quality samples (mean ± sample std over seeds) per data set
and method, and minibatch discrimination / feature matching against vanilla seed by seed.
With ``--out`` it also writes, per data set, the results as data (``<name>.json`` with the
coverage logged every ``eval_every`` steps, ``<name>.npz`` with the evaluation samples; read
them with :func:`ganlab.recipes.load_seed_results`) and a figure of one seed per method.
Lesson 04 renders the grid's results from the copy shipped in ``ganlab/bench/results``.
"""

from __future__ import annotations

import argparse
import functools
import time
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

from ganlab import cliargs
from ganlab.config import sizes
from ganlab.data import Mixture2D, grid_mixture, ring_mixture
from ganlab.nets import MLPDiscriminator
from ganlab.recipes import (
    COURSE_STEPS,
    SeedResult,
    compare_seeds,
    coverage_table,
    load_seed_results,
    per_seed,
    save_seed_results,
)
from ganlab.stats import paired_comparison
from ganlab.tricks import FeatureMatchingObjective

# The tricks' settings (the networks are the baseline's): the same under both profiles.
HIDDEN = 128  # the baseline's width and depth, for the minibatch discriminator
DEPTH = 3
MINIBATCH_KERNELS = 4  # B; lesson 04 uses the same layer
KERNEL_DIM = 5  # C

GRID_RESULTS = "modes_grid.json"  # shipped: vanilla vs minibatch on the grid, 5 seeds


def budget(profile: str | None = None) -> SimpleNamespace:
    """Steps, seeds, evaluation samples and logging interval under ``profile``."""
    return sizes(
        full=dict(steps=COURSE_STEPS, seeds=5, eval_samples=2500, eval_every=1000),
        quick=dict(steps=40, seeds=1, eval_samples=200, eval_every=20),
        profile=profile,
    )


DATASETS = {
    "ring": lambda: ring_mixture(8, radius=2.0, std=0.02),
    "grid": lambda: grid_mixture(5, spacing=2.0, std=0.05),
}
DATASET_TITLES = {"ring": "ring of 8", "grid": "grid of 25"}


def methods(
    hidden: int = HIDDEN,
    depth: int = DEPTH,
    minibatch_kernels: int = MINIBATCH_KERNELS,
    kernel_dim: int = KERNEL_DIM,
) -> dict[str, dict]:
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
    profile: str | None = None,
    seeds: int | None = None,
    device: str | None = None,
    datasets: tuple[str, ...] = tuple(DATASETS),
    method_names: tuple[str, ...] | None = None,
) -> dict[str, list[SeedResult]]:
    """Run the chosen methods on the chosen data sets; returns ``{data set: results}``."""
    s = budget(profile)
    seed_list = range(seeds if seeds is not None else s.seeds)
    every = methods()
    chosen = {name: every[name] for name in (method_names or tuple(every))}
    results = {}
    for name in datasets:
        mixture: Mixture2D = DATASETS[name]()
        results[name] = compare_seeds(
            mixture,
            chosen,
            seed_list,
            steps=s.steps,
            eval_samples=s.eval_samples,
            eval_every=s.eval_every,
            device=device,
            progress=False,
        )
    return results


def load_grid_results() -> tuple[list[SeedResult], dict]:
    """The shipped grid results (``ganlab bench modes --datasets grid --out ...``)."""
    path = resources.files("ganlab.bench") / "results" / GRID_RESULTS
    return load_seed_results(Path(str(path)))


def _save(results: dict[str, list[SeedResult]], out: Path, meta: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ganlab.plotting import plot_samples_2d

    out.mkdir(parents=True, exist_ok=True)
    for name, rs in results.items():
        save_seed_results(rs, out / f"{name}.json", {**meta, "dataset": name})
    method_names = list(dict.fromkeys(r.method for rs in results.values() for r in rs))
    fig, axes = plt.subplots(
        len(results),
        len(method_names),
        figsize=(4 * len(method_names), 5 * len(results)),
        squeeze=False,
    )
    for row, (name, rs) in zip(axes, results.items(), strict=True):
        mixture = DATASETS[name]()
        for ax, method in zip(row, method_names, strict=True):
            first = next(r for r in rs if r.method == method)
            plot_samples_2d(
                first.samples,
                mixture,
                extent=float(mixture.centers.abs().max()) * 1.5,
                title=f"{DATASET_TITLES[name]}, {method}\nseed {first.seed}: "
                f"{first.coverage.modes_covered}/{first.coverage.num_modes} modes, "
                f"{100 * first.coverage.high_quality:.0f}% HQ",
                ax=ax,
            )
    fig.tight_layout()
    fig.savefig(out / "modes.png", dpi=80)
    plt.close(fig)


def _main(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    profile = None  # --profile, else $GANLAB_PROFILE
    results = run(profile, args.seeds, args.device, args.datasets, args.methods)
    for name, rs in results.items():
        print(f"\n{DATASET_TITLES[name]}")
        print(coverage_table(rs))
        names = list(dict.fromkeys(r.method for r in rs))
        for other in names[1:] if names[0] == "vanilla" else []:
            for metric in ("modes", "quality"):
                c = paired_comparison(per_seed(rs, "vanilla", metric), per_seed(rs, other, metric))
                print(f"  {metric:<8}", c.summary("vanilla", other))
    if args.out:
        s = budget(profile)
        meta = {
            "steps": s.steps,
            "eval_samples": s.eval_samples,
            "eval_every": s.eval_every,
            "minibatch_kernels": MINIBATCH_KERNELS,
            "kernel_dim": KERNEL_DIM,
        }
        _save(results, Path(args.out), meta)
        print(f"\nwrote {', '.join(f'{n}.json' for n in results)} and modes.png to {args.out}")
    print(f"\n{time.perf_counter() - start:.0f} s")
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab bench modes``."""
    parser = subparsers.add_parser(
        "modes",
        help="mode collapse: vanilla vs feature matching vs minibatch discrimination",
        description="Train vanilla GAN, feature matching and minibatch discrimination on the "
        f"ring of 8 and the grid of 25 Gaussians ({COURSE_STEPS} steps, 5 seeds, the same "
        "seeds for every method; quick profile: 40 steps, 1 seed) and print modes covered and "
        "% high-quality samples per method, and each trick against vanilla seed by seed. "
        "With --out it writes <data set>.json, <data set>.npz and modes.png there. The full "
        "profile trains 30 GANs: tens of minutes on CPU (quick: seconds).",
    )
    cliargs.add_profile_option(parser, quick_alias=True)
    parser.add_argument(
        "--seeds",
        type=cliargs.positive_int,
        default=None,
        help="number of seeds, 0 to N-1 (default: the profile's, 5 or 1)",
    )
    parser.add_argument(
        "--datasets",
        type=cliargs.comma_list(DATASETS),
        default=tuple(DATASETS),
        help="ring, grid or ring,grid (default: both)",
    )
    parser.add_argument(
        "--methods",
        type=cliargs.comma_list(methods()),
        default=None,
        help="comma-separated among 'vanilla', 'feature matching', 'minibatch discrimination' "
        "(default: all three)",
    )
    parser.add_argument(
        "--out",
        type=cliargs.output_dir,
        default=None,
        help="folder for the results and modes.png (created if missing)",
    )
    cliargs.add_device_option(parser)
    parser.set_defaults(func=_main)
