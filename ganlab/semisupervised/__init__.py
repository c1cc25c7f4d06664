"""Semi-supervised learning with a K+1-class discriminator (Salimans et al. 2016, §5)."""

from ganlab.averaging import ExponentialMovingAverage
from ganlab.semisupervised.losses import (
    discriminator_probability,
    generator_nonsaturating_loss,
    kplus1_logits,
    kplus1_supervised_loss,
    kplus1_unsupervised_loss,
    log_partition,
    supervised_loss,
    unsupervised_loss,
)
from ganlab.semisupervised.models import (
    Discriminator,
    GaussianNoise,
    Generator,
    ShiftBatchNorm,
    WeightNormLinear,
    data_dependent_init,
    error_rate,
    predict,
)
from ganlab.semisupervised.optim import ADAM_FORMS, OfficialAdam, make_adam
from ganlab.semisupervised.settings import (
    GENERATOR_OBJECTIVES,
    OFFLINE_LR,
    PAPER_EPOCHS,
    PAPER_LR,
    EpochRecord,
    SSLConfig,
    default_lr,
)
from ganlab.semisupervised.training import SemiSupervisedTrainer

__all__ = [
    "ADAM_FORMS",
    "GENERATOR_OBJECTIVES",
    "OFFLINE_LR",
    "PAPER_EPOCHS",
    "PAPER_LR",
    "Discriminator",
    "EpochRecord",
    "ExponentialMovingAverage",
    "GaussianNoise",
    "OfficialAdam",
    "Generator",
    "SSLConfig",
    "SemiSupervisedTrainer",
    "ShiftBatchNorm",
    "WeightNormLinear",
    "data_dependent_init",
    "default_lr",
    "discriminator_probability",
    "error_rate",
    "generator_nonsaturating_loss",
    "kplus1_logits",
    "kplus1_supervised_loss",
    "kplus1_unsupervised_loss",
    "log_partition",
    "make_adam",
    "predict",
    "supervised_loss",
    "unsupervised_loss",
]
