"""Graded cases of lesson 03 (``solutions/03_feature_matching_*``): feature matching.

The generator's cost of §3.1 compares the batch means of D's features on real data, (N, F),
and on generated data, (M, F):  L = || mean_i f(x_i) − mean_j f(G(z_j)) ||_2^2 = Σ_k Δ_k².
The official CIFAR-10 / SVHN code uses (1/F) Σ_k |Δ_k| instead (exercise 03.2).  Every case
computes its reference here, independently of :mod:`ganlab.tricks`: the values by a naive
Python loop in float64, the gradients in closed form.  When an answer fails and matches a
known variant (paired samples as in TorchGAN, the MNIST code's mean over features, no
square), the message says which.
Every case is a :class:`~ganlab.grading.probes.Probe`: the student's function runs in the
worker, the references and the verdict are computed by the grader.

Exercise 03.3 is an experiment (:mod:`ganlab.grading.experiment`): the student writes the
paired comparison of vanilla and feature matching, computing the Student-t interval
themselves; the notebook then runs it on the ring of 8, and question 03.Q1 asks what the
result shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import torch
from torch import Tensor

from ganlab.grading.compare import as_tensor, first_failure
from ganlab.grading.core import Case, CaseFailed, Exercise, Outcome, fail
from ganlab.grading.experiment import experiment_exercise
from ganlab.grading.mistakes import compare_with_mistakes
from ganlab.grading.probes import Probe
from ganlab.grading.questions import Question

Loss = Callable[[Tensor, Tensor], Tensor]  # (real_features, fake_features) -> a scalar


def _features(n: int, num_features: int, seed: int, shift: float = 0.0) -> Tensor:
    """(n, num_features) float32 features, the same on every run, with means spread over
    [−shift, shift]: differences of both signs tell Σ Δ_k from Σ |Δ_k|."""
    generator = torch.Generator().manual_seed(seed)
    means = shift * torch.linspace(-1.0, 1.0, num_features)
    return means + torch.randn(n, num_features, generator=generator)


def _mean_differences(real: Tensor, fake: Tensor) -> list[float]:
    """Δ_k = mean_i f(x_i)_k − mean_j f(G(z_j))_k, one a feature, by a naive loop in float64."""
    real_rows, fake_rows = real.double().tolist(), fake.double().tolist()
    return [
        sum(row[k] for row in real_rows) / len(real_rows)
        - sum(row[k] for row in fake_rows) / len(fake_rows)
        for k in range(len(real_rows[0]))
    ]


def _squared_l2_reference(real: Tensor, fake: Tensor) -> Tensor:
    """The paper's loss: Σ_k Δ_k²."""
    return torch.tensor(sum(d * d for d in _mean_differences(real, fake)), dtype=torch.float64)


def _l1_reference(real: Tensor, fake: Tensor) -> Tensor:
    """The CIFAR-10 / SVHN code's loss: (1/F) Σ_k |Δ_k|."""
    differences = _mean_differences(real, fake)
    return torch.tensor(sum(map(abs, differences)) / len(differences), dtype=torch.float64)


def _squared_l2_gradient(real: Tensor, fake: Tensor) -> Tensor:
    """∂L/∂f(G(z_j))_k = 2 (mean_fake_k − mean_real_k) / M, the same for every example j."""
    row = [-2 * d / len(fake) for d in _mean_differences(real, fake)]
    return torch.tensor([row] * len(fake), dtype=torch.float64)


def _l1_gradient(real: Tensor, fake: Tensor) -> Tensor:
    """∂L/∂f(G(z_j))_k = sign(mean_fake_k − mean_real_k) / (F·M), for every example j."""
    differences = _mean_differences(real, fake)
    scale = len(differences) * len(fake)
    row = [((d < 0) - (d > 0)) / scale for d in differences]
    return torch.tensor([row] * len(fake), dtype=torch.float64)


# --------------------------------------------------------------------- the known variants

Variant = Callable[[Tensor, Tensor], Tensor]  # on float64 (N, F) and (M, F)


def _delta(real: Tensor, fake: Tensor) -> Tensor:
    return real.mean(dim=0) - fake.mean(dim=0)  # (F,)


_PAIRED = (
    "you matched paired samples, x_i against G(z_i): that is TorchGAN's feature matching "
    "loss, not the paper's, which matches the batch means"
)
# Variants that need as many real as fake examples.
PAIRED_VARIANTS: dict[str, Variant] = {
    f"{_PAIRED} (you took the mean of (x_i − G(z_i))² over examples and features, as "
    "F.mse_loss does)": lambda r, f: (r - f).pow(2).mean(),
    f"{_PAIRED} (you summed (x_i − G(z_i))² over the features and averaged over the "
    "examples)": lambda r, f: (r - f).pow(2).sum(dim=1).mean(),
    f"{_PAIRED} (you took the mean of |x_i − G(z_i)|, as F.l1_loss does)": (
        lambda r, f: (r - f).abs().mean()
    ),
    "you averaged over the features (dim 1) instead of over the batch (dim 0): the batch "
    "means are real_features.mean(dim=0) and fake_features.mean(dim=0), one per "
    "feature": lambda r, f: (r.mean(dim=1) - f.mean(dim=1)).pow(2).sum(),
}
SQUARED_L2_VARIANTS: dict[str, Variant] = {
    "you took the mean over the features, ||Δ||² / F: that is the official MNIST code's "
    "variant; the paper's loss is the sum, ||Δ||² = Σ_k Δ_k²": (
        lambda r, f: _delta(r, f).pow(2).mean()
    ),
    "you forgot to square: ||Δ||_2 is the norm; the loss is its square, Σ_k Δ_k²": (
        lambda r, f: _delta(r, f).norm()
    ),
    "you forgot to square: in Σ_k Δ_k positive and negative differences cancel; the loss "
    "is Σ_k Δ_k²": lambda r, f: _delta(r, f).sum(),
    "that is the mean absolute difference, the official CIFAR-10 / SVHN code's variant "
    "(exercise 03.2); the paper's loss is the squared L2 norm, Σ_k Δ_k²": (
        lambda r, f: _delta(r, f).abs().mean()
    ),
    "that is the L1 norm Σ_k |Δ_k|; the paper's loss is the squared L2 norm, Σ_k Δ_k²": (
        lambda r, f: _delta(r, f).abs().sum()
    ),
    **PAIRED_VARIANTS,
}
L1_VARIANTS: dict[str, Variant] = {
    "you summed over the features, Σ_k |Δ_k|: the official code takes the mean, "
    "(1/F) Σ_k |Δ_k|": lambda r, f: _delta(r, f).abs().sum(),
    "that is the paper's squared L2 loss (exercise 03.1); this variant is the mean absolute "
    "difference, (1/F) Σ_k |Δ_k|": lambda r, f: _delta(r, f).pow(2).sum(),
    "you squared the differences, (1/F) Σ_k Δ_k²: this variant takes their absolute "
    "values, (1/F) Σ_k |Δ_k|": lambda r, f: _delta(r, f).pow(2).mean(),
    "you forgot the absolute value: in the mean of the Δ_k positive and negative "
    "differences cancel; the loss is (1/F) Σ_k |Δ_k|": lambda r, f: _delta(r, f).mean(),
    **PAIRED_VARIANTS,
}


def _variants(variants: Mapping[str, Variant], real: Tensor, fake: Tensor) -> dict[str, Variant]:
    """The variants that apply to these batches: the paired ones need equal sizes."""
    same_size = real.shape == fake.shape
    return {h: v for h, v in variants.items() if same_size or h not in PAIRED_VARIANTS}


def _variant_values(variants: Mapping[str, Variant], real: Tensor, fake: Tensor) -> dict:
    real, fake = real.double(), fake.double()
    return {h: v(real, fake) for h, v in _variants(variants, real, fake).items()}


def _variant_gradients(variants: Mapping[str, Variant], real: Tensor, fake: Tensor) -> dict:
    """Each variant's gradient with respect to the fake features."""
    real = real.double()
    gradients = {}
    for hint, variant in _variants(variants, real, fake).items():
        leaf = fake.double().requires_grad_()
        gradients[hint] = torch.autograd.grad(variant(real, leaf), leaf)[0]
    return gradients


# ------------------------------------------------------------------------------- the cases


def _describe(name: str, real: Tensor, fake: Tensor) -> str:
    return (
        f"{name}(real_features of shape {tuple(real.shape)}, "
        f"fake_features of shape {tuple(fake.shape)})"
    )


def _call(student: Loss, real: Tensor, fake: Tensor, what: str) -> object:
    """The student's loss; an error on batches of different sizes says that they may differ."""
    try:
        return student(real, fake)
    except RuntimeError as err:
        if len(real) == len(fake):
            raise
        raise CaseFailed(
            f"{what} raised RuntimeError: {err}\nthe real and fake batches may differ in size "
            "(N ≠ M): match their batch means, not pairs of examples"
        ) from err


def _value_case(
    name: str, reference: Loss, variants: Mapping[str, Variant], *batches: tuple[Tensor, Tensor]
) -> Probe:
    """A case comparing the student's loss on each (real, fake) with ``reference``."""

    def run(student: Loss) -> list:  # in the worker
        return [
            _call(student, real.clone(), fake.clone(), _describe(name, real, fake))
            for real, fake in batches
        ]

    def judge(answers: list) -> Outcome:
        outcomes = []
        for (real, fake), answer in zip(batches, answers, strict=True):
            what = _describe(name, real, fake)
            outcomes.append(
                compare_with_mistakes(
                    as_tensor(answer, what),
                    reference(real, fake),
                    partial(_variant_values, variants, real, fake),
                    what=what,
                )
            )
        return first_failure(outcomes)

    return Probe(run, judge)


def _gradient_case(
    name: str,
    closed_form: Callable[[Tensor, Tensor], Tensor],
    variants: Mapping[str, Variant],
    real: Tensor,
    fake: Tensor,
) -> Probe:
    """A case comparing ∂loss/∂fake_features, by autograd through the student's loss."""
    described = _describe(name, real, fake)
    what = f"d loss / d fake_features for {described}"

    def run(student: Loss) -> dict:  # in the worker: the loss's gradient
        leaf = fake.clone().requires_grad_()
        loss = _call(student, real.clone(), leaf, described)
        as_tensor(loss, described)
        if not loss.requires_grad:
            return {"has_grad": False}
        # .sum(): a loss of the wrong shape is reported by the value cases.
        (gradient,) = torch.autograd.grad(loss.sum(), leaf, allow_unused=True)
        return {"has_grad": True, "gradient": gradient}

    def judge(data: dict) -> Outcome:
        if not data["has_grad"]:
            return fail(
                f"{what}: the loss has no gradient; compute it with torch operations on "
                "fake_features (no .item(), NumPy or .detach())"
            )
        if data["gradient"] is None:
            return fail(f"{what}: the loss does not depend on fake_features")
        return compare_with_mistakes(
            as_tensor(data["gradient"], what),
            closed_form(real, fake),
            partial(_variant_gradients, variants, real, fake),
            what=what,
        )

    return Probe(run, judge)


def _same_mean_batches(seed: int) -> tuple[tuple[Tensor, Tensor], ...]:
    """Fakes with the real batch's means: its examples shuffled, then repeated twice."""
    real = _features(8, 5, seed, shift=0.5)
    shuffled = real[torch.randperm(8, generator=torch.Generator().manual_seed(seed + 1))]
    return (real, shuffled), (real, real.repeat(2, 1))


def _loss_exercise(
    exercise_id: str,
    title: str,
    target: str,
    formulas: tuple[Loss, Callable[[Tensor, Tensor], Tensor]],
    variants: Mapping[str, Variant],
    points: tuple[int, ...],
    seed: int,
) -> Exercise:
    """Random batches, batches of different sizes, the gradient, and batches of equal means.

    With four ``points`` the two value checks are two cases; with three they are one."""
    reference, closed_form = formulas
    same_size = (_features(8, 6, seed, shift=1.0), _features(8, 6, seed + 1, shift=-0.5))
    sizes = (_features(5, 7, seed + 2, shift=0.3), _features(12, 7, seed + 3))
    gradient = (_features(6, 4, seed + 4, shift=0.8), _features(10, 4, seed + 5))
    if len(points) == 4:
        values = (
            Case(
                "random features, N = M = 8: the value",
                points[0],
                _value_case(target, reference, variants, same_size),
            ),
            Case(
                "batches of different sizes, N = 5 and M = 12: the value",
                points[1],
                _value_case(target, reference, variants, sizes),
            ),
        )
    elif len(points) == 3:
        values = (
            Case(
                "random features, N = M = 8, then N = 5 and M = 12: the value",
                points[0],
                _value_case(target, reference, variants, same_size, sizes),
            ),
        )
    else:
        raise ValueError(f"3 or 4 points are needed, got {points}")
    cases = (
        *values,
        Case(
            "the gradient with respect to fake_features (N = 6, M = 10): the closed form",
            points[-2],
            _gradient_case(target, closed_form, variants, *gradient),
        ),
        Case(
            "fake batches with the real batch's means (shuffled, repeated): loss 0",
            points[-1],
            _value_case(target, reference, variants, *_same_mean_batches(seed + 6)),
        ),
    )
    return Exercise(exercise_id, title, target, cases)


# ------------------------------------------------------------------ 03.3: the experiment

ARMS = ("vanilla", "feature matching")  # the experiment's arms, baseline first

EXERCISES = (
    _loss_exercise(
        "03.1",
        "feature matching: the paper's squared L2 loss",
        "feature_matching_loss",
        (_squared_l2_reference, _squared_l2_gradient),
        SQUARED_L2_VARIANTS,
        (1, 1, 1, 1),
        seed=300,
    ),
    _loss_exercise(
        "03.2",
        "feature matching: the official code's L1 variant",
        "feature_matching_loss_l1",
        (_l1_reference, _l1_gradient),
        L1_VARIANTS,
        (1, 1, 1),
        seed=310,
    ),
    experiment_exercise(
        "03.3",
        "a paired experiment: vanilla vs feature matching",
        ARMS,
        (1, 2),
    ),
)
QUESTIONS = (Question("03.Q1", "what your experiment shows"),)
