"""Benchmarks: scripts that print tables (timings never go into test assertions).

``ganlab bench NAME`` runs one; each benchmark module has an ``add_cli(subparsers)`` that
adds its parser, listed in :data:`BENCHMARKS`.
"""

from __future__ import annotations

import argparse

from ganlab.bench import device, minibatch, modes, movie, ssl

BENCHMARKS = {
    "device": device,
    "modes": modes,
    "minibatch": minibatch,
    "movie": movie,
    "ssl": ssl,
}


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab bench NAME ...`` with one sub-subcommand per benchmark."""
    parser = subparsers.add_parser(
        "bench",
        help="run a benchmark and print its table",
        description="Run one benchmark and print its table (timings are printed, never "
        "asserted). `ganlab bench BENCHMARK --help` says what each measures, how long it "
        "takes and what it writes.",
    )
    inner = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    for module in BENCHMARKS.values():
        module.add_cli(inner)
