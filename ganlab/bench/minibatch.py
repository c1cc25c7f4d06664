"""Cost of minibatch discrimination: ``ganlab bench minibatch``.

Times forward + backward of :class:`~ganlab.tricks.MinibatchDiscrimination` against naive
broadcasting, which builds the (N, N, B, C) difference tensor, for several batch sizes N on
every available device.  Default sizes: B = 100 kernels of C = 5, as in the official
CIFAR-10 / SVHN minibatch scripts, on A = 250 inputs, the width of the last hidden layer of
the official MNIST discriminator (and of ganlab's semi-supervised one, which feeds the layer).
"""

from __future__ import annotations

import argparse
import functools
import time

import torch
from torch import Tensor

from ganlab import cliargs
from ganlab.bench.device import available_devices, synchronize
from ganlab.tricks import MinibatchDiscrimination


def naive_broadcast(layer: MinibatchDiscrimination, x: Tensor) -> Tensor:
    """The same layer (its sum, ``normalize=False``) by broadcasting: O(N²·B·C) memory."""
    n = len(x)
    m = (x @ layer.kernel().flatten(1)).view(n, layer.num_kernels, layer.kernel_dim)  # (N, B, C)
    dist = (m[:, None] - m[None]).abs().sum(dim=3)  # (N, N, B)
    not_self = 1.0 - torch.eye(n, device=x.device, dtype=x.dtype)
    o = (torch.exp(-dist) * not_self[..., None]).sum(dim=1)  # (N, B)
    if layer.bias is not None:
        o = o + layer.bias
    return torch.cat([x, o], dim=1)


def time_forward_backward(fn, x: Tensor, repeats: int) -> float:
    """Median milliseconds of ``fn(x).sum().backward()`` after one warm-up call."""
    fn(x).sum().backward()
    times = []
    for _ in range(repeats):
        synchronize(x.device)
        start = time.perf_counter()
        fn(x).sum().backward()
        synchronize(x.device)
        times.append(time.perf_counter() - start)
    return 1000 * sorted(times)[len(times) // 2]


def run(batch_sizes=(100, 500), a: int = 250, b: int = 100, c: int = 5, repeats: int = 5) -> str:
    """The table of milliseconds per forward+backward, ganlab's layer vs naive broadcasting."""
    lines = [f"{'device':<7} {'N':>5} {'ganlab (ms)':>12} {'naive (ms)':>11} {'speed-up':>9}"]
    for device in available_devices():
        for n in batch_sizes:
            torch.manual_seed(0)
            layer = MinibatchDiscrimination(a, b, c).to(device)
            x = torch.randn(n, a, device=device, requires_grad=True)
            ours = time_forward_backward(layer, x, repeats)
            naive = time_forward_backward(functools.partial(naive_broadcast, layer), x, repeats)
            lines.append(
                f"{device.type:<7} {n:>5} {ours:>12.2f} {naive:>11.2f} {naive / ours:>8.1f}x"
            )
    return "\n".join(lines)


def _main(args: argparse.Namespace) -> int:
    print(f"A={args.a}, B={args.b}, C={args.c}; forward + backward, median of {args.repeats}")
    print(run(tuple(args.n), args.a, args.b, args.c, args.repeats))
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab bench minibatch``."""
    parser = subparsers.add_parser(
        "minibatch",
        help="minibatch discrimination vs naive broadcasting: milliseconds per step",
        description="Time forward + backward of ganlab's minibatch-discrimination layer "
        "against naive broadcasting (which builds the N x N x B x C difference tensor) for each "
        "batch size N on every available device, and print milliseconds and the speed-up. "
        "Writes nothing; seconds with the defaults (naive broadcasting needs O(N^2 B C) "
        "memory, so large N is slow).",
    )
    parser.add_argument(
        "-n",
        "--batch-sizes",
        dest="n",
        type=cliargs.positive_int,
        nargs="+",
        default=[100, 500],
        metavar="N",
        help="batch sizes N (default 100 500)",
    )
    parser.add_argument(
        "-a",
        "--in-features",
        dest="a",
        type=cliargs.positive_int,
        default=250,
        metavar="A",
        help="A, the layer's input features (default 250, the official MNIST discriminator's "
        "last hidden layer)",
    )
    parser.add_argument(
        "-b",
        "--kernels",
        dest="b",
        type=cliargs.positive_int,
        default=100,
        metavar="B",
        help="B, the number of kernels (default 100, as the official scripts)",
    )
    parser.add_argument(
        "-c",
        "--kernel-dim",
        dest="c",
        type=cliargs.positive_int,
        default=5,
        metavar="C",
        help="C, the dimension of each kernel (default 5, as the official scripts)",
    )
    parser.add_argument(
        "--repeats",
        type=cliargs.positive_int,
        default=5,
        help="timed calls per measurement, of which the median is shown (default 5)",
    )
    parser.set_defaults(func=_main)
