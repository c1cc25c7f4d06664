"""Ready-made GAN runs that several lessons share.

:func:`toy_gan` builds the course's 2-D GAN on a Gaussian mixture (:func:`train_toy_gan`
also trains it) and records mode coverage during training; :func:`compare_seeds` runs it
over several seeds so that every claim is measured against a baseline from the same run.
:func:`train_mnist_gan` and :func:`compare_mnist` do the same for the small MNIST DCGAN.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ganlab.config import seed_everything
from ganlab.data import Mixture2D, TensorSampler
from ganlab.files import atomic_write, save_json
from ganlab.losses import nonsaturating_generator_objective, vanilla_discriminator_objective
from ganlab.metrics import ModeCoverage, mode_coverage
from ganlab.nets import MLPDiscriminator, MLPGenerator, MNISTDiscriminator, MNISTGenerator
from ganlab.stats import SUMMARY, describe
from ganlab.training import Callback, Objective, Trainer, every

COURSE_STEPS = 10_000  # the baseline's budget: vanilla's coverage has levelled off (lesson 00)


def coverage_tracker(mixture: Mixture2D, n_samples: int, every_n: int) -> Callback:
    """A trainer callback logging ``"coverage"`` (a ModeCoverage) every ``every_n`` steps.

    Its samples are drawn on a copy of the random state, so a run trains the same with or
    without the tracker, whatever ``every_n``: seed s of the baseline is the same network at
    step 10 000 in every lesson.
    """

    def track(trainer: Trainer) -> None:
        devices = [trainer.device] if trainer.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            samples = trainer.sample(n_samples)
        trainer.log("coverage", mode_coverage(samples, mixture.centers, mixture.std))

    return every(every_n, track)


def toy_gan(
    mixture: Mixture2D,
    *,
    seed: int = 0,
    batch_size: int = 128,
    hidden: int = 128,
    depth: int = 3,
    d_depth: int | None = None,
    latent_dim: int = 16,
    lr: float = 1e-3,
    d_lr: float | None = None,
    d_objective: Objective = vanilla_discriminator_objective,
    g_objective: Objective = nonsaturating_generator_objective,
    discriminator: Callable[[], nn.Module] | None = None,
    eval_every: int = 0,
    eval_samples: int = 2500,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device | None = None,
    progress: bool | None = None,
) -> Trainer:
    """The course's 2-D GAN, built and ready to train: MLP G and D on a 2-D mixture.

    The defaults are the course's vanilla baseline, defined here once and used by lessons
    00 and 03–06: G and D are 3-layer MLPs of width 128, z has 16 dimensions, batch 128,
    Adam with lr 1e-3 and β = (0.5, 0.999), the non-saturating G loss; trained for
    :data:`COURSE_STEPS` steps on the ring of 8 (lesson 00 shows that its coverage has
    levelled off by then).

    The models are built after seeding, so a seed fixes initialisation, batches and noise.
    ``depth`` and ``lr`` are G's (and D's unless ``d_depth`` / ``d_lr`` say otherwise).
    With ``eval_every > 0`` mode coverage of ``eval_samples`` samples is logged in
    ``trainer.metrics["coverage"]``, here at step 0 and then every ``eval_every`` steps.
    ``discriminator`` builds a custom D (e.g. with minibatch discrimination); default
    :class:`MLPDiscriminator`.  Change the objectives or add callbacks before ``fit``.

    Returns:
        The untrained :class:`Trainer` (``.generator``, ``.discriminator``, ``.fit(steps)``).
    """
    seed_everything(seed)
    generator = MLPGenerator(latent_dim, 2, hidden, depth)
    d_depth = depth if d_depth is None else d_depth
    disc = discriminator() if discriminator is not None else MLPDiscriminator(2, hidden, d_depth)
    tracker = coverage_tracker(mixture, eval_samples, eval_every) if eval_every else None
    trainer = Trainer(
        generator,
        disc,
        mixture,
        d_objective=d_objective,
        g_objective=g_objective,
        lr=lr,
        d_lr=d_lr,
        batch_size=batch_size,
        callbacks=[*callbacks, *([tracker] if tracker else [])],
        device=device,
        progress=progress,
    )
    if tracker is not None:
        tracker(trainer)  # step 0: coverage of the untrained generator
    return trainer


def train_toy_gan(mixture: Mixture2D, *, steps: int, **settings: object) -> Trainer:
    """:func:`toy_gan` with ``settings``, trained for ``steps`` steps; returns the trainer."""
    return toy_gan(mixture, **settings).fit(steps)


@dataclass(frozen=True)
class SeedResult:
    """The final evaluation of one seed of one method.

    ``samples`` are the evaluation's samples (on the CPU), the ones ``coverage`` scored.
    A result read back by :func:`load_seed_results` has no ``trainer`` but keeps its
    coverage over training in ``log``.
    """

    method: str
    seed: int
    coverage: ModeCoverage
    trainer: Trainer | None
    samples: torch.Tensor | None = None
    log: tuple[tuple[int, ModeCoverage], ...] | None = None


def coverage_log(result: SeedResult) -> list[tuple[int, ModeCoverage]]:
    """``[(step, ModeCoverage)]`` logged during training (``eval_every``), or ``[]``."""
    if result.log is not None:
        return list(result.log)
    if result.trainer is not None:
        return list(result.trainer.metrics.get("coverage", []))
    return []


def _coverage_record(c: ModeCoverage) -> dict:
    return {
        "modes_covered": c.modes_covered,
        "high_quality": c.high_quality,
        "counts": c.counts.tolist(),
        "min_count": c.min_count,
    }


def _coverage_from(record: Mapping) -> ModeCoverage:
    return ModeCoverage(
        modes_covered=int(record["modes_covered"]),
        high_quality=float(record["high_quality"]),
        counts=torch.tensor(record["counts"], dtype=torch.int64),
        min_count=int(record["min_count"]),
    )


def save_seed_results(
    results: Sequence[SeedResult], path: str | Path, meta: Mapping[str, object] | None = None
) -> Path:
    """Write ``results`` as data only: ``path`` (JSON: method, seed, final coverage, the
    coverage log) and the evaluation samples beside it (``.npz``, no pickle).

    ``meta``: anything JSON can hold that says how the results were made (settings, budget).
    """
    path = Path(path)
    rows = [
        {
            "method": r.method,
            "seed": r.seed,
            "coverage": _coverage_record(r.coverage),
            "log": [[step, _coverage_record(c)] for step, c in coverage_log(r)],
        }
        for r in results
    ]
    save_json({"meta": dict(meta or {}), "results": rows}, path)
    arrays = {
        f"{i}": r.samples.numpy().astype(np.float32)
        for i, r in enumerate(results)
        if r.samples is not None
    }
    with atomic_write(path.with_suffix(".npz"), "wb") as f:
        np.savez_compressed(f, **arrays)
    return path


def load_seed_results(path: str | Path) -> tuple[list[SeedResult], dict]:
    """Read what :func:`save_seed_results` wrote: ``(results, meta)``.

    The results work with :func:`coverage_table`, :func:`per_seed`, :func:`coverage_log` and
    :func:`ganlab.plotting.plot_seed_grid` (which draws their stored samples).
    """
    path = Path(path)
    try:
        record = json.loads(path.read_text())
        rows = record["results"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is not a results file of save_seed_results: {error}") from None
    samples: dict[int, torch.Tensor] = {}
    npz = path.with_suffix(".npz")
    if npz.exists():
        with np.load(npz, allow_pickle=False) as arrays:
            samples = {int(name): torch.from_numpy(arrays[name]) for name in arrays.files}
    results = [
        SeedResult(
            method=row["method"],
            seed=int(row["seed"]),
            coverage=_coverage_from(row["coverage"]),
            trainer=None,
            samples=samples.get(i),
            log=tuple((int(step), _coverage_from(c)) for step, c in row["log"]),
        )
        for i, row in enumerate(rows)
    ]
    return results, record.get("meta", {})


def compare_seeds(
    mixture: Mixture2D,
    methods: Mapping[str, Mapping[str, object]],
    seeds: Sequence[int],
    *,
    steps: int,
    eval_samples: int = 2500,
    **common: object,
) -> list[SeedResult]:
    """Train every method on every seed with the same budget and score the final generator.

    Args:
        methods: ``{name: keyword arguments of train_toy_gan}``, e.g.
            ``{"vanilla": {}, "feature matching": {"g_objective": fm}}``.
        seeds: the seeds, shared by all methods.
        common: keyword arguments of :func:`train_toy_gan` for every method.
    """
    results = []
    for name, kwargs in methods.items():
        # callbacks given both for all methods and for one method are all used
        callbacks = [*common.get("callbacks", ()), *kwargs.get("callbacks", ())]
        merged = {**common, **kwargs, "callbacks": callbacks}
        for seed in seeds:
            trainer = train_toy_gan(
                mixture, steps=steps, seed=seed, eval_samples=eval_samples, **merged
            )
            torch.manual_seed(10_000 + seed)  # the evaluation sample, the same for every method
            samples = trainer.sample(eval_samples)
            final = mode_coverage(samples, mixture.centers, mixture.std)
            results.append(SeedResult(name, seed, final, trainer, samples.cpu()))
    return results


def coverage_table(results: Sequence[SeedResult]) -> str:
    """A text table: per method, modes covered and % high-quality samples over its seeds.

    Each cell is the mean ± sample std (ddof 1) over seeds (the header says so); a method
    run on one seed shows its value without a ±.
    """
    num_modes = results[0].coverage.num_modes if results else 0
    lines = [
        f"{'method':<26} {'seeds':>5} {'modes covered (of ' + str(num_modes) + ')':>22} "
        f"{'high quality %':>16}    ({SUMMARY})"
    ]
    for method in dict.fromkeys(r.method for r in results):
        rows = [r.coverage for r in results if r.method == method]
        modes = describe([c.modes_covered for c in rows])
        quality = describe([100 * c.high_quality for c in rows])
        lines.append(f"{method:<26} {len(rows):>5} {modes:>22} {quality:>16}")
    return "\n".join(lines)


def per_seed(results: Sequence[SeedResult], method: str, metric: str = "modes") -> dict[int, float]:
    """``{seed: value}`` of one method: ``metric`` is ``"modes"`` (modes covered) or
    ``"quality"`` (% high-quality samples); feed two of these to
    :func:`ganlab.stats.paired_comparison`."""
    if metric not in ("modes", "quality"):
        raise ValueError(f"metric must be 'modes' or 'quality', got {metric!r}")
    values = {
        r.seed: float(
            r.coverage.modes_covered if metric == "modes" else 100 * r.coverage.high_quality
        )
        for r in results
        if r.method == method
    }
    if not values:
        known = ", ".join(dict.fromkeys(r.method for r in results))
        raise ValueError(f"no results for method {method!r}; the methods are {known}")
    return values


def train_mnist_gan(
    images: torch.Tensor,
    *,
    steps: int,
    seed: int = 0,
    batch_size: int = 64,
    latent_dim: int = 64,
    lr: float = 5e-4,
    d_objective: Objective = vanilla_discriminator_objective,
    g_objective: Objective = nonsaturating_generator_objective,
    discriminator: Callable[[], nn.Module] | None = None,
    callbacks: Sequence[Callback] = (),
    device: str | torch.device | None = None,
    progress: bool | None = None,
    generator: Callable[[], nn.Module] | None = None,
) -> Trainer:
    """Train the course's small DCGAN (:class:`MNISTGenerator`, :class:`MNISTDiscriminator`).

    The default lr is above DCGAN's 2e-4: the course's budgets are a few thousand steps.

    Args:
        images: (N, 1, 28, 28) training digits in [0, 1], e.g. from :func:`ganlab.data.mnist`.
        discriminator: builds a custom D (e.g. with minibatch discrimination).
        generator: builds a custom G (e.g. with virtual batch norm), called after seeding.

    Returns:
        The trained :class:`Trainer`; ``trainer.sample(n)`` gives (n, 1, 28, 28) digits.
    """
    if images.ndim != 4 or images.shape[1:] != (1, 28, 28):
        raise ValueError(f"expected images of shape (N, 1, 28, 28), got {tuple(images.shape)}")
    seed_everything(seed)
    gen = generator() if generator is not None else MNISTGenerator(latent_dim)
    disc = discriminator() if discriminator is not None else MNISTDiscriminator()
    trainer = Trainer(
        gen,
        disc,
        TensorSampler(images),
        d_objective=d_objective,
        g_objective=g_objective,
        lr=lr,
        batch_size=batch_size,
        callbacks=callbacks,
        device=device,
        progress=progress,
    )
    return trainer.fit(steps)


def compare_mnist(
    images: torch.Tensor,
    methods: Mapping[str, Mapping[str, object]],
    *,
    steps: int,
    samples: int,
    seed: int = 0,
    include_real: bool = True,
    **common: object,
) -> dict[str, torch.Tensor]:
    """Train the MNIST GAN once per method with the same seed and budget; draw samples.

    Every method's samples come from the same noise seed, so differences between the
    batches are the methods' and not the draw's.

    Args:
        images: (N, 1, 28, 28) training digits in [0, 1].
        methods: ``{name: keyword arguments of train_mnist_gan}``.
        samples: how many digits to draw from each trained generator.
        include_real: put ``samples`` random training digits first, under "real digits",
            as the reference a diverse generator should resemble.
        common: keyword arguments of :func:`train_mnist_gan` for every method.

    Returns:
        ``{name: (samples, 1, 28, 28) digits on the CPU}``.
    """
    if samples < 1:
        raise ValueError(f"samples must be >= 1, got {samples}")
    out: dict[str, torch.Tensor] = {}
    if include_real:
        order = torch.randperm(len(images), generator=torch.Generator().manual_seed(seed))
        out["real digits"] = images[order[:samples]].cpu()
    for name, kwargs in methods.items():
        trainer = train_mnist_gan(images, steps=steps, seed=seed, **common, **kwargs)
        torch.manual_seed(seed + 1)
        out[name] = trainer.sample(samples).cpu()
    return out
