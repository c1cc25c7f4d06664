"""The ``ganlab grade`` and ``ganlab exercises`` subcommands."""

from __future__ import annotations

import argparse
import os
import sys

from ganlab import cliargs
from ganlab.grading.runner import DEFAULT_TIMEOUT_S


def _run_grade(args: argparse.Namespace) -> int:
    from ganlab.grading import report
    from ganlab.grading.runner import grade_paths
    from ganlab.grading.sandbox import SandboxUnavailable

    try:
        reports = grade_paths(
            args.paths, timeout=args.timeout, jobs=args.jobs, sandbox=not args.no_sandbox
        )
    except (SandboxUnavailable, ValueError) as err:
        print(f"ganlab grade: {report.printable(str(err))}", file=sys.stderr)
        return 2
    if not reports:
        paths = report.printable(" ".join(args.paths))
        print(f"ganlab grade: no notebooks found in {paths}", file=sys.stderr)
        return 1
    for notebook in reports:
        stream = sys.stderr if notebook.error else sys.stdout
        print(report.details(notebook), file=stream, flush=True)
    print()
    print(report.table(reports))
    if args.json:
        report.write_json(reports, args.json)
    if args.csv:
        report.write_csv(reports, args.csv)
    not_graded = sum(bool(r.error) for r in reports)
    if not_graded:
        print(f"ganlab grade: {not_graded} of {len(reports)} not graded", file=sys.stderr)
    return 1 if not_graded else 0


def add_grade(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab grade PATH... [--timeout S] [--json FILE] [--csv FILE]``."""
    parser = subparsers.add_parser(
        "grade",
        help="grade submitted exercise notebooks",
        description="Grade exercise notebooks, each in its own process inside a bubblewrap "
        "sandbox (no network, no sight of other processes or files, limited memory and CPU), "
        "with the graded cases of the installed ganlab (never the notebook's). Exit status: "
        "0 every notebook graded, 1 some could not be graded (each says why), 2 a usage "
        "error (bad option, report path that cannot be written, no sandbox).",
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders of them")
    parser.add_argument(
        "--timeout",
        type=cliargs.positive_float,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help="seconds each cell, and each exercise's grading, may take "
        f"(default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run the notebooks without the bubblewrap sandbox: only for checking a notebook "
        "you trust (your own); never for grading other people's",
    )
    parser.add_argument(
        "--json",
        type=cliargs.output_file,
        metavar="FILE",
        help="write a JSON report (its folder must exist)",
    )
    parser.add_argument(
        "--csv",
        type=cliargs.output_file,
        metavar="FILE",
        help="write a CSV report (its folder must exist)",
    )
    parser.add_argument(
        "--jobs",
        type=cliargs.positive_int,
        default=min(4, os.cpu_count() or 1),
        metavar="N",
        help="notebooks graded at once (default: up to 4, one a CPU core)",
    )
    parser.set_defaults(func=_run_grade)


def _run_exercises(args: argparse.Namespace) -> int:
    from ganlab.grading.generate import SolutionMarkerError, sync_exercises

    try:
        stale, edited = sync_exercises(
            args.solutions, args.exercises, write=not args.check, force=args.force
        )
    except (FileNotFoundError, SolutionMarkerError) as err:
        print(f"ganlab exercises: {err}", file=sys.stderr)
        return 2
    for path in stale:
        print(
            f"out of date: {path} (`ganlab exercises` refreshes it)"
            if args.check
            else f"wrote {path}"
        )
    for path in edited:
        print(
            f"kept: {path} has your edits (its code differs from what ganlab generated); "
            "`ganlab exercises --force` would replace it with a fresh copy",
            file=sys.stderr,
        )
    if not stale and not edited:
        print(f"{args.exercises} is up to date")
    return 1 if (args.check and stale) or edited else 0


def add_exercises(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab exercises [--check] [--force]``."""
    parser = subparsers.add_parser(
        "exercises",
        help="write exercises/ from solutions/ (solution regions replaced by stubs)",
        description="Write the exercise notebooks (exercises/) from the solution notebooks "
        "(solutions/), each solution region replaced by a stub to fill in. A notebook "
        "someone has edited (its code or text differs from what was generated) is never "
        "overwritten unless --force is given; exit status 1 names such files. Runs nothing; "
        "takes a second or two.",
    )
    parser.add_argument(
        "--solutions",
        type=cliargs.existing_dir,
        default="solutions",
        help="folder of solution notebooks (default solutions)",
    )
    parser.add_argument(
        "--exercises",
        type=cliargs.output_dir,
        default="exercises",
        help="folder to write into, created if missing (default exercises)",
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if any exercise is out of date"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="also replace notebooks that have edits (the instructor's regeneration; "
        "a student's answers in them are lost)",
    )
    parser.set_defaults(func=_run_exercises)
