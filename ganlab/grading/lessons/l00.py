"""Graded cases of lesson 00 (``solutions/00_gan_basics.ipynb``): the vanilla GAN losses.

Every case is a :class:`~ganlab.grading.probes.Probe`: the student's function runs in the
sandboxed worker, which returns only its values and gradients; the references and the
verdict are computed by the grader.

Every case computes its reference here, independently of :mod:`ganlab.losses`: PyTorch's
binary cross-entropy from logits for the losses, closed forms for the gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.grading.compare import as_floats, compare_tensor, first_failure, show
from ganlab.grading.core import Case, Exercise, Outcome, fail
from ganlab.grading.probes import Probe

# D is confident at ±1000: σ(-1000) underflows to 0, so log(σ(l)) = -inf unless written stably.
CONFIDENT_REAL = torch.tensor([1000.0, -1000.0, 40.0, -40.0])
CONFIDENT_FAKE = torch.tensor([-1000.0, 1000.0, -40.0, 40.0])


def _logits(n: int, seed: int, scale: float = 3.0) -> Tensor:
    """``n`` random logits, shape (n,), the same on every run."""
    return scale * torch.randn(n, generator=torch.Generator().manual_seed(seed))


def _bce(logits: Tensor, target: float) -> Tensor:
    """-mean[t log σ(l) + (1 - t) log(1 - σ(l))], stably from logits."""
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def _discriminator_reference(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    """-E log σ(l_real) - E log(1 - σ(l_fake))."""
    return _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)


def _minimax_reference(fake_logits: Tensor) -> Tensor:
    """E log(1 - σ(l_fake))."""
    return -_bce(fake_logits, 0.0)


def _nonsaturating_reference(fake_logits: Tensor) -> Tensor:
    """-E log σ(l_fake)."""
    return _bce(fake_logits, 1.0)


def _loss_case(reference: Callable[..., Tensor], names: Sequence[str], *inputs: Tensor) -> Probe:
    """A case that calls the student's loss on ``inputs`` and compares value and gradients.

    The probe (in the worker) returns the loss, whether it has a gradient, and the gradients
    of each input; the judge (in the grader) computes the reference and compares.
    """

    def run(student: Callable[..., Tensor]) -> dict:
        args = [x.clone().requires_grad_() for x in inputs]
        got = student(*args)
        is_tensor = type(got) is Tensor
        has_grad = is_tensor and got.grad_fn is not None
        grads = None
        if has_grad and got.ndim == 0:
            got.backward()
            grads = [a.grad for a in args]
        return {"value": got.detach() if is_tensor else got, "has_grad": has_grad, "grads": grads}

    def judge(data: dict) -> Outcome:
        references = [x.double().requires_grad_() for x in inputs]
        expected = reference(*references)
        given = ", ".join(f"{name}={show(x)}" for name, x in zip(names, inputs, strict=True))
        value = compare_tensor(data["value"], expected, what=f"loss for {given}")
        if not value.passed:
            return value
        if not data["has_grad"]:
            return fail("the loss has no gradient: compute it with torch operations on the logits")
        expected.backward()
        outcomes = []
        for name, grad, ref in zip(names, data["grads"], references, strict=True):
            if grad is None:
                return fail(f"the loss does not depend on {name} (its gradient is None)")
            outcomes.append(compare_tensor(grad, ref.grad, what=f"d loss / d {name}"))
        return first_failure(outcomes)

    return Probe(run, judge)


def _gradients_case(logits: Sequence[float]) -> Probe:
    """A case for ``saturation_gradients`` against the closed forms at the given logits.

    d/dl log(1 - σ(l)) = -σ(l)  (minimax)   and   d/dl -log σ(l) = σ(l) - 1  (non-saturating).
    """

    def run(student: Callable[[float], object]) -> list:
        return [student(logit) for logit in logits]

    def judge(answers: list) -> Outcome:
        outcomes = []
        for logit, answer in zip(logits, answers, strict=True):
            what = f"saturation_gradients({logit:g}) = (minimax, non-saturating)"
            got = torch.tensor(as_floats(answer, 2, what), dtype=torch.float64)
            sigma = torch.sigmoid(torch.tensor(logit, dtype=torch.float64))
            outcomes.append(compare_tensor(got, torch.stack([-sigma, sigma - 1]), what=what))
        return first_failure(outcomes)

    return Probe(run, judge)


_D = ("real_logits", "fake_logits")
_STABILITY = "confident logits like ±1000 stay finite (numerical stability)"


def _generator_loss_exercise(
    exercise_id: str, title: str, target: str, reference: Callable[[Tensor], Tensor], seed: int
) -> Exercise:
    """A generator loss: random logits, then confident ones (both with gradients)."""
    random_logits = _loss_case(reference, ("fake_logits",), _logits(10, seed))
    confident_logits = _loss_case(reference, ("fake_logits",), CONFIDENT_FAKE)
    cases = (
        Case("random logits: value and gradient", 1, random_logits),
        Case(_STABILITY, 1, confident_logits),
    )
    return Exercise(exercise_id, title, target, cases)


EXERCISES = (
    Exercise(
        "00.1",
        "discriminator loss",
        "discriminator_loss",
        (
            Case(
                "random logits: value and gradients",
                1,
                _loss_case(_discriminator_reference, _D, _logits(8, 1), _logits(8, 2)),
            ),
            Case(
                "real and fake batches of different sizes (5 and 12)",
                1,
                _loss_case(_discriminator_reference, _D, _logits(5, 3), _logits(12, 4)),
            ),
            Case(
                _STABILITY,
                1,
                _loss_case(_discriminator_reference, _D, CONFIDENT_REAL, CONFIDENT_FAKE),
            ),
        ),
    ),
    _generator_loss_exercise(
        "00.2", "minimax generator loss", "generator_loss_minimax", _minimax_reference, 5
    ),
    _generator_loss_exercise(
        "00.3",
        "non-saturating generator loss",
        "generator_loss_nonsaturating",
        _nonsaturating_reference,
        6,
    ),
    Exercise(
        "00.4",
        "saturation: the gradients of both generator losses",
        "saturation_gradients",
        (
            Case("an undecided D, l = 0: both gradients are -1/2", 1, _gradients_case([0.0])),
            Case(
                "D confidently rejects the fake, l = -5, -20, -100",
                1,
                _gradients_case([-5.0, -20.0, -100.0]),
            ),
            Case("D is fooled, l = 5, 20", 1, _gradients_case([5.0, 20.0])),
        ),
    ),
)
