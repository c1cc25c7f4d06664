"""The course's data: 2-D Gaussian mixtures (:mod:`.mixtures`) and MNIST digits (:mod:`.digits`)."""

from ganlab.data.digits import (
    MNIST_SOURCES,
    MNIST_SPLITS,
    DataError,
    TensorSampler,
    default_data_root,
    labeled_subset,
    mnist,
    mnist_local_copy_exists,
    offline_mnist_available,
    offline_mnist_counts,
    read_mnist_gz,
)
from ganlab.data.mixtures import (
    Mixture2D,
    MixtureSamples,
    grid,
    grid_mixture,
    ring,
    ring_mixture,
)

__all__ = [
    "MNIST_SOURCES",
    "MNIST_SPLITS",
    "DataError",
    "Mixture2D",
    "MixtureSamples",
    "TensorSampler",
    "default_data_root",
    "grid",
    "grid_mixture",
    "labeled_subset",
    "mnist",
    "mnist_local_copy_exists",
    "offline_mnist_available",
    "offline_mnist_counts",
    "read_mnist_gz",
    "ring",
    "ring_mixture",
]
