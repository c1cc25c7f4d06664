"""Argument types and options shared by every ``ganlab`` subcommand.

Options are checked when the command line is parsed, so a bad value stops the command
before any work with argparse's usage line and one ``error:`` line (exit status 2).  Each
function here is an argparse ``type=``: it takes the option's text and returns the value
or raises :class:`argparse.ArgumentTypeError` with a message that says what is allowed.

Errors found later (the environment, a file that appears only at run time) are raised as
:class:`ganlab.config.UsageError`; :func:`ganlab.cli.main` prints those as one line too.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from ganlab.config import DEVICE_ENV, PROFILE_ENV, PROFILES, UsageError, get_device, profile_name

PROFILE_HELP = (
    "how much work: full (the course's sizes) or quick (a smoke test, seconds to a minute); "
    f"sets ${PROFILE_ENV} for the run (default: ${PROFILE_ENV}, else full)"
)


def _number(text: str, kind: type) -> int | float:
    try:
        return kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def positive_int(text: str) -> int:
    """An integer >= 1 (counts: steps, epochs, seeds, sizes)."""
    value = _number(text, int)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def nonnegative_int(text: str) -> int:
    """An integer >= 0 (seeds)."""
    value = _number(text, int)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def _float_where(text: str, ok: Callable[[float], bool], requirement: str) -> float:
    value = _number(text, float)
    if not (math.isfinite(value) and ok(value)):
        raise argparse.ArgumentTypeError(f"must be {requirement}, got {text}")
    return value


def finite_float(text: str) -> float:
    """A finite number (not nan, inf or -inf)."""
    return _float_where(text, lambda v: True, "a finite number")


def positive_float(text: str) -> float:
    """A finite number > 0 (learning rates, timeouts)."""
    return _float_where(text, lambda v: v > 0, "finite and > 0")


def nonnegative_float(text: str) -> float:
    """A finite number >= 0 (loss weights)."""
    return _float_where(text, lambda v: v >= 0, "finite and >= 0")


def rate(text: str) -> float:
    """A number in (0, 1] (averaging rates)."""
    return _float_where(text, lambda v: 0 < v <= 1, "in (0, 1]")


def device(text: str) -> str:
    """A torch device available here: ``cpu``, ``cuda``, ``cuda:N`` or ``mps``."""
    try:
        get_device(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def comma_list(choices: Iterable[str]) -> Callable[[str], tuple[str, ...]]:
    """A type for a comma-separated list of names among ``choices``, returned as a tuple."""
    allowed = tuple(choices)

    def parse(text: str) -> tuple[str, ...]:
        names = tuple(name.strip() for name in text.split(","))
        unknown = [name for name in names if name not in allowed]
        if unknown or not names:
            raise argparse.ArgumentTypeError(
                f"unknown {', '.join(map(repr, unknown))}; choose among "
                f"{', '.join(map(repr, allowed))}, separated by commas"
            )
        return names

    parse.__name__ = "comma-separated list"
    return parse


def existing_file(text: str) -> Path:
    """A file that exists and can be read."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text}: no such file")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"{text}: is not a file")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot be read")
    return path


def notebook_to_overwrite(text: str) -> Path:
    """An existing ``.ipynb`` file that can be rewritten in place."""
    path = existing_file(text)
    if path.suffix != ".ipynb":
        raise argparse.ArgumentTypeError(f"{text}: is not a notebook (.ipynb)")
    if not os.access(path, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: is read-only, cannot write its outputs")
    return path


def existing_dir(text: str) -> Path:
    """A folder that exists."""
    path = Path(text)
    if not path.is_dir():
        what = "is not a folder" if path.exists() else "no such folder"
        raise argparse.ArgumentTypeError(f"{text}: {what}")
    return path


def output_file(text: str) -> str:
    """A file to write: not a folder, in a folder that exists and is writable."""
    path = Path(text)
    folder = path.absolute().parent
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a folder; give a file name")
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {folder} (missing or read-only)")
    return text


def output_dir(text: str) -> str:
    """A folder to write into: an existing writable folder, or one that can be created."""
    path = Path(text).absolute()
    if path.exists() and not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: exists and is not a folder")
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: cannot create it, {existing} is a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text}: cannot write in {existing} (read-only)")
    return text


def add_profile_option(parser: argparse.ArgumentParser, quick_alias: bool = False) -> None:
    """Add ``--profile {full,quick}`` (default ``None``: ``$GANLAB_PROFILE``, else full).

    :func:`ganlab.cli.main` sets ``$GANLAB_PROFILE`` to the option's value while the command
    runs.  ``quick_alias`` also accepts ``--quick`` (hidden from ``--help``), the older
    spelling of ``--profile quick``.
    """
    parser.add_argument("--profile", choices=PROFILES, default=None, help=PROFILE_HELP)
    if quick_alias:
        parser.add_argument(
            "--quick", dest="profile", action="store_const", const="quick", help=argparse.SUPPRESS
        )


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--device`` (default ``None``: ``$GANLAB_DEVICE``, else the best available)."""
    parser.add_argument(
        "--device",
        type=device,
        default=None,
        help="cpu, cuda, cuda:N or mps (default: $GANLAB_DEVICE, else the best available)",
    )


@contextlib.contextmanager
def profile_env(profile: str | None) -> Iterator[None]:
    """Set ``$GANLAB_PROFILE`` to ``profile`` inside the block (no change for ``None``), and
    restore it after."""
    if profile is None:
        yield
        return
    previous = os.environ.get(PROFILE_ENV)
    os.environ[PROFILE_ENV] = profile
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(PROFILE_ENV, None)
        else:
            os.environ[PROFILE_ENV] = previous


def check_environment() -> None:
    """Raise :class:`UsageError` if ``$GANLAB_PROFILE`` or ``$GANLAB_DEVICE`` is invalid."""
    profile_name()
    if os.environ.get(DEVICE_ENV):
        try:
            get_device()
        except ValueError as err:
            raise UsageError(f"{DEVICE_ENV}={os.environ[DEVICE_ENV]!r}: {err}") from None
