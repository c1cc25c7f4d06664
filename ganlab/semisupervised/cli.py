"""``ganlab ssl``: train the K+1 classifier of §5 with checkpoints, resume and a result file.

Paper settings (full MNIST, for a GPU):  ``ganlab ssl --data torchvision --labels 100
--epochs 300`` — 600 steps an epoch, 180 000 in all; the paper reports 93 ± 6.5 test
errors of 10 000 (0.93 %) over 10 seeds, with Adam's learning rate 0.003.  On the 13 000
offline training digits an epoch is 130 steps and the learning rate defaults to 0.001
(see ``ganlab.semisupervised.settings`` for the measurements behind it).  Adam is the
official form, ε under the square root (``ganlab.semisupervised.optim``).

Time: an offline epoch takes roughly 15 s on a CPU core with feature matching, so the
default 300 epochs run for over an hour; ``--epochs 40`` (5200 steps) is lesson 09's
budget.  Each epoch is logged, and the run writes ``checkpoint.pt`` and ``result.json`` to
``--out``; running the same command again resumes (a larger ``--epochs`` continues).

The training itself is :func:`ganlab.semisupervised.experiment.run_experiment`.
"""

from __future__ import annotations

import argparse
import time

from ganlab import cliargs
from ganlab.config import UsageError
from ganlab.data import mnist
from ganlab.semisupervised.experiment import run_experiment
from ganlab.semisupervised.settings import (
    GENERATOR_OBJECTIVES,
    OFFLINE_LR,
    PAPER_EPOCHS,
    PAPER_LR,
    SSLConfig,
    default_lr,
)


def _main(args: argparse.Namespace) -> int:
    start = time.perf_counter()
    progress = False if args.no_progress else None  # None: the course's default
    try:
        config = SSLConfig(
            labels=args.labels,
            generator_objective=args.generator_objective,
            ema_rate=args.ema_rate,
            unlabeled_weight=args.unlabeled_weight,
            lr=default_lr(args.data) if args.lr is None else args.lr,
        )
    except ValueError as err:
        raise UsageError(str(err)) from None
    available = len(mnist("train", args.data)[1])
    if args.labels > available:
        raise UsageError(
            f"--labels {args.labels}: --data {args.data} has {available} training digits"
        )
    try:
        result = run_experiment(
            config, args.epochs, args.seed, args.data, args.out, args.device, progress
        )
    except ValueError as err:  # a damaged checkpoint, or one of other settings in --out
        raise UsageError(str(err)) from None
    n_test = round(result["test_error"] * len(mnist("test", args.data)[1]))
    print(
        f"test error {100 * result['test_error']:.2f}% ({n_test} errors; raw D "
        f"{100 * result['test_error_raw']:.2f}%) after {result['epochs']} epochs, "
        f"{time.perf_counter() - start:.0f}s"
    )
    return 0


def _labels(text: str) -> int:
    """``--labels``: a positive multiple of the 10 digit classes."""
    value = cliargs.positive_int(text)
    if value % 10:
        raise argparse.ArgumentTypeError(
            f"must be a multiple of 10 (the same number of each digit), got {text}"
        )
    return value


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab ssl``."""
    parser = subparsers.add_parser(
        "ssl",
        help="semi-supervised K+1 classifier of §5 (MNIST)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--labels",
        type=_labels,
        default=100,
        help="labelled examples, the same number of each digit: a multiple of 10 (default 100)",
    )
    parser.add_argument(
        "--epochs",
        type=cliargs.positive_int,
        default=PAPER_EPOCHS,
        help=f"passes over the unlabelled set (default {PAPER_EPOCHS}, the paper's)",
    )
    parser.add_argument(
        "--data",
        choices=("offline", "torchvision"),
        default="offline",
        help="offline: 13 000 train / 2000 test real digits, no download; "
        "torchvision: full MNIST (60 000 / 10 000, downloaded once)",
    )
    parser.add_argument(
        "--seed",
        type=cliargs.nonnegative_int,
        default=0,
        help="seed of the labelled subset, the initialisation and the batches (default 0)",
    )
    parser.add_argument(
        "--generator-objective",
        choices=GENERATOR_OBJECTIVES,
        default="feature_matching",
        help="feature_matching (the paper's), minibatch, or none (supervised only)",
    )
    parser.add_argument(
        "--ema-rate",
        type=cliargs.rate,
        default=SSLConfig.ema_rate,
        help="rate of the exponential moving average of D's parameters that is evaluated, "
        f"in (0, 1] (default {SSLConfig.ema_rate:g})",
    )
    parser.add_argument(
        "--lr",
        type=cliargs.positive_float,
        help=f"Adam's learning rate (default: the paper's {PAPER_LR} with --data torchvision, "
        f"{OFFLINE_LR} with --data offline, measured better on the offline digits)",
    )
    parser.add_argument(
        "--unlabeled-weight",
        type=cliargs.nonnegative_float,
        default=SSLConfig.unlabeled_weight,
        help="w in L_supervised + w * L_unsupervised (official default 1)",
    )
    parser.add_argument(
        "--out",
        type=cliargs.output_dir,
        help="output folder (checkpoint.pt, result.json), created if missing; a run resumes "
        "from its checkpoint there (default: a folder under runs/ named after the settings)",
    )
    cliargs.add_device_option(parser)
    parser.add_argument(
        "--no-progress",
        action="store_true",
        help="no progress bar (by default one is shown in a terminal under the full profile)",
    )
    parser.set_defaults(func=_main)
