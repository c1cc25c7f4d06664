"""Small networks for the 2-D and MNIST experiments.

Discriminators expose ``features(x)`` (the last hidden layer) and ``head(features)`` so
that feature matching and minibatch discrimination reuse the same forward code:
``forward(x) == head(features(x))``.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn

from ganlab.tricks.minibatch_discrimination import MinibatchDiscrimination
from ganlab.tricks.virtual_batch_norm import VirtualBatchNorm

NORMS = ("batch", "virtual", None)


def _norm(kind: str | None, num_features: int, spatial: bool) -> nn.Module:
    """BatchNorm (1d or 2d), :class:`VirtualBatchNorm`, or nothing (``None``)."""
    if kind == "batch":
        return nn.BatchNorm2d(num_features) if spatial else nn.BatchNorm1d(num_features)
    if kind == "virtual":
        return VirtualBatchNorm(num_features)
    if kind is None:
        return nn.Identity()
    raise ValueError(f"norm must be one of {NORMS}, got {kind!r}")


def _mlp(
    in_dim: int, hidden: int, depth: int, activation: Callable[[], nn.Module]
) -> nn.Sequential:
    if in_dim < 1 or hidden < 1 or depth < 1:
        raise ValueError(f"need in_dim, hidden, depth >= 1, got {in_dim}, {hidden}, {depth}")
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(in_dim if i == 0 else hidden, hidden), activation()]
    return nn.Sequential(*layers)


def _head(hidden: int, minibatch_kernels: int, kernel_dim: int, normalize: bool) -> nn.Module:
    """D's output layer: linear, or minibatch discrimination followed by linear."""
    if not minibatch_kernels:
        return nn.Linear(hidden, 1)
    return nn.Sequential(
        MinibatchDiscrimination(hidden, minibatch_kernels, kernel_dim, normalize=normalize),
        nn.Linear(hidden + minibatch_kernels, 1),
    )


class MLPGenerator(nn.Module):
    """G: z (N, latent_dim) → x (N, out_dim) through ``depth`` ReLU layers of width ``hidden``."""

    def __init__(self, latent_dim: int = 2, out_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        self.latent_dim = latent_dim
        self.body = _mlp(latent_dim, hidden, depth, nn.ReLU)
        self.out = nn.Linear(hidden, out_dim)

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        return self.out(self.body(z))


class MLPDiscriminator(nn.Module):
    """D: x (N, in_dim) → logit (N,), with ``features`` (N, hidden) as its last hidden layer.

    With ``minibatch_kernels > 0`` the head is a :class:`MinibatchDiscrimination` layer
    (B = ``minibatch_kernels``, C = ``kernel_dim``; its features are divided by the N - 1
    other examples, a mean instead of the paper's sum, if ``minibatch_normalize``) followed
    by the linear output, so D sees the whole batch; ``features`` stays the per-example
    hidden layer.
    """

    def __init__(
        self,
        in_dim: int = 2,
        hidden: int = 128,
        depth: int = 3,
        minibatch_kernels: int = 0,
        kernel_dim: int = 5,
        minibatch_normalize: bool = False,
    ):
        super().__init__()
        self.in_dim = in_dim
        self.body = _mlp(in_dim, hidden, depth, lambda: nn.LeakyReLU(0.2))
        self.head = _head(hidden, minibatch_kernels, kernel_dim, minibatch_normalize)

    def features(self, x: Tensor) -> Tensor:
        """The last hidden layer's activations, (N, hidden)."""
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected x of shape (N, {self.in_dim}), got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)


class MNISTGenerator(nn.Module):
    """A small DCGAN-style G: z (N, latent_dim) → digits (N, 1, 28, 28) with values in [0, 1].

    ``norm`` picks the normalisation of its two hidden layers: ``"batch"`` (BatchNorm),
    ``"virtual"`` (:class:`VirtualBatchNorm`; wrap the generator in
    :class:`~ganlab.tricks.VirtualBatchNormGenerator` to give it a reference batch) or
    ``None``.
    """

    def __init__(self, latent_dim: int = 64, width: int = 32, norm: str | None = "batch"):
        super().__init__()
        self.latent_dim = latent_dim
        self.width = width
        self.project = nn.Sequential(
            nn.Linear(latent_dim, 2 * width * 7 * 7),
            _norm(norm, 2 * width * 7 * 7, spatial=False),
            nn.ReLU(),
        )
        self.upsample = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1),  # 7 → 14
            _norm(norm, width, spatial=True),
            nn.ReLU(),
            nn.ConvTranspose2d(width, 1, 4, 2, 1),  # 14 → 28
            nn.Sigmoid(),
        )

    def forward(self, z: Tensor) -> Tensor:
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        h = self.project(z).view(len(z), 2 * self.width, 7, 7)  # (N, 2W, 7, 7)
        return self.upsample(h)


class MNISTDiscriminator(nn.Module):
    """D for 28×28 digits: two strided convolutions, a hidden layer of ``hidden`` features.

    ``features(x)`` is that hidden layer (N, hidden); with ``minibatch_kernels > 0`` a
    :class:`MinibatchDiscrimination` layer sits between it and the output logit.
    """

    def __init__(
        self,
        width: int = 16,
        hidden: int = 128,
        minibatch_kernels: int = 0,
        kernel_dim: int = 5,
        minibatch_normalize: bool = False,
    ):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1),  # 28 → 14
            nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1),  # 14 → 7
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, hidden),
            nn.LeakyReLU(0.2),
        )
        self.head = _head(hidden, minibatch_kernels, kernel_dim, minibatch_normalize)

    def features(self, x: Tensor) -> Tensor:
        """The hidden layer's activations, (N, hidden)."""
        if x.ndim != 4 or x.shape[1:] != (1, 28, 28):
            raise ValueError(f"expected images of shape (N, 1, 28, 28), got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)
