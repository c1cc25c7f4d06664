"""The settings of the semi-supervised run (§5) and what each epoch records."""

from __future__ import annotations

from dataclasses import dataclass

from ganlab.semisupervised.models import D_HIDDEN

GENERATOR_OBJECTIVES = ("feature_matching", "minibatch", "none")

PAPER_LR = 0.003
# the official script trains for 300 epochs (600 steps each on full MNIST with batches of 100)
PAPER_EPOCHS = 300
# On the 4000 offline digits the official 0.003 is too large: after 100 epochs (4000 steps)
# K+1 + feature matching had 12.1 / 13.8 / 12.7 % test error at 0.003 and 9.6 / 8.5 / 9.3 %
# at 0.001 (seeds 0-2, G with PyTorch's default init); with G's Glorot init, 13.3 / 14.0 /
# 11.5 % at 0.003 and 9.0 % at 0.001 (seed 0).
OFFLINE_LR = 0.001


def default_lr(data: str) -> float:
    """Adam's learning rate for a data source: the paper's on full MNIST, 0.001 offline."""
    return OFFLINE_LR if data == "offline" else PAPER_LR


@dataclass
class SSLConfig:
    """Hyperparameters, named and valued as in the official MNIST script.

    ``generator_objective``: ``"feature_matching"`` (the paper's choice), ``"minibatch"``
    (D gets a minibatch-discrimination layer; G minimises the non-saturating -log D(G(z)),
    one G step per D step, whereas the official CIFAR-10 and SVHN minibatch scripts minimise
    log(1 - D(G(z))) with three G steps per D step; there is no official MNIST one), or
    ``"none"`` (no generator, no unlabelled loss: plain supervised training on the labelled
    set).
    """

    labels: int = 100
    generator_objective: str = "feature_matching"
    lr: float = PAPER_LR
    beta1: float = 0.5
    beta2: float = 0.999
    # the official Adam divides by sqrt(v + 1e-8), i.e. about sqrt(v) + 1e-4 in torch's form
    adam_eps: float = 1e-4
    batch_size: int = 100
    # the official script's --unlabeled_weight: D minimises L_supervised + w · L_unsupervised
    unlabeled_weight: float = 1.0
    ema_rate: float = 1e-4
    init_examples: int = 500
    latent_dim: int = 100
    hidden: tuple[int, ...] = D_HIDDEN
    minibatch_kernels: int = 100
    kernel_dim: int = 5

    def __post_init__(self) -> None:
        if self.generator_objective not in GENERATOR_OBJECTIVES:
            raise ValueError(
                f"generator_objective must be one of {GENERATOR_OBJECTIVES}, "
                f"got {self.generator_objective!r}"
            )
        if self.labels < 1 or self.batch_size < 1:
            raise ValueError(
                f"labels and batch_size must be >= 1, got {self.labels}, {self.batch_size}"
            )
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.unlabeled_weight < 0:
            raise ValueError(f"unlabeled_weight must be >= 0, got {self.unlabeled_weight}")
        self.hidden = tuple(self.hidden)


@dataclass
class EpochRecord:
    """What one epoch logged: test errors (fractions) of the averaged and the raw D."""

    epoch: int
    test_error: float
    test_error_raw: float
    loss_lab: float
    loss_unl: float
    loss_gen: float
    seconds: float
