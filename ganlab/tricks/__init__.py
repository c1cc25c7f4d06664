"""The paper's techniques (§3), one module each."""

from ganlab.tricks.feature_matching import FeatureMatchingObjective, feature_matching_loss
from ganlab.tricks.minibatch_discrimination import MinibatchDiscrimination

__all__ = ["FeatureMatchingObjective", "MinibatchDiscrimination", "feature_matching_loss"]
