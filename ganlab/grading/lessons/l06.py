"""Graded cases of lesson 06 (``solutions/06_one_sided_label_smoothing_*``): §3.4.

06.1 is D's cost with the real targets smoothed to α and the fake targets left at 0,
computed from logits:  −mean_i [α log σ(r_i) + (1 − α) log(1 − σ(r_i))] − mean_j log(1 − σ(f_j)).
06.2 is a derivation: the student minimises the pointwise smoothed loss over D(x) and codes
the result, D*(x) = (α p_data + β p_model) / (p_data + p_model); the notebook never prints
it, and neither do the case names nor the hints (they name the mistake, not the answer).
06.3 is the paired experiment "no smoothing" against "one-sided 0.9" with a fast
discriminator (:mod:`ganlab.grading.experiment`).
The references are computed here, independently of :mod:`ganlab.tricks`: the loss by a loop
in float64 with the stable forms log σ(l) = −log(1 + e^{−l}) for l ≥ 0, l − log(1 + e^{l})
for l < 0; the gradient in closed form, (σ(r_i) − α) / N; D* as the root of the pointwise
loss's derivative, point by point.  Every case is a :class:`~ganlab.grading.probes.Probe`:
the student's function runs in the worker, the references and the verdict are computed by
the grader.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from ganlab.grading.compare import as_tensor
from ganlab.grading.core import Case, Exercise, Outcome, fail, ok
from ganlab.grading.experiment import experiment_exercise
from ganlab.grading.mistakes import compare_with_mistakes
from ganlab.grading.probes import Probe, combine
from ganlab.grading.questions import Question

ARMS = ("no smoothing", "one-sided 0.9")

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


def _value_case(n: int, m: int, alpha: float | None, seed: int, scale: float = 3.0) -> Probe:
    """The loss on random logits; ``alpha=None`` relies on the default, 0.9."""
    real, fake = _logits(n, seed, scale, 1.0), _logits(m, seed + 1, scale, -1.0)
    used = 0.9 if alpha is None else alpha
    shown = "" if alpha is None else f", alpha={alpha}"
    what = f"smoothed_discriminator_loss(real_logits ({n},), fake_logits ({m},){shown})"

    def run(student: SmoothedLoss) -> object:
        return student(real.clone(), fake.clone(), *(() if alpha is None else (alpha,)))

    def judge(answer: object) -> Outcome:
        return compare_with_mistakes(
            as_tensor(answer, what),
            _reference(real, fake, used),
            lambda: _mistakes(real, fake, used),
            what=what,
        )

    return Probe(run, judge)


_HUGE_REAL, _HUGE_FAKE = torch.tensor([150.0, -150.0, 80.0]), torch.tensor([-200.0, 120.0])


def _stability_judge(answer: object) -> Outcome:
    real, fake = _HUGE_REAL, _HUGE_FAKE
    what = "smoothed_discriminator_loss on logits of ±80 to ±200, alpha=0.9"
    got = as_tensor(answer, what)
    if not torch.isfinite(got).all():
        return fail(
            f"{what}: got {got.tolist()}; σ(l) rounds to exactly 0 or 1 in floating point, "
            "and log(0) = −inf. Compute from the logits: −log σ(l) = softplus(−l), "
            "−log(1 − σ(l)) = softplus(l)"
        )
    return compare_with_mistakes(
        got, _reference(real, fake, 0.9), lambda: _mistakes(real, fake, 0.9), what=what
    )


_STABILITY_PROBE = Probe(
    lambda student: student(_HUGE_REAL.clone(), _HUGE_FAKE.clone(), 0.9), _stability_judge
)
_GRAD_REAL, _GRAD_FAKE, _GRAD_ALPHA = _logits(6, 610, 2.0), _logits(4, 611, 2.0), 0.8
_GRAD_WHAT = "d loss / d real_logits for 6 real and 4 fake logits, alpha=0.8"


def _gradient_run(student: SmoothedLoss) -> dict:
    leaf = _GRAD_REAL.clone().requires_grad_()
    loss = student(leaf, _GRAD_FAKE.clone(), _GRAD_ALPHA)
    as_tensor(loss, _GRAD_WHAT)
    if not loss.requires_grad:
        return {"has_grad": False}
    (gradient,) = torch.autograd.grad(loss.sum(), leaf)
    return {"has_grad": True, "gradient": gradient}


def _gradient_judge(data: dict) -> Outcome:
    real, alpha, what = _GRAD_REAL, _GRAD_ALPHA, _GRAD_WHAT
    if not data["has_grad"]:
        return fail(f"{what}: the loss has no gradient; use torch operations on the logits")
    # d/dr_i of −mean[α log σ(r) + (1 − α) log σ(−r)] = (σ(r_i) − α) / N
    expected = torch.tensor(
        [(1 / (1 + math.exp(-r)) - alpha) / len(real) for r in real.double().tolist()],
        dtype=torch.float64,
    )
    return compare_with_mistakes(
        as_tensor(data["gradient"], what),
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


def _pointwise_minimiser(d: float, m: float, alpha: float, beta: float) -> float:
    """The D in (0, 1) where the derivative of the pointwise loss
    −d[α log D + (1 − α) log(1 − D)] − m[β log D + (1 − β) log(1 − D)]
    vanishes: that derivative, (d + m)·D − (αd + βm) over D(1 − D), is 0 where its
    numerator is; found here by bisection on the numerator (increasing in D), in float64."""
    numerator, total = alpha * d + beta * m, d + m
    if numerator <= 0 or numerator >= total:  # the loss falls all the way to D = 0 or 1
        return 0.0 if numerator <= 0 else 1.0
    low, high = 0.0, 1.0
    for _ in range(200):
        mid = (low + high) / 2
        if total * mid - numerator > 0:
            high = mid
        else:
            low = mid
    return (low + high) / 2


_SWAPPED = (
    "you swapped the roles of α and β: α is the target of the real examples, which come "
    "from p_data; β is that of the generated ones, from p_model"
)
_UNNORMALISED = (
    "your values scale with the densities (double both densities and your D* doubles; some "
    "exceed 1): the minimiser depends on the two densities only through their ratio. Did you "
    "drop a factor when you solved for D?"
)
_RESCALED = (
    "you rescaled the unsmoothed optimum (α·D + β or similar): that is not where the "
    "smoothed loss is smallest. Check a point where only the data has mass: there the "
    "loss is −p_data[α log D + (1 − α) log(1 − D)]; where is it smallest?"
)
_DROPPED = (
    "you dropped a term of the loss: with a soft target α a real example's loss keeps both "
    "α log D and (1 − α) log(1 − D), and a generated one's both β log D and (1 − β) log(1 − D)"
)
_FLIPPED = (
    "your D* is the probability of 'generated': D(x) is the probability that x is real, "
    "so where only the data has mass it should be near the real target"
)
_IGNORED = (
    "your D* does not depend on α and β: that is the optimum without smoothing; minimise "
    "the loss with the targets α and β"
)


def _d_star_mistakes(p_data: Tensor, p_model: Tensor, alpha: float, beta: float) -> dict:
    total = p_data + p_model
    return {
        _SWAPPED: (beta * p_data + alpha * p_model) / total,
        _UNNORMALISED: alpha * p_data + beta * p_model,
        _RESCALED: alpha * p_data / total + beta,
        _IGNORED: p_data / total,  # before _DROPPED: the same values when β = 1 − α
        _DROPPED: alpha * p_data / (alpha * p_data + (1 - beta) * p_model),
        _FLIPPED: ((1 - alpha) * p_data + (1 - beta) * p_model) / total,
    }


def _d_star_probe(alpha: float, beta: float) -> Probe:
    p_data, p_model = _densities()
    what = f"optimal_discriminator(p_data, p_model, alpha={alpha}, beta={beta}) on 9 points"

    def judge(answer: object) -> Outcome:
        expected = torch.tensor(
            [
                _pointwise_minimiser(d, m, alpha, beta)
                for d, m in zip(p_data.tolist(), p_model.tolist(), strict=True)
            ],
            dtype=torch.float64,
        )
        return compare_with_mistakes(
            as_tensor(answer, what),
            expected,
            lambda: _d_star_mistakes(p_data, p_model, alpha, beta),
            what=what,
        )

    return Probe(lambda student: student(p_data.clone(), p_model.clone(), alpha, beta), judge)


def _d_star_case(*settings: tuple[float, float]) -> Probe:
    """Every (alpha, beta) of ``settings`` on the same densities; the first failure counts."""
    if len(settings) == 1:
        return _d_star_probe(*settings[0])
    return combine(*(_d_star_probe(a, b) for a, b in settings))


def _negative_density_run(student: OptimalD) -> str:
    p_data, p_model = _densities()
    p_model[3] = -0.1
    try:
        student(p_data, p_model, 0.9, 0.0)
    except ValueError:
        return "ValueError"
    except Exception as err:  # noqa: BLE001 - the student's code may raise anything
        return type(err).__name__
    return "returned"


def _negative_density_judge(raised: object) -> Outcome:
    if raised == "ValueError":
        return ok()
    if raised != "returned":
        return fail(f"raised {raised} for a negative density; expected ValueError")
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
            Case(
                "8 real and 5 fake logits, alpha = 0.9; alpha = 0.75 (the official ImageNet "
                "code); the default alpha",
                1,
                combine(
                    _value_case(8, 5, 0.9, seed=600),
                    _value_case(7, 7, 0.75, seed=602),
                    _value_case(6, 9, None, seed=604),
                ),
            ),
            Case("huge logits: finite and right (numerical stability)", 1, _STABILITY_PROBE),
            Case(
                "the gradient with respect to the real logits",
                1,
                Probe(_gradient_run, _gradient_judge),
            ),
        ),
    ),
    Exercise(
        "06.2",
        "derivation: the optimal discriminator with smoothed targets",
        "optimal_discriminator",
        (
            Case("no smoothing, alpha = 1, beta = 0", 1, _d_star_case((1.0, 0.0))),
            Case("one-sided, alpha = 0.9, beta = 0", 1, _d_star_case((0.9, 0.0))),
            Case(
                "two-sided: alpha = 0.9, beta = 0.1; alpha = 0.75, beta = 0.2",
                1,
                _d_star_case((0.9, 0.1), (0.75, 0.2)),
            ),
            Case(
                "a negative density raises ValueError",
                1,
                Probe(_negative_density_run, _negative_density_judge),
            ),
        ),
    ),
    experiment_exercise(
        "06.3",
        "experiment: one-sided smoothing against none, with a fast discriminator",
        ARMS,
        (1, 2),
    ),
)

QUESTIONS = (
    Question("06.Q1", "your derivation of the optimal discriminator"),
    Question("06.Q2", "what your experiment shows, and how sure it is"),
)
