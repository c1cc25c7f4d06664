"""Execute notebooks in place (``make notebooks``), so committed lessons carry outputs."""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Sequence
from pathlib import Path

from ganlab import cliargs
from ganlab.config import profile_name


def execute_notebook(path: str | os.PathLike, timeout: int = 1200, profile: str = "full") -> float:
    """Run every cell of the notebook at ``path`` in order and save it with its outputs.

    The kernel is this interpreter's (``python3``), its working folder the notebook's, and
    ``GANLAB_PROFILE`` is set to ``profile`` for it.  Returns the wall time in seconds.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    previous = os.environ.get("GANLAB_PROFILE")
    os.environ["GANLAB_PROFILE"] = profile
    start = time.perf_counter()
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        if previous is None:
            os.environ.pop("GANLAB_PROFILE", None)
        else:
            os.environ["GANLAB_PROFILE"] = previous
    seconds = time.perf_counter() - start
    nb.metadata["ganlab"] = {"profile": profile}
    nbformat.write(nb, path)
    return seconds


def _run(args: argparse.Namespace) -> int:
    profile = profile_name()  # --profile, else $GANLAB_PROFILE, else full
    for path in args.notebooks:
        print(f"executing {path} (profile {profile}) ...", flush=True)
        seconds = execute_notebook(path, timeout=args.timeout, profile=profile)
        print(f"  done in {seconds:.0f} s", flush=True)
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab execute NOTEBOOK...``."""
    parser = subparsers.add_parser(
        "execute",
        help="run notebooks and OVERWRITE them in place with their outputs",
        description="Run every cell of each notebook in order, in a fresh Python kernel whose "
        "working folder is the notebook's, and OVERWRITE the notebook file in place with the "
        "new outputs (the previous outputs are lost; the code and text are kept). `make "
        "notebooks` runs it on every lesson under the full profile: each lesson takes up to "
        "about 10 minutes on 2 CPU cores, under a minute with --profile quick.",
    )
    parser.add_argument(
        "notebooks",
        nargs="+",
        type=cliargs.notebook_to_overwrite,
        metavar="NOTEBOOK",
        help=".ipynb files to execute and overwrite",
    )
    cliargs.add_profile_option(parser)
    parser.add_argument(
        "--timeout",
        type=cliargs.positive_int,
        default=1200,
        metavar="S",
        help="seconds a cell may run before the notebook is abandoned (default 1200)",
    )
    parser.set_defaults(func=_run)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ganlab.execute`` is ``ganlab execute``."""
    from ganlab.cli import main as cli_main

    return cli_main(["execute", *(argv or [])])


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
