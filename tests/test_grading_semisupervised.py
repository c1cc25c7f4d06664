"""Tests of the graded cases of lesson 09 (the K+1 classifier of §5).

The correct answers come from :mod:`ganlab.semisupervised` and :mod:`ganlab.data`, which the
cases never call for their references.  Each known mistake must fail the cases it breaks,
and only those, with a hint that names it where the lesson has one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.data import labeled_subset
from ganlab.semisupervised import discriminator_probability, unsupervised_loss

CORRECT = {
    "09.1": unsupervised_loss,
    "09.2": discriminator_probability,
    "09.3": labeled_subset,
}


def _naive_loss(unl: Tensor, fake: Tensor) -> Tensor:
    """D = Z / (Z + 1) straight from the definition: exp overflows at large logits."""
    z_unl, z_fake = unl.exp().sum(1), fake.exp().sum(1)
    d_unl, d_fake = z_unl / (z_unl + 1), z_fake / (z_fake + 1)
    return -0.5 * d_unl.log().mean() - 0.5 * (1 - d_fake).log().mean()


def _lse(x: Tensor) -> Tensor:
    return torch.logsumexp(x, dim=1)


def _first_per_class(labels: Tensor, per_class: int, seed: int) -> Tensor:
    """Ignores the seed: always the first examples of each class."""
    return torch.cat([torch.nonzero(labels == c)[:per_class, 0] for c in labels.unique()])


def _with_repeats(labels: Tensor, per_class: int, seed: int) -> Tensor:
    gen = torch.Generator().manual_seed(seed)
    out = []
    for c in labels.unique():
        of_class = torch.nonzero(labels == c)[:, 0]
        out.append(of_class[torch.randint(len(of_class), (per_class,), generator=gen)])
    return torch.cat(out)


def _unseeded(labels: Tensor, per_class: int, seed: int) -> Tensor:
    order = torch.randperm(len(labels))
    return torch.cat([order[labels[order] == c][:per_class] for c in labels.unique()])


def _no_check(labels: Tensor, per_class: int, seed: int) -> Tensor:
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(labels), generator=gen)
    return torch.cat([order[labels[order] == c][:per_class] for c in labels.unique()])


# (exercise, wrong answer, hint per failing case (None: no hint), failing cases)
WRONG = {
    "09.1 naive Z / (Z + 1)": ("09.1", _naive_loss, {2: "numerically stable"}, [2]),
    "09.1 no ½": (
        "09.1",
        lambda u, f: 2 * unsupervised_loss(u, f),
        {0: "left out the ½", 1: None, 2: "left out the ½"},
        [0, 1, 2],
    ),
    "09.1 roles swapped": (
        "09.1",
        lambda u, f: (
            unsupervised_loss(f, u)
            if len(u) == len(f)
            else 0.5 * (F.softplus(_lse(u)).mean() - _lse(f).mean() + F.softplus(_lse(f)).mean())
        ),
        {0: "roles are swapped", 1: None, 2: "roles are swapped"},
        [0, 1, 2],
    ),
    "09.1 max logit": (
        "09.1",
        lambda u, f: unsupervised_loss(u.amax(1, keepdim=True), f.amax(1, keepdim=True)),
        {0: "largest logit", 1: None, 2: "largest logit"},
        [0, 1, 2],
    ),
    "09.1 no gradient": (
        "09.1",
        lambda u, f: unsupervised_loss(u, f).detach(),
        {1: "no gradient"},
        [1],
    ),
    "09.2 naive Z / (Z + 1)": (
        "09.2",
        lambda x: x.exp().sum(1) / (x.exp().sum(1) + 1),
        {1: "numerically stable"},
        [1],
    ),
    "09.2 1 - D": ("09.2", lambda x: 1 - discriminator_probability(x), "generated class", [0, 1]),
    "09.2 max logit": (
        "09.2",
        lambda x: torch.sigmoid(x.amax(1)),
        {0: "largest logit"},
        [0],
    ),
    "09.3 seed ignored": (
        "09.3",
        _first_per_class,
        {1: "shuffle the indices", 2: "expected a ValueError"},
        [1, 2],
    ),
    "09.3 with repeats": (
        "09.3",
        _with_repeats,
        {0: "appear twice", 2: "expected a ValueError"},
        [0, 2],
    ),
    "09.3 unseeded": (
        "09.3",
        _unseeded,
        {1: "same seed must give the same subset", 2: "expected a ValueError"},
        [1, 2],
    ),
    "09.3 no check": ("09.3", _no_check, {2: "expected a ValueError"}, [2]),
}


# the exercises' function names in order, per lesson (tests/test_grading.py checks them)
TARGETS = {"09": ["unsupervised_loss", "discriminator_probability", "labeled_subset"]}


def test_the_naive_loss_really_breaks_at_large_logits() -> None:
    """The stability case is meaningful: the textbook formula gives inf or nan there."""
    big = torch.tensor([[1000.0, 0.0], [-1000.0, 0.0]])
    assert not math.isfinite(float(_naive_loss(big, big)))
    assert math.isfinite(float(unsupervised_loss(big, big)))
