"""Graded cases of lesson 00 (``solutions/00_gan_basics_*``): the vanilla GAN losses.

Every case is a :class:`~ganlab.grading.probes.Probe`: the student's function runs in the
sandboxed worker, which returns only its values and gradients; the references and the
verdict are computed by the grader.

Every case computes its reference here, independently of :mod:`ganlab.losses`: PyTorch's
binary cross-entropy from logits for the losses, closed forms for the gradients.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.grading.compare import as_array, as_floats, compare_tensor, first_failure, show
from ganlab.grading.core import Case, Exercise, Outcome, fail
from ganlab.grading.mistakes import compare_runs
from ganlab.grading.probes import Probe
from ganlab.grading.questions import Question

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
        Case("random logits: value and gradient", 0.5, random_logits),
        Case(_STABILITY, 0.5, confident_logits),
    )
    return Exercise(exercise_id, title, target, cases)


# ------------------------------------------------------------- 00.5: one training step

LATENT, HIDDEN = 4, 16
BETAS = (0.5, 0.999)  # Adam's, as the course's trainer uses (ganlab.training.BETAS)
TrainStep = Callable[..., object]  # (G, D, opt_g, opt_d, real, z_d, z_g) -> (d_loss, g_loss)


def _linear(n_in: int, n_out: int, generator: torch.Generator) -> torch.nn.Linear:
    layer = torch.nn.Linear(n_in, n_out)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(n_out, n_in, generator=generator) / n_in**0.5)
        layer.bias.copy_(0.1 * torch.randn(n_out, generator=generator))
    return layer


def _players(seed: int) -> tuple[torch.nn.Module, torch.nn.Module]:
    """A small G (z of 4 numbers -> a 2-D point) and D (a 2-D point -> one logit), with
    weights drawn from ``seed`` (the same in every process, whatever the global RNG)."""
    generator = torch.Generator().manual_seed(seed)
    G = torch.nn.Sequential(
        _linear(LATENT, HIDDEN, generator), torch.nn.ReLU(), _linear(HIDDEN, 2, generator)
    )
    D = torch.nn.Sequential(
        _linear(2, HIDDEN, generator),
        torch.nn.LeakyReLU(0.2),
        _linear(HIDDEN, 1, generator),
        torch.nn.Flatten(0),  # (N, 1) -> (N,) logits
    )
    return G, D


def _batches(seed: int, steps: int, n: int) -> list[tuple[Tensor, Tensor, Tensor]]:
    """(real (n, 2), z_d (n, 4), z_g (n, 4)) for each step."""
    generator = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(steps):
        real = 2.0 + 0.3 * torch.randn(n, 2, generator=generator)
        out.append(
            (
                real,
                torch.randn(n, LATENT, generator=generator),
                torch.randn(n, LATENT, generator=generator),
            )
        )
    return out


def _parameters(G: torch.nn.Module, D: torch.nn.Module) -> Tensor:
    """Every parameter of G, then of D, flattened: (114 + 65,)."""
    return torch.cat([p.detach().reshape(-1) for p in (*G.parameters(), *D.parameters())])


def _reference_step(G, D, opt_g, opt_d, real, z_d, z_g, mistake: str = "") -> tuple[float, float]:
    """One step as the course's trainer takes it (D, then G with D frozen), or with one
    known ``mistake`` (a key of :data:`STEP_MISTAKES`)."""
    zero_each = mistake not in ("no zero_grad", "no detach")
    if mistake == "no detach":  # both zeroed once, up front: D's backward then reaches G
        opt_d.zero_grad()
        opt_g.zero_grad()

    def discriminator_step(z: Tensor) -> Tensor:
        fake = G(z)
        fake = fake if mistake == "no detach" else fake.detach()
        d_loss = _bce(D(real), 1.0) + _bce(D(fake), 0.0)
        if zero_each:
            opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        return d_loss

    def generator_step(z: Tensor) -> Tensor:
        frozen = mistake not in ("no zero_grad", "G's step moved D")
        for p in D.parameters():
            p.requires_grad_(not frozen)
        logits = D(G(z))
        g_loss = -_bce(logits, 0.0) if mistake == "saturating" else _bce(logits, 1.0)
        if zero_each:
            opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        if mistake == "G's step moved D":
            opt_d.step()
        for p in D.parameters():
            p.requires_grad_(True)
        return g_loss

    if mistake == "G first":
        g_loss = generator_step(z_g)
        return discriminator_step(z_d).item(), g_loss.item()
    d_loss = discriminator_step(z_g if mistake == "swapped noise" else z_d)
    g_loss = generator_step(z_d if mistake in ("swapped noise", "z_d for G") else z_g)
    return d_loss.item(), g_loss.item()


STEP_MISTAKES = {
    "saturating": "G minimised the saturating loss mean log(1 − D(G(z))): the course's G "
    "minimises the non-saturating −mean log D(G(z)) (exercise 00.3)",
    "no zero_grad": "gradients piled up from step to step: zero each optimizer's gradients "
    "before its backward pass (and keep D out of G's backward pass)",
    "no detach": "D's loss reached G's gradients: detach the fake batch in D's step (and zero "
    "G's gradients right before G's own backward pass)",
    "G's step moved D": "D moved during G's step: only G's optimizer steps there (freeze D, "
    "or at least do not call D's optimizer)",
    "G first": "G moved first: the step is D's update, then G's against the updated D",
    "swapped noise": "D's step used z_g and G's step z_d: D trains on G(z_d), G on G(z_g)",
    "z_d for G": "G's step reused z_d: it draws on its own noise, z_g",
    "fresh Adam": "Adam's state must carry over from step to step: use the optimizers passed "
    "in, do not make new ones",
}


def _play(
    step: TrainStep, seed: int, steps: int, n: int, lrs: tuple[float, float], fresh: bool = False
) -> dict:
    """Run ``step`` ``steps`` times from the players of ``seed``: the losses of every step and
    the parameters after each, as data."""
    G, D = _players(seed)
    make = lambda: (  # noqa: E731
        torch.optim.Adam(G.parameters(), lrs[0], betas=BETAS),
        torch.optim.Adam(D.parameters(), lrs[1], betas=BETAS),
    )
    opt_g, opt_d = make()
    losses, parameters = [], []
    for real, z_d, z_g in _batches(seed + 1, steps, n):
        if fresh:
            opt_g, opt_d = make()
        losses.append(list(step(G, D, opt_g, opt_d, real.clone(), z_d.clone(), z_g.clone())))
        parameters.append(_parameters(G, D))
    return {"losses": losses, "parameters": parameters}


def prepare() -> None:
    """One Adam step on a throw-away tensor: PyTorch's first optimizer step imports its
    compiler (seconds), which the worker pays before the notebook runs (see
    :func:`ganlab.grading.worker.prepare`), not inside 00.5's time limit."""
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.Adam([parameter], 1e-3, betas=BETAS)
    parameter.sum().backward()
    optimizer.step()


def _rows(played: dict) -> Tensor:
    """(steps, parameters + 2): after each step, every parameter, then the two losses."""
    parameters = torch.stack(played["parameters"]).double()
    return torch.cat([parameters, torch.tensor(played["losses"], dtype=torch.float64)], dim=1)


def _train_step_case(seed: int, steps: int, n: int, lrs: tuple[float, float]) -> Probe:
    calls = f"{steps} call{'s' if steps > 1 else ''} of train_step"
    what = f"{calls} (batch {n}, lr_G {lrs[0]:g}, lr_D {lrs[1]:g})"

    def run(student: TrainStep) -> dict:
        try:
            return _play(student, seed, steps, n, lrs)
        except NotImplementedError:  # a RuntimeError too: the exercise is not attempted yet
            raise
        except RuntimeError as err:  # autograd's complaints name the mistake: judged there
            return {"raised": f"RuntimeError: {err}"[:500]}

    def judge(data: dict) -> Outcome:
        if "raised" in data:
            message = f"{what} raised {data['raised']}"
            if "does not require grad" in data["raised"]:
                message += (
                    "\na loss had no gradient: is G's fake batch detached in G's own step, or "
                    "was D left frozen (requires_grad False) after G's step?"
                )
            return fail(message)
        reference = _rows(_play(_reference_step, seed, steps, n, lrs))
        width = reference.shape[1]

        def mistakes() -> dict[str, Tensor]:
            wrong = {}
            for mistake, hint in STEP_MISTAKES.items():
                fresh = mistake == "fresh Adam"
                step = _reference_step if fresh else partial(_reference_step, mistake=mistake)
                wrong[hint] = _rows(_play(step, seed, steps, n, lrs, fresh=fresh))
            return wrong

        parameters = as_array(torch.stack(list(data["parameters"])), (steps, width - 2), what)
        losses = as_array(data["losses"], (steps, 2), f"{what}: the returned (d_loss, g_loss)")
        return compare_runs(
            torch.cat([parameters, losses], dim=1),
            reference,
            mistakes,
            what=f"{what}: the parameters of G and D, then (d_loss, g_loss)",
            row=lambda index: f"after step {index + 1}",
        )

    return Probe(run, judge)


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
                0.5,
                _loss_case(_discriminator_reference, _D, _logits(5, 3), _logits(12, 4)),
            ),
            Case(
                _STABILITY,
                0.5,
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
            Case("an undecided D, l = 0: both gradients are -1/2", 0.5, _gradients_case([0.0])),
            Case(
                "D confidently rejects the fake, l = -5, -20, -100",
                1,
                _gradients_case([-5.0, -20.0, -100.0]),
            ),
            Case("D is fooled, l = 5, 20", 0.5, _gradients_case([5.0, 20.0])),
        ),
    ),
    Exercise(
        "00.5",
        "one GAN training step, written by you",
        "train_step",
        (
            Case(
                "one step from fixed weights: the new parameters of both players, the two losses",
                2,
                _train_step_case(50, 1, 16, (1e-3, 1e-3)),
            ),
            Case(
                "three steps on new batches: what carries over between steps and what must not",
                1,
                _train_step_case(52, 3, 16, (1e-3, 1e-3)),
            ),
            Case(
                "a batch of 7, and different learning rates for G and D",
                1,
                _train_step_case(54, 2, 7, (2e-3, 5e-4)),
            ),
        ),
    ),
)

QUESTIONS = (Question("00.Q1", "why the minimax generator saturates"),)
