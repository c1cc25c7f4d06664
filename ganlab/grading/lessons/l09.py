"""Graded cases of lesson 09 (``solutions/09_semi_supervised_*``): the K+1 classifier, §5.

09.1 and 09.2 are a derivation.  Adding the same f(x) to all K+1 logits changes no
probability, so the "generated" logit l_{K+1} can be subtracted from every logit: the student
returns the K logits l_k − l_{K+1} (09.1), then D(x) = 1 − p(K+1 | x) from K logits with the
(K+1)-th fixed at 0, which is Z(x) / (Z(x) + 1) = sigmoid(log Z(x)), Z = Σ_k exp l_k (09.2).
The notebook never prints either result, and neither do the case names nor the hints (they
name the mistake, not the answer).  09.3 is L_unsupervised = −½ mean_i log D(x_i)
− ½ mean_j log(1 − D(G(z_j))) from K logits, 09.4 the class-balanced labelled subset (graded
on its properties, not on one particular shuffle), 09.5 the paired experiment "supervised"
against "K+1" (:mod:`ganlab.grading.experiment`).
The references are computed here, independently of :mod:`ganlab.semisupervised`: in exact
arithmetic with Python's ``math`` (log Z by a max-shifted sum), the gradients in closed form.
The large-logit cases break the naive Z / (Z + 1) and log(p_k / p_{K+1}), whose exp overflows
or underflows.  Every case is a :class:`~ganlab.grading.probes.Probe`: the student's function
runs in the worker, the references and the verdict are computed by the grader.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from ganlab.grading.compare import as_tensor
from ganlab.grading.core import Case, CaseFailed, Exercise, Outcome, fail, ok
from ganlab.grading.experiment import experiment_exercise
from ganlab.grading.mistakes import answer_case, compare_with_mistakes
from ganlab.grading.probes import Probe
from ganlab.grading.questions import Question

ARMS = ("supervised", "K+1")  # 09.5: 100 labels alone, then with the unlabelled digits and G

Loss = Callable[[Tensor, Tensor], Tensor]  # (logits_unlabeled, logits_fake) -> a scalar


def _logits(n: int, k: int, seed: int, scale: float = 2.0, shift: float = 0.0) -> Tensor:
    """(n, k) float32 logits, the same on every run."""
    return shift + scale * torch.randn(n, k, generator=torch.Generator().manual_seed(seed))


def _lse(row: list[float]) -> float:
    """log Σ_k exp(l_k) with the maximum factored out, so that no exp overflows."""
    top = max(row)
    return top + math.log(sum(math.exp(v - top) for v in row))


def _log1p_exp(t: float) -> float:
    """softplus(t) = log(1 + e^t), without overflow."""
    return t + math.log1p(math.exp(-t)) if t > 0 else math.log1p(math.exp(t))


def _sigmoid(t: float) -> float:
    return 1 / (1 + math.exp(-t)) if t >= 0 else math.exp(t) / (1 + math.exp(t))


def _loss_reference(unl: Tensor, fake: Tensor) -> Tensor:
    """−log D = −LSE + softplus(LSE);  −log(1 − D) = softplus(LSE); halves of the means."""
    real = [_log1p_exp(_lse(r)) - _lse(r) for r in unl.double().tolist()]
    gen = [_log1p_exp(_lse(r)) for r in fake.double().tolist()]
    return torch.tensor(
        0.5 * sum(real) / len(real) + 0.5 * sum(gen) / len(gen), dtype=torch.float64
    )


def _softmax_rows(logits: Tensor) -> list[list[float]]:
    rows = []
    for row in logits.double().tolist():
        lse = _lse(row)
        rows.append([math.exp(v - lse) for v in row])
    return rows


def _loss_gradients(unl: Tensor, fake: Tensor) -> Tensor:
    """Closed forms, stacked (N + M, K): ∂L/∂l_unl = −(1 − D) softmax / 2N and
    ∂L/∂l_fake = D softmax / 2M, D = sigmoid(LSE) of that row."""
    rows = []
    for row, p in zip(unl.double().tolist(), _softmax_rows(unl), strict=True):
        d = _sigmoid(_lse(row))
        rows.append([-(1 - d) * q / (2 * len(unl)) for q in p])
    for row, p in zip(fake.double().tolist(), _softmax_rows(fake), strict=True):
        d = _sigmoid(_lse(row))
        rows.append([d * q / (2 * len(fake)) for q in p])
    return torch.tensor(rows, dtype=torch.float64)


def _probability_reference(logits: Tensor) -> Tensor:
    return torch.tensor([_sigmoid(_lse(r)) for r in logits.double().tolist()], dtype=torch.float64)


# ---------------------------------------------------- 09.1: one logit too many


def _fixed_reference(logits: Tensor) -> Tensor:
    """Row by row in float64: each of the first K logits minus the (K+1)-th."""
    rows = [[v - row[-1] for v in row[:-1]] for row in logits.double().tolist()]
    return torch.tensor(rows, dtype=torch.float64)


def _fixed_mistakes(logits: Tensor) -> dict[str, Tensor]:
    x = logits.double()
    k = x.shape[1] - 1
    return {
        "you dropped the generated class's logit and left the others as they were: with a 0 "
        "in its place the K+1 probabilities change, unless that logit was 0 already": x[:, :k],
        'the sign is flipped: a class more likely than "generated" must keep a positive '
        "logit once the generated class's logit is 0": x[:, k:] - x[:, :k],
        "you shifted the logits by their largest one: the probabilities stay the same, but the "
        "logit that must end at 0 is the generated class's": x[:, :k] - x.amax(1, keepdim=True),
        "you shifted the logits by their mean: the probabilities stay the same, but the logit "
        "that must end at 0 is the generated class's": x[:, :k] - x.mean(1, keepdim=True),
        "those are log-probabilities (log-softmax): the probabilities stay the same, but the "
        "generated class's logit is not 0 then": torch.log_softmax(x, dim=1)[:, :k],
        "you treated the first logit as the generated class's: it is the last one, number K+1": x[
            :, 1:
        ]
        - x[:, :1],
    }


def _fixed_case(*inputs: Tensor) -> Callable[[Callable[[Tensor], Tensor]], Outcome]:
    return answer_case(
        lambda logits: f"drop_generated_logit(logits of shape {tuple(logits.shape)})",
        [(logits,) for logits in inputs],
        _fixed_reference,
        _fixed_mistakes,
    )


def _far_apart() -> Tensor:
    """float64 rows whose logits lie hundreds apart: a probability of e^{-800} is 0 in
    floating point, so a detour through the probabilities (and their ratio) breaks."""
    rows = [
        [1000.0, 999.0, -3.0, 200.0],
        [-1000.0, -1001.0, -999.0, 0.0],
        [800.0, -800.0, 0.0, -800.5],
        [3.0, 1.0, 2.0, 1000.0],
    ]
    return torch.tensor(rows, dtype=torch.float64)


# --------------------------------------------------------------------- the known mistakes


def _lse64(x: Tensor) -> Tensor:
    return torch.logsumexp(x.double(), dim=1)


def _loss_mistakes(unl: Tensor, fake: Tensor) -> dict[str, Tensor]:
    sp = torch.nn.functional.softplus
    lu, lf = _lse64(unl), _lse64(fake)
    return {
        "you left out the ½: the loss is −½ E log D(x) − ½ E log(1 − D(G(z)))": (
            -lu.mean() + sp(lu).mean() + sp(lf).mean()
        ),
        "the roles are swapped: the unlabelled (real) examples are the ones whose D is pushed "
        "towards 1, the generated ones towards 0": (
            0.5 * (sp(lu).mean() - lf.mean() + sp(lf).mean())
        ),
        "the sign is flipped: D minimises −log D(x) − log(1 − D(G(z))), a positive number": -(
            -0.5 * lu.mean() + 0.5 * sp(lu).mean() + 0.5 * sp(lf).mean()
        ),
        "you used the largest logit alone: D(x) depends on every class's logit (see 09.2)": (
            -0.5 * unl.double().amax(1).mean()
            + 0.5 * sp(unl.double().amax(1)).mean()
            + 0.5 * sp(fake.double().amax(1)).mean()
        ),
    }


def _probability_mistakes(logits: Tensor) -> dict[str, Tensor]:
    x = logits.double()
    return {
        "that is 1 − D(x), the probability of the generated class; D(x) is the probability "
        "that x is real, of any of the K classes": (1 - torch.sigmoid(_lse64(x))),
        "you used the largest logit alone: every real class adds to the probability that x is "
        "real, not only the most likely one": (torch.sigmoid(x.amax(1))),
        "you added the logits: the probabilities of the K real classes add up, their logits "
        "do not": (torch.sigmoid(x.sum(1))),
        "that is the largest softmax probability over the K classes, which leaves out the "
        "generated class: with it, the K+1 probabilities sum to 1": (
            torch.softmax(x, dim=1).amax(1)
        ),
    }


# ------------------------------------------------------------------------------- the cases


def _loss_value_case(*batches: tuple[Tensor, Tensor]) -> Callable[[Loss], Outcome]:
    return answer_case(
        lambda unl, fake: (
            f"unsupervised_loss(logits of shape {tuple(unl.shape)}, {tuple(fake.shape)})"
        ),
        batches,
        _loss_reference,
        _loss_mistakes,
    )


def _loss_gradient_case(unl: Tensor, fake: Tensor) -> Probe:
    what = "d loss / d logits (unlabelled rows, then fake rows)"

    def run(student: Loss) -> dict:  # in the worker: the loss and its gradients
        a, b = unl.clone().requires_grad_(), fake.clone().requires_grad_()
        loss = student(a, b)
        if type(loss) is not Tensor or not loss.requires_grad:
            return {"has_grad": False}
        grads = torch.autograd.grad(loss.sum(), (a, b), allow_unused=True)
        return {"has_grad": True, "grads": list(grads)}

    def judge(data: dict) -> Outcome:
        if not data["has_grad"]:
            return fail(f"{what}: the loss has no gradient; compute it with torch operations")
        grads = data["grads"]
        if len(grads) != 2 or any(g is None for g in grads):
            return fail(f"{what}: the loss does not depend on both batches of logits")
        got = torch.cat([as_tensor(g, what).detach() for g in grads])
        # float32 answers through 1 / (Z + 1) lose a few digits: a looser tolerance
        return compare_with_mistakes(
            got, _loss_gradients(unl, fake), dict, what=what, rtol=1e-4, atol=1e-5
        )

    return Probe(run, judge)


def _probability_case(*inputs: Tensor) -> Callable[[Callable[[Tensor], Tensor]], Outcome]:
    return answer_case(
        lambda logits: f"discriminator_probability(logits of shape {tuple(logits.shape)})",
        [(logits,) for logits in inputs],
        _probability_reference,
        _probability_mistakes,
    )


def _huge() -> Tensor:
    """Rows of logits around ±1000 and mixed: exp overflows float32 and float64 alike."""
    rows = [[1000.0, 999.0, -3.0], [-1000.0, -1001.0, -999.0], [800.0, -800.0, 0.0]]
    return torch.tensor(rows)


# ---------------------------------------------------------------- 09.3: the labelled subset

Subset = Callable[[Tensor, int, int], Tensor]  # (labels, per_class, seed) -> indices


def _labels(seed: int, counts: tuple[int, ...]) -> Tensor:
    """Labels with ``counts[c]`` examples of class c, in a shuffled order."""
    labels = torch.cat([torch.full((n,), c) for c, n in enumerate(counts)])
    return labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))]


def _indices(got: object, labels: Tensor, per_class: int, seed: int) -> Tensor:
    """The student's answer checked: a 1-D int64 tensor of indices."""
    what = f"labeled_subset(labels of {len(labels)}, per_class={per_class}, seed={seed})"
    if type(got) is not Tensor or got.dtype != torch.int64 or got.ndim != 1:
        raise CaseFailed(f"{what}: expected a 1-D int64 tensor of indices, got {got!r:.80}")
    return got


_BALANCED = _labels(900, (30, 25, 40, 33))


def _balanced_judge(answer: object) -> Outcome:
    labels = _BALANCED
    got = _indices(answer, labels, 7, 0)
    if len(got) != 4 * 7:
        return fail(f"expected 4 classes × 7 = 28 indices, got {len(got)}")
    if got.min() < 0 or got.max() >= len(labels):
        return fail(f"indices must lie in 0..{len(labels) - 1}, got {got.min()}..{got.max()}")
    if len(set(got.tolist())) != len(got):
        return fail("some indices appear twice: each labelled example must be chosen once")
    counts = torch.bincount(labels[got], minlength=4).tolist()
    if counts != [7] * 4:
        return fail(f"expected 7 examples of every class, got counts {counts} for classes 0..3")
    return ok()


_SEEDED = _labels(901, (50, 50, 50))
_SEEDS = (3, 3, 4, 5, 6)  # the first seed twice: the same subset both times


def _seed_judge(answers: list) -> Outcome:
    first, again, *others = [
        _indices(a, _SEEDED, 5, s) for a, s in zip(answers, _SEEDS, strict=True)
    ]
    if not torch.equal(first, again):
        return fail("the same seed must give the same subset (seed your own random generator)")
    if all(set(o.tolist()) == set(first.tolist()) for o in others):
        return fail(
            "seeds 3, 4, 5 and 6 all give the same subset: shuffle the indices with the seed "
            "before taking the first per_class examples of each class"
        )
    return ok()


_TOO_FEW = _labels(902, (10, 3, 10))


def _too_few_run(student: Subset) -> dict:
    try:
        got = student(_TOO_FEW.clone(), 5, 0)
    except ValueError:
        return {"raised": "ValueError"}
    except Exception as err:  # noqa: BLE001 — any other error is the student's to fix
        return {"raised": f"{type(err).__name__} ({err})"[:300]}
    return {"returned": repr(got)[:60]}


def _too_few_judge(data: dict) -> Outcome:
    if data.get("raised") == "ValueError":
        return ok()
    if "raised" in data:
        return fail(f"raised {data['raised']}; expected a ValueError")
    return fail(
        f"class 1 has 3 examples but per_class=5: expected a ValueError, got {data['returned']}"
    )


EXERCISES = (
    Exercise(
        "09.1",
        "one logit too many: the generated class's logit at 0",
        "drop_generated_logit",
        (
            Case(
                "random logits of K + 1 = 11 and of K + 1 = 5 classes",
                1,
                _fixed_case(_logits(6, 11, 930), _logits(4, 5, 931, scale=3.0, shift=1.0)),
            ),
            Case("logits hundreds apart (float64): finite and exact", 1, _fixed_case(_far_apart())),
        ),
    ),
    Exercise(
        "09.2",
        "the probability that x is real, from the K logits",
        "discriminator_probability",
        (
            Case("random logits (8, 10)", 1, _probability_case(_logits(8, 10, 920, scale=3.0))),
            Case(
                "logits near ±1000: 1, 0, 1, with no nan",
                1,
                _probability_case(_huge(), _huge() * -1),
            ),
        ),
    ),
    Exercise(
        "09.3",
        "the unsupervised K+1 loss from K logits",
        "unsupervised_loss",
        (
            Case(
                "random logits, N = 6 unlabelled and M = 9 fake: the value",
                1,
                _loss_value_case((_logits(6, 10, 910), _logits(9, 10, 911, shift=-1.0))),
            ),
            Case(
                "the gradients with respect to both batches of logits: the closed form",
                0.5,
                _loss_gradient_case(_logits(5, 4, 912), _logits(7, 4, 913, scale=3.0)),
            ),
            Case(
                "logits near ±1000 (exp overflows): still finite and right",
                1,
                _loss_value_case((_huge(), _huge().flip(0)), (_huge() * -1, _huge())),
            ),
        ),
    ),
    Exercise(
        "09.4",
        "the class-balanced labelled subset",
        "labeled_subset",
        (
            Case(
                "per_class examples of every class, no repeats",
                0.5,
                Probe(lambda student: student(_BALANCED.clone(), 7, 0), _balanced_judge),
            ),
            Case(
                "the seed decides the subset, reproducibly",
                0.5,
                Probe(
                    lambda student: [student(_SEEDED.clone(), 5, s) for s in _SEEDS],
                    _seed_judge,
                ),
            ),
            Case(
                "too few examples of a class: ValueError",
                0.5,
                Probe(_too_few_run, _too_few_judge),
            ),
        ),
    ),
    experiment_exercise(
        "09.5",
        "experiment: 100 labels alone against K+1 with the unlabelled digits",
        ARMS,
        (1, 1),
    ),
)

QUESTIONS = (
    Question("09.Q1", "why the generated class's logit can be fixed at 0"),
    Question("09.Q2", "what your experiment shows, and how sure it is"),
)
