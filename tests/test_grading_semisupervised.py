"""Tests of the graded cases of lesson 09 (the K+1 classifier of §5).

The correct answers come from :mod:`ganlab.semisupervised`, :mod:`ganlab.data` and
:mod:`ganlab.stats`, which the cases never call for their references, and, for 09.1, from
a different formula (the difference of log-probabilities).  Each known mistake must fail
the cases it breaks, and only those, with a hint that names it where the lesson has one.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from test_grading_experiment import correct_experiment
from torch import Tensor

from ganlab.data import labeled_subset
from ganlab.grading import get_exercise
from ganlab.grading.core import run_cases
from ganlab.grading.lessons import l09
from ganlab.semisupervised import discriminator_probability, kplus1_logits, unsupervised_loss


def _drop_generated_logit(logits: Tensor) -> Tensor:
    """log p(k | x) − log p(K+1 | x): the log-odds of each class against "generated"."""
    log_p = torch.log_softmax(logits, dim=1)
    return log_p[:, :-1] - log_p[:, -1:]


CORRECT = {
    "09.1": _drop_generated_logit,
    "09.2": discriminator_probability,
    "09.3": unsupervised_loss,
    "09.4": labeled_subset,
    "09.5": correct_experiment(l09.ARMS),
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
    "09.1 last logit dropped": ("09.1", lambda x: x[:, :-1], "left the others", [0, 1]),
    "09.1 sign flipped": ("09.1", lambda x: x[:, -1:] - x[:, :-1], "sign is flipped", [0, 1]),
    "09.1 max subtracted": (
        "09.1",
        lambda x: x[:, :-1] - x.amax(1, keepdim=True),
        {0: "largest one", 1: None},
        [0, 1],
    ),
    "09.1 log-softmax": (
        "09.1",
        lambda x: torch.log_softmax(x, dim=1)[:, :-1],
        {0: "log-probabilities", 1: None},
        [0, 1],
    ),
    "09.1 first logit as generated": (
        "09.1",
        lambda x: x[:, 1:] - x[:, :1],
        {0: "first logit", 1: None},
        [0, 1],
    ),
    "09.1 through the probabilities": (
        "09.1",
        lambda x: (torch.softmax(x, dim=1)[:, :-1] / torch.softmax(x, dim=1)[:, -1:]).log(),
        {1: "numerically stable"},
        [1],
    ),
    "09.1 K+1 columns": ("09.1", lambda x: x - x[:, -1:], "expected shape", [0, 1]),
    "09.3 naive Z / (Z + 1)": ("09.3", _naive_loss, {2: "numerically stable"}, [2]),
    "09.3 no ½": (
        "09.3",
        lambda u, f: 2 * unsupervised_loss(u, f),
        {0: "left out the ½", 1: None, 2: "left out the ½"},
        [0, 1, 2],
    ),
    "09.3 roles swapped": (
        "09.3",
        lambda u, f: (
            unsupervised_loss(f, u)
            if len(u) == len(f)
            else 0.5 * (F.softplus(_lse(u)).mean() - _lse(f).mean() + F.softplus(_lse(f)).mean())
        ),
        {0: "roles are swapped", 1: None, 2: "roles are swapped"},
        [0, 1, 2],
    ),
    "09.3 max logit": (
        "09.3",
        lambda u, f: unsupervised_loss(u.amax(1, keepdim=True), f.amax(1, keepdim=True)),
        {0: "largest logit", 1: None, 2: "largest logit"},
        [0, 1, 2],
    ),
    "09.3 no gradient": (
        "09.3",
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
    "09.2 softmax max": (
        "09.2",
        lambda x: torch.softmax(x, dim=1).amax(1),
        {0: "leaves out the generated class", 1: None},
        [0, 1],
    ),
    "09.2 max logit": (
        "09.2",
        lambda x: torch.sigmoid(x.amax(1)),
        {0: "largest logit"},
        [0],
    ),
    "09.5 normal quantile": (
        "09.5",
        correct_experiment(l09.ARMS, quantile=lambda df: 1.959964),
        {1: "normal quantile 1.96"},
        [1],
    ),
    "09.5 differences reversed": (
        "09.5",
        correct_experiment(l09.ARMS[::-1]),
        {1: "second arm minus the first"},
        [1],
    ),
    "09.4 seed ignored": (
        "09.4",
        _first_per_class,
        {1: "shuffle the indices", 2: "expected a ValueError"},
        [1, 2],
    ),
    "09.4 with repeats": (
        "09.4",
        _with_repeats,
        {0: "appear twice", 2: "expected a ValueError"},
        [0, 2],
    ),
    "09.4 unseeded": (
        "09.4",
        _unseeded,
        {1: "same seed must give the same subset", 2: "expected a ValueError"},
        [1, 2],
    ),
    "09.4 no check": ("09.4", _no_check, {2: "expected a ValueError"}, [2]),
}


# the exercises' function names in order, per lesson (tests/test_grading.py checks them)
TARGETS = {
    "09": [
        "drop_generated_logit",
        "discriminator_probability",
        "unsupervised_loss",
        "labeled_subset",
        "run_experiment",
    ]
}


def test_the_naive_loss_really_breaks_at_large_logits() -> None:
    """The stability case is meaningful: the textbook formula gives inf or nan there."""
    big = torch.tensor([[1000.0, 0.0], [-1000.0, 0.0]])
    assert not math.isfinite(float(_naive_loss(big, big)))
    assert math.isfinite(float(unsupervised_loss(big, big)))


def test_other_right_routes_pass() -> None:
    """Answers derived another way are right too: the plain difference of logits for 09.1,
    one minus the generated class's probability under an explicit (K+1)-way softmax for 09.2
    (softmax is stable at any scale)."""
    routes = {
        "09.1": lambda x: x[:, :-1] - x[:, -1:],
        "09.2": lambda x: 1 - torch.softmax(kplus1_logits(x), dim=1)[:, -1],
    }
    for exercise_id, answer in routes.items():
        result = run_cases(get_exercise(exercise_id), answer)
        assert result.score == result.max_score, result.report()


def test_the_far_apart_case_breaks_the_detour_through_probabilities() -> None:
    """09.1's second case is meaningful: a probability of e^-800 is 0 in float64."""
    p = torch.softmax(l09._far_apart(), dim=1)
    assert not torch.isfinite((p[:, :-1] / p[:, -1:]).log()).all()
