"""Benchmarks: scripts that print tables (timings never go into test assertions).

``ganlab bench NAME`` runs one; each benchmark module registers itself in :data:`BENCHMARKS`
as ``"module:function"`` that adds its parser.
"""

from __future__ import annotations

import argparse
import importlib

BENCHMARKS: dict[str, str] = {
    "device": "ganlab.bench.device:add_cli",
    "modes": "ganlab.bench.modes:add_cli",
    "minibatch": "ganlab.bench.minibatch:add_cli",
    "ssl": "ganlab.bench.ssl:add_cli",
}


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab bench NAME ...`` with one sub-subcommand per benchmark."""
    parser = subparsers.add_parser("bench", help="run a benchmark and print its table")
    inner = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK", required=True)
    for spec in BENCHMARKS.values():
        module, func = spec.split(":")
        getattr(importlib.import_module(module), func)(inner)
