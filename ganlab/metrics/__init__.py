"""Evaluation metrics: 2-D mode coverage (and, in later lessons, Inception score, FID)."""

from ganlab.metrics.mode_coverage import ModeCoverage, mode_coverage

__all__ = ["ModeCoverage", "mode_coverage"]
