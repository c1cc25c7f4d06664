"""Semi-supervised K+1 learning on the offline digits: ``ganlab bench ssl``.

The same discriminator, the same number of steps and the same seeds for every arm, 100
labels unless an arm says otherwise, on the offline pool (13 000 training digits, 2000
test digits).  The four rows of the paper's comparison:

    (a) supervised only, 100 labels            (the floor)
    (b) K+1 with a feature-matching G          (the paper's method)
    (c) K+1 with minibatch discrimination      (the official minibatch scripts' recipe:
        G on log(1 - D(G(z))), three G steps per D step, 100 kernels of dimension 5)
    (d) supervised on all training labels      (the ceiling)

and the measurements around them (``--arms extra``): (b) with PyTorch's Adam instead of the
official one, (b) at the paper's learning rate 0.003, (c) without labels (for the paper's
claim that labels improve the samples), (b) with 20, 50 and 200 labels, and (b) and (d)
on pools of 4000 and 8000 training digits.

For every arm with a generator, 2000 samples of the final G are scored with the course's
MNIST classifier (lesson 08): the MNIST score and the FID to the test digits.

The results go to a JSON file (:func:`save_results`, read back with :func:`load_results`);
the course ships the one measured under the full profile (:data:`RESULTS`), which lesson 09
renders.  With ``--out``, every run checkpoints there and an interrupted benchmark resumes;
running again with more ``--steps`` continues the runs from their checkpoints.

Time on CPU, about one core per run: the main arms under the full profile (3 seeds, 5200
steps each) take two to three hours: a K+1 run 10 (feature matching) to 35 (minibatch
discrimination) minutes, a supervised one 1-2 minutes.  The quick profile (1 seed, 130
steps) takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import torch

from ganlab import cliargs
from ganlab.config import sizes
from ganlab.files import atomic_write, save_json
from ganlab.semisupervised.experiment import result_of, train, training_pool
from ganlab.semisupervised.settings import OFFLINE_LR, SSLConfig
from ganlab.semisupervised.training import SemiSupervisedTrainer

# the shipped results of the full profile (package data; the samples lie beside, .npz)
RESULTS = "ssl_results.json"
# (b), seed 0, continued from its checkpoint to twice the steps
LONG_RESULTS = "ssl_long.json"
# how many samples of each generator are scored, and how many are kept for the figures
SCORE_SAMPLES = 2000
KEPT_SAMPLES = 100


def budget(profile: str | None = None) -> SimpleNamespace:
    """Steps per run, seeds per arm and the MNIST classifier's training steps (lesson 08's)
    under ``profile`` (default: the active one)."""
    return sizes(
        full=dict(steps=5200, seeds=3, classifier_steps=1000),
        quick=dict(steps=130, seeds=1, classifier_steps=30),
        profile=profile,
    )


@dataclass(frozen=True)
class Arm:
    """One row of the benchmark: a name and what differs from (b)'s settings.

    ``labels=None`` means every training digit is labelled; ``pool`` restricts training to
    a class-balanced subset (:func:`~ganlab.semisupervised.experiment.training_pool`);
    ``overrides`` go to :class:`SSLConfig`.
    """

    key: str
    name: str
    generator_objective: str
    labels: int | None = 100
    pool: int | None = None
    overrides: dict[str, Any] = field(default_factory=dict)


# (c) with the usual fix for a generator that gets no gradient from a confident D
NONSATURATING = {"minibatch_generator_loss": "nonsaturating", "minibatch_generator_steps": 1}
MAIN_ARMS = (
    Arm("a", "supervised, 100 labels", "none"),
    Arm("b", "K+1 + feature matching", "feature_matching"),
    Arm("c", "K+1 + minibatch discrimination", "minibatch"),
    Arm("d", "supervised, all labels", "none", labels=None),
)
EXTRA_ARMS = (
    Arm("b-torch-adam", "(b), torch.optim.Adam", "feature_matching", overrides={"adam": "torch"}),
    Arm("b-lr0.003", "(b) with lr 0.003", "feature_matching", overrides={"lr": 0.003}),
    Arm("c-no-labels", "(c) without labels", "minibatch", overrides={"use_labels": False}),
    Arm("c-nonsat", "(c), G on -log D(G(z)), 1 G step", "minibatch", overrides=NONSATURATING),
    Arm(
        "c-nonsat-no-labels",
        "(c-nonsat) without labels",
        "minibatch",
        overrides={**NONSATURATING, "use_labels": False},
    ),
    Arm("b-20labels", "(b) with 20 labels", "feature_matching", labels=20),
    Arm("b-50labels", "(b) with 50 labels", "feature_matching", labels=50),
    Arm("b-200labels", "(b) with 200 labels", "feature_matching", labels=200),
    Arm("b-pool4000", "(b), 4000 training digits", "feature_matching", pool=4000),
    Arm("d-pool4000", "(d), 4000 training digits", "none", labels=None, pool=4000),
    Arm("b-pool8000", "(b), 8000 training digits", "feature_matching", pool=8000),
    Arm("d-pool8000", "(d), 8000 training digits", "none", labels=None, pool=8000),
)
ARMS = {arm.key: arm for arm in MAIN_ARMS + EXTRA_ARMS}


def arm_config(arm: Arm, **config: Any) -> SSLConfig:
    """The :class:`SSLConfig` of ``arm``; ``config`` overrides fields for every arm."""
    settings = {"lr": OFFLINE_LR, **config, **arm.overrides}
    labels = arm.labels
    if labels is None:
        labels = len(training_pool("offline", arm.pool)[1])
    return SSLConfig(labels=labels, generator_objective=arm.generator_objective, **settings)


def score_samples(
    trainer: SemiSupervisedTrainer, classifier_steps: int, n: int = SCORE_SAMPLES
) -> dict[str, Any]:
    """MNIST score and FID (to the offline test digits) of ``n`` samples of the trainer's G.

    Uses the course's MNIST classifier (:func:`ganlab.metrics.mnist_classifier`,
    ``classifier_steps`` steps, seed 0; trained once and cached).  Returns
    ``{"mnist_score", "fid", "samples"}``, the samples being the first :data:`KEPT_SAMPLES`
    as uint8 (k, 28, 28).
    """
    from ganlab.data import mnist
    from ganlab.metrics import classify, mnist_classifier
    from ganlab.modes import evaluating

    classifier = mnist_classifier(steps=classifier_steps, seed=0, source="offline", progress=False)
    generator = trainer.generator
    device = next(generator.parameters()).device
    with torch.no_grad(), evaluating(generator):
        torch.manual_seed(trainer.seed)
        # G's batch norm always uses the batch's statistics: sample in training-size batches
        images = torch.cat(
            [
                generator(generator.sample_latent(trainer.config.batch_size, device)).cpu()
                for _ in range(-(-n // trainer.config.batch_size))
            ]
        )[:n]
    fake = classify(classifier, images, progress=False)
    real = classify(classifier, mnist("test", "offline")[0], progress=False)
    kept = (images[:KEPT_SAMPLES, 0] * 255).round().to(torch.uint8).numpy()
    return {
        "mnist_score": fake.inception_score(10)[0],
        "fid": fake.frechet_distance(real),
        "samples": kept,
    }


@dataclass
class ArmResult:
    """What one arm measured over seeds: final test errors (fractions), curves, scores."""

    arm: Arm
    seeds: list[int] = field(default_factory=list)
    errors: list[float] = field(default_factory=list)
    raw_errors: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    steps: int = 0
    steps_per_epoch: int = 0
    curves: list[list[float]] = field(default_factory=list)  # test error per epoch, per seed
    # per seed, per epoch: mean L_unsupervised and L_G
    loss_curves: list[list[list[float]]] = field(default_factory=list)
    mnist_scores: list[float] = field(default_factory=list)
    fids: list[float] = field(default_factory=list)
    samples: list[np.ndarray] = field(default_factory=list)
    trainers: list[SemiSupervisedTrainer] = field(default_factory=list)  # if kept

    @property
    def mean(self) -> float:
        """Mean test error over seeds."""
        return statistics.fmean(self.errors)

    @property
    def std(self) -> float:
        """Sample standard deviation (ddof 1) of the test error over seeds; nan for one seed."""
        return statistics.stdev(self.errors) if len(self.errors) > 1 else float("nan")


def run(
    steps: int,
    seeds: int | Sequence[int],
    arms: Sequence[Arm] = MAIN_ARMS,
    out: str | Path | None = None,
    log: Callable[[str], None] = print,
    progress: bool = False,
    score: bool = True,
    classifier_steps: int | None = None,
    keep_trainers: bool = False,
    **config: Any,
) -> list[ArmResult]:
    """Train every arm for ``steps`` steps with the same seeds on the offline digits.

    Args:
        steps: steps per run (rounded down to whole epochs of the arm's pool).
        seeds: a number of seeds (0, 1, ...) or the seeds themselves.
        arms: the rows to run (:data:`MAIN_ARMS`, :data:`ARMS`).
        out: a folder for checkpoints and per-run ``result.json``; an interrupted benchmark
            resumes, and a longer ``steps`` continues the runs.
        log: receives one line per run.
        progress: a progress bar per run.
        score: score each generator's samples (:func:`score_samples`).
        classifier_steps: the scoring classifier's budget; default :func:`budget`'s.
        keep_trainers: keep every trained :class:`SemiSupervisedTrainer` in
            ``ArmResult.trainers`` (for figures; each holds its models and data).
        config: :class:`SSLConfig` overrides for every arm (the learning rate is
            :data:`~ganlab.semisupervised.settings.OFFLINE_LR` unless given).
    """
    seeds = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seeds or steps < 1:
        raise ValueError(f"need at least one seed and steps >= 1, got {seeds} and {steps}")
    results = {arm.key: ArmResult(arm) for arm in arms}
    classifier_steps = classifier_steps or budget().classifier_steps
    for seed in seeds:  # seeds outermost: a partial run already compares the arms
        for arm in arms:
            cfg = arm_config(arm, **config)
            per_epoch = len(training_pool("offline", arm.pool)[1]) // cfg.batch_size
            epochs = max(1, steps // per_epoch)
            folder = None if out is None else Path(out) / arm.key / f"seed{seed}"
            checkpoint = None if folder is None else folder / "checkpoint.pt"
            trainer = train(
                cfg, epochs, seed, "offline", checkpoint, progress=progress,
                log=lambda _: None, pool=arm.pool,
            )  # fmt: skip
            result = result_of(trainer, "offline")
            res = results[arm.key]
            res.steps, res.steps_per_epoch = epochs * per_epoch, per_epoch
            if score and trainer.generator is not None:
                scores = score_samples(trainer, classifier_steps)
                result.update(mnist_score=scores["mnist_score"], fid=scores["fid"])
                res.mnist_scores.append(scores["mnist_score"])
                res.fids.append(scores["fid"])
                res.samples.append(scores["samples"])
            if folder is not None:
                save_json(result, folder / "result.json")
            res.seeds.append(seed)
            if keep_trainers:
                res.trainers.append(trainer)
            res.errors.append(result["test_error"])
            res.raw_errors.append(result["test_error_raw"])
            res.seconds.append(result["seconds"])
            history = result["history"][:epochs]
            res.curves.append([r["test_error"] for r in history])
            res.loss_curves.append([[r["loss_unl"], r["loss_gen"]] for r in history])
            extra = f", MNIST score {result['mnist_score']:.2f}" if "mnist_score" in result else ""
            log(
                f"({arm.key}) {arm.name}, seed {seed}: test error "
                f"{100 * result['test_error']:.2f}% (raw {100 * result['test_error_raw']:.2f}%)"
                f"{extra}, {result['seconds']:.0f}s"
            )
    return list(results.values())


def _mean_std(values: Sequence[float], scale: float = 1.0, digits: int = 2) -> str:
    if not values:
        return "–"
    mean = scale * statistics.fmean(values)
    if len(values) < 2:
        return f"{mean:.{digits}f} (1 seed)"
    return f"{mean:.{digits}f} ± {scale * statistics.stdev(values):.{digits}f}"


def table(results: Sequence[ArmResult] | dict[str, Any], keys: Sequence[str] | None = None) -> str:
    """Markdown table: test error, MNIST score and FID as mean ± sample std over seeds.

    Accepts what :func:`run` returns or what :func:`load_results` returns; ``keys`` picks
    and orders the rows (default: all, in order).
    """
    if isinstance(results, dict):
        rows = list(results["arms"].values())
    else:
        rows = [_as_record(r) for r in results]
    if keys is not None:
        by_key = {r["key"]: r for r in rows}
        rows = [by_key[k] for k in keys]
    lines = [
        "| run | seeds | steps | test error (%) | raw D (%) | MNIST score | FID | s / seed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| ({r['key']}) {r['name']} | {len(r['seeds'])} | {r['steps']} "
            f"| {_mean_std(r['test_error'], 100)} | {_mean_std(r['test_error_raw'], 100)} "
            f"| {_mean_std(r['mnist_score'])} | {_mean_std(r['fid'], digits=1)} "
            f"| {statistics.fmean(r['seconds']):.0f} |"
        )
    lines.append("\nmean ± sample standard deviation (ddof 1) over seeds")
    by_key = {r["key"]: r for r in rows}
    if "b" in by_key and "d" in by_key:
        ratio = statistics.fmean(by_key["b"]["test_error"]) / statistics.fmean(
            by_key["d"]["test_error"]
        )
        lines.append(f"(b) / (d) = {ratio:.2f}")
    return "\n".join(lines)


def paired_difference(
    record: dict[str, Any], base: str, other: str, metric: str = "test_error"
) -> str:
    """Compare two arms of ``record`` seed by seed (the seeds they share).

    Returns a markdown table with one row per shared seed (both values and other - base)
    and a last row with the means and the mean difference ± its sample std (ddof 1);
    test errors are shown in %.
    """
    a, b = record["arms"][base], record["arms"][other]
    scale = 100.0 if metric.startswith("test_error") else 1.0
    va, vb = (
        dict(zip(a["seeds"], a[metric], strict=True)),
        dict(zip(b["seeds"], b[metric], strict=True)),
    )
    seeds = [s for s in a["seeds"] if s in vb]
    if not seeds:
        raise ValueError(f"arms {base!r} and {other!r} share no seed")
    unit = " (%)" if scale == 100.0 else ""
    lines = [
        f"| seed | ({base}){unit} | ({other}){unit} | ({other}) − ({base}) |",
        "|---|---|---|---|",
    ]
    diffs = []
    for seed in seeds:
        x, y = scale * va[seed], scale * vb[seed]
        diffs.append(y - x)
        lines.append(f"| {seed} | {x:.2f} | {y:.2f} | {y - x:+.2f} |")
    mean_a = scale * statistics.fmean(va[s] for s in seeds)
    mean_b = scale * statistics.fmean(vb[s] for s in seeds)
    spread = f" ± {statistics.stdev(diffs):.2f}" if len(diffs) > 1 else ""
    lines.append(f"| mean | {mean_a:.2f} | {mean_b:.2f} | {statistics.fmean(diffs):+.2f}{spread} |")
    return "\n".join(lines)


def _as_record(r: ArmResult) -> dict[str, Any]:
    return {
        "key": r.arm.key,
        "name": r.arm.name,
        "labels": r.arm.labels,
        "pool": r.arm.pool,
        "generator_objective": r.arm.generator_objective,
        "overrides": r.arm.overrides,
        "seeds": r.seeds,
        "steps": r.steps,
        "steps_per_epoch": r.steps_per_epoch,
        "test_error": r.errors,
        "test_error_raw": r.raw_errors,
        "seconds": r.seconds,
        "curves": r.curves,
        "loss_curves": r.loss_curves,
        "mnist_score": r.mnist_scores,
        "fid": r.fids,
    }


def save_results(
    results: Sequence[ArmResult], path: str | Path, meta: dict[str, Any] | None = None
) -> Path:
    """Write ``results`` as JSON to ``path`` and the kept samples beside it (``.npz``)."""
    path = Path(path)
    record = {"meta": meta or {}, "arms": {r.arm.key: _as_record(r) for r in results}}
    save_json(record, path)
    arrays = {
        f"{r.arm.key}/seed{seed}": samples
        for r in results
        for seed, samples in zip(r.seeds, r.samples, strict=False)
    }
    if arrays:
        with atomic_write(path.with_suffix(".npz"), "wb") as f:
            np.savez_compressed(f, **arrays)
    return path


def load_results(path: str | Path | None = None) -> dict[str, Any]:
    """A results JSON, with the kept samples under ``record["samples"][key]`` as a list of
    uint8 (k, 28, 28) arrays (one per seed).

    ``path``: a file :func:`save_results` wrote, or the name of one the course ships
    (:data:`RESULTS`, the default, or :data:`LONG_RESULTS`).
    """
    if path is None or str(path) in (RESULTS, LONG_RESULTS):
        folder = resources.files("ganlab.bench") / "results"
        path = Path(str(folder / (path or RESULTS)))
    path = Path(path)
    record = json.loads(path.read_text())
    record["samples"] = {}
    npz = path.with_suffix(".npz")
    if npz.exists():
        with np.load(npz, allow_pickle=False) as arrays:
            for name in arrays.files:
                key, _ = name.split("/")
                record["samples"].setdefault(key, []).append(arrays[name])
    return record


def _arms(spec: str) -> list[Arm]:
    """The arms named by ``--arms``: ``main``, ``extra``, ``all`` or comma-separated keys.

    Raises:
        argparse.ArgumentTypeError: for an unknown key (it is the option's ``type=``).
    """
    if spec == "main":
        return list(MAIN_ARMS)
    if spec == "extra":
        return list(EXTRA_ARMS)
    if spec == "all":
        return list(MAIN_ARMS + EXTRA_ARMS)
    unknown = [k for k in spec.split(",") if k not in ARMS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown arm(s) {', '.join(unknown)}; choose from {', '.join(ARMS)}, "
            "or main, extra, all"
        )
    return [ARMS[k] for k in spec.split(",")]


_arms.__name__ = "arms"


def _main(args: argparse.Namespace) -> int:
    size = budget()  # --profile, else $GANLAB_PROFILE
    steps = args.steps or size.steps
    seeds = args.seeds or size.seeds
    arms = args.arms
    print(
        f"offline digits (13 000 train / 2000 test), {steps} steps, {seeds} seed(s), "
        f"official Adam lr {OFFLINE_LR} unless an arm says otherwise; arms "
        f"{', '.join(a.key for a in arms)}"
    )
    start = time.perf_counter()
    results = run(steps, seeds, arms, args.out, classifier_steps=size.classifier_steps)
    print(table(results))
    if args.results:
        meta = {
            "steps": steps,
            "seeds": seeds,
            "classifier_steps": size.classifier_steps,
            "seconds": round(time.perf_counter() - start),
        }
        print(f"results written to {save_results(results, args.results, meta)}")
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab bench ssl``."""
    parser = subparsers.add_parser(
        "ssl",
        help="K+1 semi-supervised vs supervised baselines",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cliargs.add_profile_option(parser, quick_alias=True)
    parser.add_argument(
        "--seeds",
        type=cliargs.positive_int,
        help="number of seeds, 0 to N-1 (default: the profile's, 3 or 1)",
    )
    parser.add_argument(
        "--steps",
        type=cliargs.positive_int,
        help="training steps per run (default: the profile's, 5200 or 130)",
    )
    parser.add_argument(
        "--arms",
        type=_arms,
        default=list(MAIN_ARMS),
        help="comma-separated arms (a,b,c,d, b-torch-adam, ...), or main, extra, all "
        "(default: main, that is a,b,c,d)",
    )
    parser.add_argument(
        "--out",
        type=cliargs.output_dir,
        help="folder for checkpoints (created if missing); an interrupted run resumes",
    )
    parser.add_argument(
        "--results",
        type=cliargs.output_file,
        help="write the results JSON (and the samples beside it, .npz) to this file",
    )
    parser.set_defaults(func=_main)
