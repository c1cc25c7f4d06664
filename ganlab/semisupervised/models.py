"""The permutation-invariant MNIST networks of the paper's semi-supervised code (§5).

D: Gaussian noise σ 0.3 on the input, weight-normalised dense layers
784-1000-500-250-250-250 with ReLU and Gaussian noise σ 0.5 after each, then a
weight-normalised dense layer to the K = 10 class logits.  Every layer of D is
initialised from the data (:func:`data_dependent_init`).

G: z ~ U(0, 1)^100 → dense 500 → batch norm (learned shift, no scale) → softplus → dense
500 → batch norm → softplus → weight-normalised dense 784 → sigmoid.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

from ganlab.modes import evaluating
from ganlab.tricks.minibatch_discrimination import MinibatchDiscrimination

D_HIDDEN = (1000, 500, 250, 250, 250)
G_HIDDEN = (500, 500)


class WeightNormLinear(nn.Linear):
    """y = x (g · v / ||v||)ᵀ + b, one g per output unit (Salimans & Kingma 2016).

    Uses :func:`torch.nn.utils.parametrizations.weight_norm`: ``weight_g`` is g, shape
    (out, 1), ``weight_v`` is v.  v ~ N(0, ``init_std``²), g = 1 and b = 0 before the
    data-dependent initialisation; ``train_scale=False`` freezes g (the official hidden
    layers), ``True`` trains it (the official output layer).  The scale of v does not change
    the function but does change training: Adam moves v by about lr per step whatever its
    size, so the effective learning rate of the direction is about lr / |v|.  The official
    discriminator draws v ~ N(0, 0.1²).
    """

    def __init__(
        self, in_features: int, out_features: int, train_scale: bool = True, init_std: float = 0.1
    ):
        super().__init__(in_features, out_features)
        nn.init.normal_(self.weight, std=init_std)
        nn.init.zeros_(self.bias)
        weight_norm(self, name="weight", dim=0)
        with torch.no_grad():
            self.weight_g.fill_(1.0)
        self.weight_g.requires_grad_(train_scale)

    @property
    def weight_g(self) -> nn.Parameter:
        """g, shape (out_features, 1)."""
        return self.parametrizations.weight.original0

    @property
    def weight_v(self) -> nn.Parameter:
        """v, shape (out_features, in_features)."""
        return self.parametrizations.weight.original1


class GaussianNoise(nn.Module):
    """x + σ ε with ε ~ N(0, I) in training mode; the identity in eval mode."""

    def __init__(self, sigma: float):
        super().__init__()
        if sigma < 0:
            raise ValueError(f"sigma must be >= 0, got {sigma}")
        self.sigma = sigma

    def forward(self, x: Tensor) -> Tensor:
        """x plus fresh noise in training mode, x itself in eval mode."""
        if not self.training or self.sigma == 0:
            return x
        return x + self.sigma * torch.randn_like(x)

    def extra_repr(self) -> str:
        """``sigma=…`` in the module's printout."""
        return f"sigma={self.sigma}"


@torch.no_grad()
def data_dependent_init(model: nn.Module, x: Tensor, eps: float = 1e-6) -> None:
    """Initialise every :class:`WeightNormLinear` of ``model`` from one forward pass on ``x``.

    Layers are visited in forward order and each one's output is standardised before the
    next layer sees it, so that on this batch every pre-activation t has mean 0 and
    variance 1:  g ← g / std(t),  b ← (b - mean(t)) / std(t)  per unit.  A weight-normalised
    :class:`MinibatchDiscrimination` layer gets the official initialisation on the same
    pass (its ``init_from_batch``: mean nearest-neighbour L1 distance 2, bias -mean(o)).
    """

    def standardise(layer: nn.Module, _inputs: tuple, out: Tensor) -> Tensor:
        """Forward hook: rescale ``layer`` so that ``out`` is standardised, and return it so."""
        mean, var = out.mean(0), out.var(0, unbiased=False)  # (out,)
        inv_std = 1.0 / torch.sqrt(var + eps)
        layer.weight_g.mul_(inv_std[:, None])
        layer.bias.copy_((layer.bias - mean) * inv_std)
        return (out - mean) * inv_std

    def init_minibatch(layer: nn.Module, inputs: tuple, _out: Tensor) -> Tensor:
        """Forward hook: initialise a minibatch layer on its input, return its new output."""
        layer.init_from_batch(inputs[0])
        return layer.forward(inputs[0])

    hooks = [
        m.register_forward_hook(standardise)
        for m in model.modules()
        if isinstance(m, WeightNormLinear)
    ]
    hooks += [
        m.register_forward_hook(init_minibatch)
        for m in model.modules()
        if isinstance(m, MinibatchDiscrimination) and m.weight_norm
    ]
    try:
        model(x)
    finally:
        for hook in hooks:
            hook.remove()


class Discriminator(nn.Module):
    """The K-logit classifier/discriminator D: (N, 784) or (N, 1, 28, 28) → (N, K) logits.

    Args:
        num_classes: K.
        hidden: widths of the hidden layers.
        input_noise, hidden_noise: σ of the Gaussian noise layers (off in eval mode).
        minibatch_kernels: if > 0, a weight-normalised :class:`MinibatchDiscrimination`
            layer with this many kernels (as the official Theano layer) sits between the
            last hidden layer and the output (the variant of §3.2).
    """

    def __init__(
        self,
        num_classes: int = 10,
        hidden: tuple[int, ...] = D_HIDDEN,
        in_features: int = 784,
        input_noise: float = 0.3,
        hidden_noise: float = 0.5,
        minibatch_kernels: int = 0,
        kernel_dim: int = 5,
    ):
        super().__init__()
        if not hidden:
            raise ValueError("the discriminator needs at least one hidden layer")
        self.in_features = in_features
        layers: list[nn.Module] = [GaussianNoise(input_noise)]
        width = in_features
        for h in hidden[:-1]:
            layers += [WeightNormLinear(width, h, train_scale=False), nn.ReLU()]
            layers += [GaussianNoise(hidden_noise)]
            width = h
        layers += [WeightNormLinear(width, hidden[-1], train_scale=False), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.feature_noise = GaussianNoise(hidden_noise)
        self.minibatch = (
            MinibatchDiscrimination(hidden[-1], minibatch_kernels, kernel_dim, weight_norm=True)
            if minibatch_kernels
            else None
        )
        self.out = WeightNormLinear(hidden[-1] + minibatch_kernels, num_classes, train_scale=True)

    def features(self, x: Tensor) -> Tensor:
        """f(x): the last hidden layer after ReLU, (N, hidden[-1]); G matches its batch means."""
        x = x.flatten(1)
        if x.shape[1] != self.in_features:
            raise ValueError(
                f"expected images with {self.in_features} pixels, got shape {tuple(x.shape)}"
            )
        return self.body(x)

    def head(self, features: Tensor) -> Tensor:
        """(N, hidden[-1]) → (N, K) logits."""
        h = self.feature_noise(features)
        if self.minibatch is not None:
            h = self.minibatch(h)
        return self.out(h)

    def forward(self, x: Tensor) -> Tensor:
        """(N, 784) or (N, 1, 28, 28) images → (N, K) class logits."""
        return self.head(self.features(x))


class ShiftBatchNorm(nn.BatchNorm1d):
    """Batch normalisation with a learned shift and no scale (the official generator's BN).

    Always normalises with the statistics of the current batch, as G does in training.
    """

    def __init__(self, num_features: int):
        super().__init__(num_features, affine=False, track_running_stats=False)
        self.shift = nn.Parameter(torch.zeros(num_features))

    def forward(self, x: Tensor) -> Tensor:
        """(N, C) → normalised with the batch's statistics, plus the learned shift."""
        return super().forward(x) + self.shift


class Generator(nn.Module):
    """G: z ~ U(0, 1)^latent_dim → images (N, 1, 28, 28) in (0, 1)."""

    def __init__(
        self, latent_dim: int = 100, hidden: tuple[int, ...] = G_HIDDEN, out_dim: int = 784
    ):
        super().__init__()
        self.latent_dim = latent_dim
        layers: list[nn.Module] = []
        width = latent_dim
        for h in hidden:
            # BN removes any bias, so the dense layers have none; Glorot-uniform weights as
            # Lasagne's default (their scale sets how fast Adam turns them: BN follows)
            dense = nn.Linear(width, h, bias=False)
            nn.init.xavier_uniform_(dense.weight)
            layers += [dense, ShiftBatchNorm(h), nn.Softplus()]
            width = h
        self.body = nn.Sequential(*layers)
        # v ~ N(0, 2 / (fan_in + fan_out)): the variance of Lasagne's default Glorot-uniform
        # init, which the official output layer uses (drawn normal here: weight norm divides
        # v by its norm, so its scale only sets how fast Adam turns it)
        self.out = WeightNormLinear(width, out_dim, init_std=math.sqrt(2.0 / (width + out_dim)))
        self.side = int(round(out_dim**0.5))

    def sample_latent(self, n: int, device: torch.device | str | None = None) -> Tensor:
        """z ~ U(0, 1)^latent_dim, shape (n, latent_dim)."""
        return torch.rand(n, self.latent_dim, device=device)

    def forward(self, z: Tensor) -> Tensor:
        """(N, latent_dim) latents → (N, 1, 28, 28) images in (0, 1)."""
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"expected z of shape (N, {self.latent_dim}), got {tuple(z.shape)}")
        x = torch.sigmoid(self.out(self.body(z)))  # (N, 784)
        return x.view(len(z), 1, self.side, self.side)


def error_rate(model: nn.Module, images: Tensor, labels: Tensor, batch_size: int = 1000) -> float:
    """Fraction of ``images`` that ``model`` (in eval mode, noise off) misclassifies."""
    return float(predict(model, images, batch_size).ne(labels.to("cpu")).float().mean())


@torch.no_grad()
def predict(model: nn.Module, images: Tensor, batch_size: int = 1000) -> Tensor:
    """argmax_k l_k(x) for every image, computed in eval mode; int64 (N,) on the CPU.

    ``model``'s modes (train or eval, module by module) are restored afterwards.
    """
    device = next(model.parameters()).device
    with evaluating(model):
        out = [
            model(images[i : i + batch_size].to(device)).argmax(1).cpu()
            for i in range(0, len(images), batch_size)
        ]
    return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)


__all__ = [
    "Discriminator",
    "GaussianNoise",
    "Generator",
    "ShiftBatchNorm",
    "WeightNormLinear",
    "data_dependent_init",
    "error_rate",
    "predict",
]
