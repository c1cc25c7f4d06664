"""Inputs for graded cases: random numbers drawn from a seeded generator, so that every run
of a case (and every report quoting its inputs) uses the same ones."""

from __future__ import annotations

import torch


def uniform(n: int, low: float, high: float, seed: int) -> list[float]:
    """``n`` numbers drawn uniformly from [low, high), the same on every run."""
    draws = torch.rand(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    return (low + (high - low) * draws).tolist()
