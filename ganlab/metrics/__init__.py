"""Evaluation metrics: 2-D mode coverage (and, in later lessons, Inception score, FID)."""

from ganlab.metrics.diversity import (
    class_histogram,
    diversity_table,
    mean_pairwise_distance,
    near_duplicate_fraction,
)
from ganlab.metrics.mode_coverage import ModeCoverage, mode_coverage

__all__ = [
    "ModeCoverage",
    "class_histogram",
    "diversity_table",
    "mean_pairwise_distance",
    "mode_coverage",
    "near_duplicate_fraction",
]
