"""Two context managers that switch a network's state for the length of a block.

- :func:`frozen`: no gradients for the module's own weights (the generator's step, where
  gradients must flow *through* D to G's samples but D must not learn).
- :func:`evaluating`: eval mode (dropout off, batch norm on running statistics, noise
  layers off), e.g. to measure a network in the middle of training.

Both restore what was there before, also when the block raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import nn


@contextmanager
def frozen(module: nn.Module) -> Iterator[nn.Module]:
    """Inside the block, no parameter of ``module`` requires a gradient; afterwards (also
    after an exception) each one's flag is what it was before.

    For a generator's step: gradients still flow through the discriminator to the
    generated samples, but none are computed for the discriminator's own weights.
    """
    flags = [(param, param.requires_grad) for param in module.parameters()]
    module.requires_grad_(False)
    try:
        yield module
    finally:
        for param, flag in flags:
            param.requires_grad_(flag)


@contextmanager
def evaluating(module: nn.Module) -> Iterator[nn.Module]:
    """Inside the block ``module`` is in eval mode; afterwards (also after an exception)
    every submodule is back in the mode it was in before (train or eval, one by one)."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, training in modes:
            m.training = training
