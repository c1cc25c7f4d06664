"""Graded cases of lesson 06 (``solutions/06_one_sided_label_smoothing.ipynb``): §3.4.

06.1 is D's cost with the real targets smoothed to α and the fake targets left at 0,
computed from logits:  −mean_i [α log σ(r_i) + (1 − α) log(1 − σ(r_i))] − mean_j log(1 − σ(f_j)).
06.2 is the optimal discriminator D*(x) = (α p_data + β p_model) / (p_data + p_model).
The references are computed here, independently of :mod:`ganlab.tricks`: the loss by a loop
in float64 with the stable forms log σ(l) = −log(1 + e^{−l}) for l ≥ 0, l − log(1 + e^{l})
for l < 0; the gradient in closed form, (σ(r_i) − α) / N.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from ganlab.grading.compare import as_tensor, first_failure
from ganlab.grading.core import Case, Exercise, Outcome, fail, ok
from ganlab.grading.mistakes import compare_with_mistakes

SmoothedLoss = Callable[..., Tensor]  # (real_logits, fake_logits, alpha) -> a scalar


def _logits(n: int, seed: int, scale: float = 3.0, shift: float = 0.0) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return shift + scale * torch.randn(n, generator=generator)


def _log_sigmoid(logit: float) -> float:
    """log σ(l), without overflow for large |l|."""
    if logit >= 0:
        return -math.log1p(math.exp(-logit))
    return logit - math.log1p(math.exp(logit))


def _soft_bce(logits: Tensor, target: float) -> float:
    """mean −[t log σ(l) + (1 − t) log(1 − σ(l))], with log(1 − σ(l)) = log σ(−l)."""
    values = logits.double().tolist()
    return -sum(target * _log_sigmoid(v) + (1 - target) * _log_sigmoid(-v) for v in values) / len(
        values
    )


def _reference(real: Tensor, fake: Tensor, alpha: float) -> Tensor:
    return torch.tensor(_soft_bce(real, alpha) + _soft_bce(fake, 0.0), dtype=torch.float64)


def _mistakes(real: Tensor, fake: Tensor, alpha: float) -> dict[str, Tensor]:
    def value(x: float) -> Tensor:
        return torch.tensor(x, dtype=torch.float64)

    return {
        "you smoothed the fake targets too (to 1 − α): that is two-sided smoothing; the paper "
        "smooths only the real targets, the fake target stays 0": value(
            _soft_bce(real, alpha) + _soft_bce(fake, 1 - alpha)
        ),
        "you left out the (1 − α) log(1 − D(x)) term of the real examples: with a soft target "
        "α both terms of the binary cross-entropy remain": value(
            -alpha * sum(map(_log_sigmoid, real.double().tolist())) / len(real)
            + _soft_bce(fake, 0.0)
        ),
        "you did not smooth at all: the real target is α, not 1": value(
            _soft_bce(real, 1.0) + _soft_bce(fake, 0.0)
        ),
        "you swapped the targets: real examples get α, fakes 0": value(
            _soft_bce(real, 0.0) + _soft_bce(fake, alpha)
        ),
        "you summed over the examples: each term is a batch mean": value(
            len(real) * _soft_bce(real, alpha) + len(fake) * _soft_bce(fake, 0.0)
        ),
    }


def _value_case(n: int, m: int, alpha: float | None, seed: int, scale: float = 3.0) -> Callable:
    """The loss on random logits; ``alpha=None`` relies on the default, 0.9."""

    def run(student: SmoothedLoss) -> Outcome:
        real, fake = _logits(n, seed, scale, 1.0), _logits(m, seed + 1, scale, -1.0)
        used = 0.9 if alpha is None else alpha
        args = (real.clone(), fake.clone()) + (() if alpha is None else (alpha,))
        shown = "" if alpha is None else f", alpha={alpha}"
        what = f"smoothed_discriminator_loss(real_logits ({n},), fake_logits ({m},){shown})"
        got = as_tensor(student(*args), what)
        return compare_with_mistakes(
            got, _reference(real, fake, used), lambda: _mistakes(real, fake, used), what=what
        )

    return run


def _stability_case(student: SmoothedLoss) -> Outcome:
    real = torch.tensor([150.0, -150.0, 80.0])
    fake = torch.tensor([-200.0, 120.0])
    what = "smoothed_discriminator_loss on logits of ±80 to ±200, alpha=0.9"
    got = as_tensor(student(real.clone(), fake.clone(), 0.9), what)
    if not torch.isfinite(got).all():
        return fail(
            f"{what}: got {got.tolist()}; σ(l) rounds to exactly 0 or 1 in floating point, "
            "and log(0) = −inf. Compute from the logits: −log σ(l) = softplus(−l), "
            "−log(1 − σ(l)) = softplus(l)"
        )
    return compare_with_mistakes(
        got, _reference(real, fake, 0.9), lambda: _mistakes(real, fake, 0.9), what=what
    )


def _gradient_case(student: SmoothedLoss) -> Outcome:
    real, fake, alpha = _logits(6, 610, 2.0), _logits(4, 611, 2.0), 0.8
    leaf = real.clone().requires_grad_()
    what = "d loss / d real_logits for 6 real and 4 fake logits, alpha=0.8"
    loss = student(leaf, fake.clone(), alpha)
    as_tensor(loss, what)
    if not loss.requires_grad:
        return fail(f"{what}: the loss has no gradient; use torch operations on the logits")
    (gradient,) = torch.autograd.grad(loss.sum(), leaf)
    # d/dr_i of −mean[α log σ(r) + (1 − α) log σ(−r)] = (σ(r_i) − α) / N
    expected = torch.tensor(
        [(1 / (1 + math.exp(-r)) - alpha) / len(real) for r in real.double().tolist()],
        dtype=torch.float64,
    )
    return compare_with_mistakes(
        as_tensor(gradient, what),
        expected,
        lambda: {
            "the gradient is (σ(r) − 1) / N: it does not see α; the real targets must be α": (
                expected + alpha / len(real) - 1 / len(real)
            )
        },
        what=what,
    )


# ------------------------------------------------------------------------------ 06.2 D*

OptimalD = Callable[..., Tensor]


def _densities() -> tuple[Tensor, Tensor]:
    """p_data and p_model on 9 points, with places where one or the other is 0."""
    p_data = torch.tensor([0.0, 0.0, 0.05, 0.3, 1.2, 0.8, 0.4, 0.0, 2.0], dtype=torch.float64)
    p_model = torch.tensor([0.7, 1.5, 0.9, 0.3, 0.1, 0.0, 0.4, 0.2, 0.5], dtype=torch.float64)
    return p_data, p_model


def _d_star_case(alpha: float, beta: float) -> Callable:
    def run(student: OptimalD) -> Outcome:
        p_data, p_model = _densities()
        what = f"optimal_discriminator(p_data, p_model, alpha={alpha}, beta={beta}) on 9 points"
        got = as_tensor(student(p_data.clone(), p_model.clone(), alpha, beta), what)
        expected = torch.tensor(
            [
                (alpha * d + beta * m) / (d + m)
                for d, m in zip(p_data.tolist(), p_model.tolist(), strict=True)
            ],
            dtype=torch.float64,
        )
        total = p_data + p_model
        return compare_with_mistakes(
            got,
            expected,
            lambda: {
                "you swapped α and β: α weighs p_data, β weighs p_model": (
                    (beta * p_data + alpha * p_model) / total
                ),
                "you did not divide by p_data + p_model": alpha * p_data + beta * p_model,
                "you smoothed the unsmoothed D* afterwards, α·D + β: the formula is "
                "(α p_data + β p_model) / (p_data + p_model)": alpha * p_data / total + beta,
            },
            what=what,
        )

    return run


def _negative_density_case(student: OptimalD) -> Outcome:
    p_data, p_model = _densities()
    p_model[3] = -0.1
    try:
        student(p_data, p_model, 0.9, 0.0)
    except ValueError:
        return ok()
    except Exception as err:  # noqa: BLE001 - the student's code may raise anything
        return fail(f"raised {type(err).__name__} for a negative density; expected ValueError")
    return fail(
        "optimal_discriminator(p_data, p_model with a value of −0.1, ...) returned a result: "
        "densities cannot be negative; raise a ValueError that says so"
    )


EXERCISES = (
    Exercise(
        "06.1",
        "one-sided label smoothing: D's loss from logits",
        "smoothed_discriminator_loss",
        (
            Case("8 real and 5 fake logits, alpha = 0.9", 2, _value_case(8, 5, 0.9, seed=600)),
            Case(
                "alpha = 0.75 (the official ImageNet code), and the default alpha = 0.9",
                1,
                lambda s: first_failure(
                    [_value_case(7, 7, 0.75, seed=602)(s), _value_case(6, 9, None, seed=604)(s)]
                ),
            ),
            Case("huge logits: finite and right (numerical stability)", 1, _stability_case),
            Case("the gradient with respect to the real logits", 1, _gradient_case),
        ),
    ),
    Exercise(
        "06.2",
        "the optimal discriminator with smoothed targets",
        "optimal_discriminator",
        (
            Case("no smoothing, alpha = 1, beta = 0", 1, _d_star_case(1.0, 0.0)),
            Case("one-sided, alpha = 0.9, beta = 0", 1, _d_star_case(0.9, 0.0)),
            Case("two-sided, alpha = 0.9, beta = 0.1", 2, _d_star_case(0.9, 0.1)),
            Case("a negative density raises ValueError", 1, _negative_density_case),
        ),
    ),
)
