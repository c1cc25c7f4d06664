"""The paper's techniques (§3), one module each."""

from ganlab.tricks.feature_matching import FeatureMatchingObjective, feature_matching_loss
from ganlab.tricks.historical_averaging import HistoricalAveraging, penalised
from ganlab.tricks.label_smoothing import (
    OffDataReport,
    SmoothedDiscriminatorObjective,
    confidence_tracker,
    discriminator_confidence,
    off_data_report,
    optimal_discriminator,
)
from ganlab.tricks.minibatch_discrimination import MinibatchDiscrimination
from ganlab.tricks.virtual_batch_norm import (
    VirtualBatchNorm,
    VirtualBatchNormGenerator,
    batchmate_dependence,
    reference_mode,
)

__all__ = [
    "FeatureMatchingObjective",
    "HistoricalAveraging",
    "MinibatchDiscrimination",
    "OffDataReport",
    "SmoothedDiscriminatorObjective",
    "VirtualBatchNorm",
    "VirtualBatchNormGenerator",
    "batchmate_dependence",
    "confidence_tracker",
    "discriminator_confidence",
    "feature_matching_loss",
    "off_data_report",
    "optimal_discriminator",
    "penalised",
    "reference_mode",
]
