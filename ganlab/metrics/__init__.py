"""Evaluation metrics: 2-D mode coverage and training stability, sample diversity, the
Inception score and FID."""

from ganlab.metrics.classifiers import MNISTClassifier, mnist_classifier
from ganlab.metrics.diversity import (
    class_histogram,
    diversity_table,
    kl_from_uniform,
    mean_pairwise_distance,
    near_duplicate_fraction,
    total_variation_from_uniform,
)
from ganlab.metrics.frechet_distance import (
    feature_statistics,
    frechet_distance,
    frechet_distance_from_statistics,
)
from ganlab.metrics.inception_net import (
    InceptionV3,
    WeightsUnavailableError,
    inception_weights_available,
)
from ganlab.metrics.inception_score import inception_score
from ganlab.metrics.mode_coverage import ModeCoverage, mode_coverage
from ganlab.metrics.scorer import ClassifierOutputs, classify, score_images
from ganlab.metrics.stability import (
    StabilityRecord,
    compare_stability,
    coverage_spread,
    failure_fraction,
    fit_or_diverge,
    mode_histogram,
    mode_hopping,
    per_seed_stability,
    plot_stability,
    stability_record,
    stability_table,
)

__all__ = [
    "ClassifierOutputs",
    "InceptionV3",
    "MNISTClassifier",
    "ModeCoverage",
    "WeightsUnavailableError",
    "class_histogram",
    "classify",
    "diversity_table",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_from_statistics",
    "inception_score",
    "inception_weights_available",
    "kl_from_uniform",
    "mean_pairwise_distance",
    "mnist_classifier",
    "mode_coverage",
    "near_duplicate_fraction",
    "score_images",
    "total_variation_from_uniform",
    "StabilityRecord",
    "compare_stability",
    "coverage_spread",
    "failure_fraction",
    "fit_or_diverge",
    "mode_histogram",
    "mode_hopping",
    "per_seed_stability",
    "plot_stability",
    "stability_record",
    "stability_table",
]
