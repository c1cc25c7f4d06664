"""Minibatch discrimination (Salimans et al. 2016, §3.2).

A discriminator that scores examples one at a time cannot see that all generated samples
look alike.  This layer gives every example features that measure how close it is to the
other examples of its batch:

    M_i = f(x_i) · T                           T ∈ R^{A×B×C},  M_i ∈ R^{B×C}
    c_b(x_i, x_j) = exp(-|| M_{i,b} - M_{j,b} ||_1)
    o(x_i)_b = Σ_{j ≠ i} c_b(x_i, x_j)         (+ a learned bias per kernel b)
    output: [f(x_i), o(x_i)] ∈ R^{A+B}

What this layer does: T is a plain parameter drawn from N(0, 0.05²); the self term j = i
is left out (it is always e⁰ = 1); a learned bias per kernel, initialised to -1, is added
(``bias=False`` gives exactly the formula above); ``normalize=True`` divides the sum by
N - 1, the number of other examples, so that o lies in [0, 1] whatever the batch size
(lesson 04 compares the sum with this mean).  Real and generated batches must be passed
through separately, as in the paper.

How the official layers differ (openai/improved-gan):

* The Theano ``MinibatchLayer`` (``mnist_svhn_cifar10/nn.py``; used only by the CIFAR-10
  and SVHN minibatch scripts, with B = 100, C = 5, on D's 192 or 128 globally pooled
  features) is weight-normalised: T = θ · exp(s) / ||θ||₂, each of the B·C columns θ[:, b, c]
  normalised over the A inputs, θ ~ N(0, 0.05²), a learned log-scale s (B, C) starting at 0.
  It also sums over j ≠ i (a distance of 10⁶ on the diagonal makes the self term 0) with
  no normalisation, and adds a learned bias per kernel whose default is -1.  But the scripts
  run a data-dependent initialisation once, on 500 labelled images, before training: per
  kernel b it rescales T so that the mean over i of the L1 distance from M_{i,b} to its
  nearest neighbour is 2, then sets the bias to -mean_i o(x_i)_b on that batch, so that
  o + bias starts centred.  The -1 never reaches training.  By default this layer has
  neither the weight normalisation nor that initialisation: its T keeps the scale of the
  draw (columns of L2 norm about 0.05·√A, where the official columns start at norm 1 and
  are then rescaled) and its bias starts at -1.  ``weight_norm=True`` gives the official
  parametrisation, and :meth:`MinibatchDiscrimination.init_from_batch` its initialisation
  (lesson 09's official minibatch variant uses both).
* The TensorFlow ImageNet discriminator (``imagenet/discriminator.py``; B = 300, C = 50,
  M from a dense layer with weights N(0, 0.02²)) takes one joint batch of n real and n
  generated images and gives every example two sets of features: its closeness to the real
  half and to the generated half, each summed over j ≠ i (mask 1 - I) and divided by
  n(2n - 1), the count of unmasked entries in that half of the columns of the 2n × 2n mask
  (not the number of terms in one example's sum).  It has no bias.  ``normalize=True`` is
  not that either: it is a per-example mean over one separately processed batch.

Cost: the pairwise distances take O(N²·B·C) time.  Naive broadcasting also needs
O(N²·B·C) memory; here the L1 distances are computed with ``torch.cdist`` (O(N²·B)
memory), and rows are processed in chunks of ``chunk_size`` to bound memory for large N.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MinibatchDiscrimination(nn.Module):
    """The minibatch discrimination layer: (N, A) → (N, A + B).

    Args:
        in_features: A, the size of f(x).
        num_kernels: B, the number of distance kernels.
        kernel_dim: C, the dimension each kernel compares in.
        bias: add a learned per-kernel bias to o, initialised to -1 (the default of the
            official Theano layer's bias, which its data-dependent initialisation replaces).
        normalize: average over the N - 1 other examples instead of summing (neither
            official layer does this; see the module docstring).
        chunk_size: rows per chunk of the distance computation; ``None`` picks a chunk that
            keeps the (chunk, N, B) distance block under about 16M elements.
        weight_norm: parametrise T as the official Theano layer does,
            T[:, b, c] = θ[:, b, c] · exp(s[b, c]) / ||θ[:, b, c]||₂, with parameters
            ``theta`` (A, B, C) and ``log_scale`` (B, C); :meth:`init_from_batch` then sets
            s and the bias from data.
    """

    def __init__(
        self,
        in_features: int,
        num_kernels: int = 100,
        kernel_dim: int = 5,
        bias: bool = True,
        normalize: bool = False,
        chunk_size: int | None = None,
        weight_norm: bool = False,
    ):
        super().__init__()
        if min(in_features, num_kernels, kernel_dim) < 1:
            raise ValueError(
                "in_features, num_kernels and kernel_dim must be >= 1, got "
                f"{in_features}, {num_kernels}, {kernel_dim}"
            )
        if chunk_size is not None and chunk_size < 1:
            raise ValueError(f"chunk_size must be >= 1 or None, got {chunk_size}")
        self.in_features = in_features
        self.num_kernels = num_kernels
        self.kernel_dim = kernel_dim
        self.normalize = normalize
        self.chunk_size = chunk_size
        self.weight_norm = weight_norm
        shape = (in_features, num_kernels, kernel_dim)
        if weight_norm:
            self.theta = nn.Parameter(torch.empty(shape))
            self.log_scale = nn.Parameter(torch.zeros(num_kernels, kernel_dim))
        else:
            self.weight = nn.Parameter(torch.empty(shape))  # T
        self.bias = nn.Parameter(torch.empty(num_kernels)) if bias else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """T (or θ) ~ N(0, 0.05²), log-scale 0 and bias = -1.

        These are the initial values of the official Theano layer's θ and bias, but that
        layer weight-normalises θ and then rescales it and resets the bias from data before
        training; without ``weight_norm`` this layer uses T as drawn.
        """
        if self.weight_norm:
            nn.init.normal_(self.theta, std=0.05)
            nn.init.zeros_(self.log_scale)
        else:
            nn.init.normal_(self.weight, std=0.05)
        if self.bias is not None:
            nn.init.constant_(self.bias, -1.0)

    def kernel(self) -> Tensor:
        """T, shape (A, B, C): the parameter itself, or θ · exp(s) / ||θ|| with weight norm."""
        if not self.weight_norm:
            return self.weight
        return self.theta * (self.log_scale.exp() / self.theta.norm(dim=0))

    @torch.no_grad()
    def init_from_batch(self, x: Tensor, nearest_distance: float = 2.0) -> None:
        """The official data-dependent initialisation, from one batch ``x`` (N, A).

        Per kernel b, rescales T[:, b, :] so that the mean over i of the L1 distance from
        M_{i,b} to its nearest neighbour in the batch is ``nearest_distance``, then sets
        the bias to -mean_i o(x_i)_b, so that o + bias has mean 0 on this batch.  Needs
        ``weight_norm=True`` (the scale is the log-scale s) and a bias.
        """
        if not self.weight_norm or self.bias is None:
            raise ValueError("init_from_batch needs a layer with weight_norm=True and a bias")
        if x.ndim != 2 or x.shape[1] != self.in_features or len(x) < 2:
            raise ValueError(f"expected a batch (N >= 2, {self.in_features}), got {tuple(x.shape)}")
        m = (x @ self.kernel().flatten(1)).view(len(x), self.num_kernels, self.kernel_dim)
        m = m.transpose(0, 1)  # (B, N, C)
        dist = torch.cdist(m, m, p=1)  # (B, N, N)
        dist.diagonal(dim1=1, dim2=2).fill_(float("inf"))
        mean_nearest = dist.min(dim=2).values.mean(dim=1)  # (B,)
        self.log_scale.sub_(torch.log(mean_nearest / nearest_distance)[:, None])
        self.bias.zero_()
        self.bias.copy_(-self.minibatch_features(x).mean(0))

    def _chunk(self, n: int) -> int:
        if self.chunk_size is not None:
            return self.chunk_size
        return max(1, (1 << 24) // max(1, n * self.num_kernels))

    def minibatch_features(self, x: Tensor) -> Tensor:
        """o(x): (N, A) → (N, B), the closeness of each example to the rest of its batch."""
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(f"expected input (N, {self.in_features}), got {tuple(x.shape)}")
        n = len(x)
        m = (x @ self.kernel().flatten(1)).view(n, self.num_kernels, self.kernel_dim)  # (N, B, C)
        m = m.transpose(0, 1).contiguous()  # (B, N, C)
        chunk = self._chunk(n)
        rows = []
        for start in range(0, n, chunk):
            block = m[:, start : start + chunk]  # (B, n_c, C)
            dist = torch.cdist(block, m, p=1)  # (B, n_c, N) L1 distances
            rows_idx = torch.arange(start, start + block.shape[1], device=x.device)
            not_self = rows_idx[:, None] != torch.arange(n, device=x.device)  # (n_c, N)
            close = torch.exp(-dist) * not_self
            rows.append(close.sum(dim=2).transpose(0, 1))  # (n_c, B)
        o = torch.cat(rows) if rows else x.new_zeros(0, self.num_kernels)
        if self.normalize and n > 1:
            o = o / (n - 1)
        if self.bias is not None:
            o = o + self.bias
        return o

    def forward(self, x: Tensor) -> Tensor:
        """[x, o(x)]: (N, A) → (N, A + B)."""
        return torch.cat([x, self.minibatch_features(x)], dim=1)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, num_kernels={self.num_kernels}, "
            f"kernel_dim={self.kernel_dim}, bias={self.bias is not None}, "
            f"normalize={self.normalize}, weight_norm={self.weight_norm}"
        )
