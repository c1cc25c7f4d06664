"""Small networks for the 2-D experiments.

Discriminators expose ``features(x)`` (the last hidden layer) and ``head(features)`` so
that feature matching and minibatch discrimination reuse the same forward code:
``forward(x) == head(features(x))``.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor, nn


def _mlp(
    in_dim: int, hidden: int, depth: int, activation: Callable[[], nn.Module]
) -> nn.Sequential:
    if in_dim < 1 or hidden < 1 or depth < 1:
        raise ValueError(f"need in_dim, hidden, depth >= 1, got {in_dim}, {hidden}, {depth}")
    layers: list[nn.Module] = []
    for i in range(depth):
        layers += [nn.Linear(in_dim if i == 0 else hidden, hidden), activation()]
    return nn.Sequential(*layers)


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
    """D: x (N, in_dim) → logit (N,), with ``features`` (N, hidden) as its last hidden layer."""

    def __init__(self, in_dim: int = 2, hidden: int = 128, depth: int = 3):
        super().__init__()
        self.in_dim = in_dim
        self.body = _mlp(in_dim, hidden, depth, lambda: nn.LeakyReLU(0.2))
        self.head = nn.Linear(hidden, 1)

    def features(self, x: Tensor) -> Tensor:
        """The last hidden layer's activations, (N, hidden)."""
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"expected x of shape (N, {self.in_dim}), got {tuple(x.shape)}")
        return self.body(x)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x)).squeeze(1)
