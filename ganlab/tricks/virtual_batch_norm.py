"""Virtual batch normalization (Salimans et al. 2016, §3.5).

Batch normalization makes the output for an example depend on the other examples of its
minibatch.  Virtual batch normalization (VBN) normalises every example with statistics
of a *reference batch*, chosen once, combined with the example's own statistics; the
reference batch itself is normalised with its own statistics only.  As in the official
ImageNet code, a new example x counts as one more member of the reference batch:

    c = 1 / (B_ref + 1)
    μ(x)  = c · mean(x)   + (1 − c) · μ_ref            (per channel)
    ν(x)  = c · mean(x²)  + (1 − c) · ν_ref            (mean of squares)
    VBN(x) = γ · (x − μ(x)) / sqrt(ε + ν(x) − μ(x)²) + β

with mean(·) over the example's spatial positions.  In a generator the reference batch is
G's own activations on a fixed noise batch, recomputed with the current weights at every
call: :class:`VirtualBatchNormGenerator` does that for every VBN layer of a generator.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn


def _reduce_dims(x: Tensor, num_features: int) -> tuple[int, ...]:
    """The spatial dimensions of an (N, C) or (N, C, H, W) input, validated."""
    if x.ndim not in (2, 4) or x.shape[1] != num_features:
        raise ValueError(
            f"expected input of shape (N, {num_features}) or (N, {num_features}, H, W), "
            f"got {tuple(x.shape)}"
        )
    return tuple(range(2, x.ndim))  # () for (N, C), (2, 3) for (N, C, H, W)


class VirtualBatchNorm(nn.Module):
    """Virtual batch normalization for (N, C) or (N, C, H, W) inputs.

    Call :meth:`set_reference` (or run the layer inside :func:`reference_mode`) on the
    reference batch first; afterwards every example is normalised independently of its
    batchmates.  ``weight`` (γ, init 1) and ``bias`` (β, init 0) are named as in
    ``nn.BatchNorm2d`` so that DCGAN-style initialisation code finds them.

    Args:
        num_features: C, the number of channels.
        eps: ε added to the variance (official code: 1e-5).
    """

    def __init__(self, num_features: int, eps: float = 1e-5):
        super().__init__()
        if num_features < 1 or eps < 0:
            raise ValueError(f"need num_features >= 1 and eps >= 0, got {num_features}, {eps}")
        self.num_features = num_features
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(num_features))
        self.bias = nn.Parameter(torch.zeros(num_features))
        self.reference_mean: Tensor | None = None  # (C,) μ_ref
        self.reference_mean_sq: Tensor | None = None  # (C,) ν_ref
        self.reference_size = 0  # B_ref
        self.reference_mode = False

    def _affine(self, normalised: Tensor) -> Tensor:
        shape = (1, -1) + (1,) * (normalised.ndim - 2)  # broadcast over N and positions
        return normalised * self.weight.view(shape) + self.bias.view(shape)

    def set_reference(self, reference: Tensor) -> Tensor:
        """Store the statistics of the reference batch and return it normalised by them.

        Gradients flow through the stored statistics (as in the official code, where the
        reference batch is part of the graph); they are recomputed by the next call.

        Args:
            reference: (B_ref, C) or (B_ref, C, H, W), the layer's input on the reference batch.

        Returns:
            The reference batch normalised with its own statistics only, same shape.
        """
        dims = _reduce_dims(reference, self.num_features)
        if len(reference) < 1:
            raise ValueError("the reference batch is empty")
        over = (0, *dims)  # the batch and the spatial positions
        mean = reference.mean(dim=over)  # (C,)
        mean_sq = reference.pow(2).mean(dim=over)  # (C,)
        self.reference_mean, self.reference_mean_sq = mean, mean_sq
        self.reference_size = len(reference)
        shape = (1, -1) + (1,) * len(dims)
        # BN of the reference batch: (x − μ_ref) / sqrt(ε + ν_ref − μ_ref²)
        std = torch.sqrt(self.eps + mean_sq - mean.pow(2)).view(shape)
        return self._affine((reference - mean.view(shape)) / std)

    def forward(self, x: Tensor) -> Tensor:
        """Normalise each example of x with the reference statistics and its own.

        In reference mode (see :func:`reference_mode`) this is :meth:`set_reference`.
        """
        if self.reference_mode:
            return self.set_reference(x)
        dims = _reduce_dims(x, self.num_features)
        if self.reference_mean is None or self.reference_mean_sq is None:
            raise RuntimeError(
                "VirtualBatchNorm has no reference batch yet: call set_reference(reference) "
                "first, or wrap the generator in VirtualBatchNormGenerator"
            )
        shape = (1, -1) + (1,) * len(dims)
        own_mean = x.mean(dim=dims, keepdim=True) if dims else x  # (N, C[, 1, 1])
        own_mean_sq = x.pow(2).mean(dim=dims, keepdim=True) if dims else x.pow(2)
        c = 1.0 / (self.reference_size + 1)
        # μ(x) = c·mean(x) + (1 − c)·μ_ref, and the same for the mean of squares
        mean = c * own_mean + (1 - c) * self.reference_mean.view(shape)
        mean_sq = c * own_mean_sq + (1 - c) * self.reference_mean_sq.view(shape)
        std = torch.sqrt(self.eps + mean_sq - mean.pow(2))
        return self._affine((x - mean) / std)

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}"


def virtual_batch_norm_layers(module: nn.Module) -> list[VirtualBatchNorm]:
    """Every :class:`VirtualBatchNorm` inside ``module``, in registration order."""
    return [m for m in module.modules() if isinstance(m, VirtualBatchNorm)]


@contextmanager
def reference_mode(module: nn.Module) -> Iterator[list[VirtualBatchNorm]]:
    """Within the block, every VBN layer of ``module`` takes its input as the reference batch.

    A forward pass of ``module`` inside the block sets each layer's reference statistics
    from the activations that reach it, layer by layer.

    Raises:
        ValueError: if ``module`` holds no VirtualBatchNorm layer.
    """
    layers = virtual_batch_norm_layers(module)
    if not layers:
        raise ValueError(f"{type(module).__name__} has no VirtualBatchNorm layer")
    for layer in layers:
        layer.reference_mode = True
    try:
        yield layers
    finally:
        for layer in layers:
            layer.reference_mode = False


class VirtualBatchNormGenerator(nn.Module):
    """A generator whose VBN layers use a fixed reference noise batch (the official recipe).

    Every forward pass first runs ``reference_noise`` through the generator in
    :func:`reference_mode`, with the current weights, then the given z.  That costs one
    extra forward pass of B_ref examples per call.  The reference noise is a buffer, so it
    is saved with the model's ``state_dict``.

    Args:
        generator: a module mapping z (N, latent_dim) to samples, containing VBN layers.
        reference_noise: (B_ref, latent_dim), drawn once, kept fixed.
    """

    def __init__(self, generator: nn.Module, reference_noise: Tensor):
        super().__init__()
        if not virtual_batch_norm_layers(generator):
            raise ValueError(
                f"{type(generator).__name__} has no VirtualBatchNorm layer; build it with "
                "VirtualBatchNorm in place of BatchNorm (e.g. MNISTGenerator(norm='virtual'))"
            )
        if reference_noise.ndim < 2 or len(reference_noise) < 1:
            raise ValueError(
                f"expected reference noise of shape (B_ref, latent_dim), "
                f"got {tuple(reference_noise.shape)}"
            )
        self.generator = generator
        self.register_buffer("reference_noise", reference_noise.clone())
        if hasattr(generator, "latent_dim"):
            self.latent_dim = generator.latent_dim

    def forward(self, z: Tensor) -> Tensor:
        with reference_mode(self.generator):
            self.generator(self.reference_noise)
        return self.generator(z)


@torch.no_grad()
def batchmate_dependence(
    generator: nn.Module, z: Tensor, num_batches: int, batch_size: int, seed: int = 0
) -> Tensor:
    """How much G(z) changes when z is generated among different batchmates.

    Each probe z_k is generated ``num_batches`` times, every time in a batch of
    ``batch_size`` with a fresh random set of batchmates (other probes and N(0, I) noise).

    Args:
        generator: G, used in its current mode (``train()`` for batch norm's batch statistics).
        z: (K, latent_dim) probe noise vectors.
        num_batches: >= 2, how many batchmate sets each probe meets.
        batch_size: >= 2, the size of each batch.

    Returns:
        (K,) for each probe, the largest absolute change of any output entry from its
        output in the first batch.
    """
    if num_batches < 2 or batch_size < 2 or z.ndim != 2:
        raise ValueError(
            f"need num_batches >= 2, batch_size >= 2 and z of shape (K, latent_dim), got "
            f"{num_batches}, {batch_size} and {tuple(z.shape)}"
        )
    random = torch.Generator().manual_seed(seed)
    chunk = batch_size // 2  # probes per batch; the other half is fresh noise
    outputs = []
    for _ in range(num_batches):
        order = torch.randperm(len(z), generator=random)
        parts = []
        for start in range(0, len(z), chunk):
            probes = order[start : start + chunk]
            mates = torch.randn(batch_size - len(probes), z.shape[1], generator=random)
            batch = torch.cat([z[probes], mates.to(z.device, z.dtype)])  # (batch_size, latent)
            parts.append((probes, generator(batch)[: len(probes)]))
        out = torch.empty((len(z), *parts[0][1].shape[1:]), device=parts[0][1].device)
        for probes, generated in parts:
            out[probes.to(out.device)] = generated
        outputs.append(out.flatten(1))  # (K, D) in the probes' order
    first = outputs[0]
    return torch.stack([(o - first).abs().amax(dim=1) for o in outputs[1:]]).amax(dim=0)
