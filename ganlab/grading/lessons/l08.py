"""Graded cases of lesson 08 (``solutions/08_inception_score_*``): the Inception score.

For probabilities p(y|x), (N, K), cut into ``splits`` consecutive groups of rows
[k·N // splits, (k+1)·N // splits), the score of a group is
exp( mean_x Σ_y p(y|x) (log p(y|x) − log p(y)) ) with p(y) the mean of p(y|x) over the group.
Every reference here is a naive Python loop in float64, independent of
:mod:`ganlab.metrics`.  When an answer fails and matches a known wrong version (the marginal
over all samples, torch.chunk's or NumPy's groups, the mean of the exponentials, the mean of
the logs), the message says which.  08.3 (fix a colleague's buggy score) is named neutrally:
no title or case name a student sees before trying says what the bug is; only the hint after
a wrong answer does.
Written question (no points, read by the instructor): 08.Q1, what the bug does.
Every case is a :class:`~ganlab.grading.probes.Probe`: the student's function runs in the
worker, the references and the verdict are computed by the grader.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from ganlab.grading.compare import as_tensor
from ganlab.grading.core import Case, CaseFailed, Exercise, Outcome, fail, ok
from ganlab.grading.mistakes import answer_case
from ganlab.grading.probes import Probe
from ganlab.grading.questions import Question

# --------------------------------------------------------------------------- the references


def _group_score(rows: list[list[float]]) -> float:
    """exp(mean_x KL(p(y|x) || p(y))) of one group, p(y) the group's mean; 0·log 0 = 0."""
    k = len(rows[0])
    marginal = [sum(row[y] for row in rows) / len(rows) for y in range(k)]
    kl = [sum(p[y] * math.log(p[y] / marginal[y]) for y in range(k) if p[y] > 0) for p in rows]
    return math.exp(sum(kl) / len(kl))


def _split_scores_reference(probs: Tensor, splits: int) -> Tensor:
    rows, n = probs.double().tolist(), len(probs)
    scores = [_group_score(rows[i * n // splits : (i + 1) * n // splits]) for i in range(splits)]
    return torch.tensor(scores, dtype=torch.float64)


def _one_split_reference(probs: Tensor) -> Tensor:
    return torch.tensor(_group_score(probs.double().tolist()), dtype=torch.float64)


# ----------------------------------------------------------------------- the known mistakes


def _kl_rows(p: Tensor, log_marginal: Tensor) -> Tensor:
    """Σ_y p (log p − log_marginal) per row, 0·log 0 = 0, for p (n, K) float64."""
    return torch.where(p > 0, p * (p.clamp_min(1e-300).log() - log_marginal), 0.0).sum(1)


def _score(p: Tensor) -> Tensor:
    return _kl_rows(p, p.mean(0).log()).mean().exp()


def _groups(p: Tensor, sizes: list[int]) -> list[Tensor]:
    return list(torch.split(p, sizes))


def _chunk_sizes(n: int, splits: int) -> list[int]:
    size = -(-n // splits)  # torch.chunk: groups of ceil(N / splits), maybe fewer of them
    return [min(size, n - s) for s in range(0, n, size)]


def _array_split_sizes(n: int, splits: int) -> list[int]:
    return [n // splits + (i < n % splits) for i in range(splits)]  # np.array_split


def _split_variants(p: Tensor, splits: int) -> dict[str, Tensor]:
    p = p.double()
    n = len(p)
    blocks = _groups(p, [(i + 1) * n // splits - i * n // splits for i in range(splits)])
    whole_log_marginal = p.mean(0).log()
    return {
        "p(y) must be estimated on each split (the mean of p(y|x) over that split's rows), "
        "not once over all N samples": torch.stack(
            [_kl_rows(b, whole_log_marginal).mean().exp() for b in blocks]
        ),
        "your groups are torch.chunk's (ceil(N / splits) rows each); the official code takes "
        "rows k·N // splits to (k+1)·N // splits": torch.stack(
            [_score(b) for b in _groups(p, _chunk_sizes(n, splits))]
        ),
        "your groups are np.array_split's (the larger groups first); the official code takes "
        "rows k·N // splits to (k+1)·N // splits": torch.stack(
            [_score(b) for b in _groups(p, _array_split_sizes(n, splits))]
        ),
        "you averaged exp(KL) over the samples; the score is the exponential of the mean KL, "
        "exp(mean_x KL)": torch.stack([_kl_rows(b, b.mean(0).log()).exp().mean() for b in blocks]),
        "you returned the mean KL: the score is its exponential": torch.stack(
            [_kl_rows(b, b.mean(0).log()).mean() for b in blocks]
        ),
        "that is KL(p(y) || p(y|x)): the score uses KL(p(y|x) || p(y)), weighted by p(y|x)": (
            torch.stack(
                [
                    (b.mean(0) * (b.mean(0).log() - b.clamp_min(1e-300).log())).sum(1).mean().exp()
                    for b in blocks
                ]
            )
        ),
        _MEAN_OF_LOGS: torch.stack([_mean_of_logs(b) for b in blocks]),
    }


_MEAN_OF_LOGS = (
    "you took the mean of the logs, mean_x log p(y|x) (the log of a geometric mean), for "
    "log p(y); the marginal is the arithmetic mean: log p(y) = log mean_x p(y|x)"
)


def _mean_of_logs(p: Tensor) -> Tensor:
    """The bug of exercise 08.3: log p(y) taken as mean_x log p(y|x)."""
    return _kl_rows(p, p.log().mean(0)).mean().exp()


def _one_split_variants(p: Tensor) -> dict[str, Tensor]:
    p = p.double()
    return {
        _MEAN_OF_LOGS: _mean_of_logs(p),
        "you averaged exp(KL) over the samples; the score is exp(mean_x KL)": (
            _kl_rows(p, p.mean(0).log()).exp().mean()
        ),
        "you returned the mean KL: the score is its exponential": (
            _kl_rows(p, p.mean(0).log()).mean()
        ),
    }


# ------------------------------------------------------------------------------ the inputs


def _probs(n: int, k: int, seed: int, sharpness: float = 2.0) -> Tensor:
    """(n, k) float64 probabilities: softmax of random logits, the same on every run."""
    generator = torch.Generator().manual_seed(seed)
    logits = sharpness * torch.randn(n, k, generator=generator, dtype=torch.float64)
    return logits.softmax(dim=1)


def _one_hot(n: int, k: int, seed: int) -> Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.eye(k, dtype=torch.float64)[torch.randint(k, (n,), generator=generator)]


# ------------------------------------------------------------------------------- the cases


def _split_case(*inputs: tuple[Tensor, int]) -> Callable[[Callable], Outcome]:
    return answer_case(
        lambda probs, splits: f"split_scores(probs of shape {tuple(probs.shape)}, splits={splits})",
        inputs,
        _split_scores_reference,
        _split_variants,
        rtol=1e-6,
    )


def _fixed_case(*inputs: Tensor) -> Callable[[Callable], Outcome]:
    return answer_case(
        lambda probs: f"fixed_score(probs of shape {tuple(probs.shape)})",
        [(probs,) for probs in inputs],
        _one_split_reference,
        _one_split_variants,
        rtol=1e-6,
    )


def _check_probabilities(p: object, k: int, what: str) -> Tensor:
    p = as_tensor(p, what).double()
    if p.ndim != 2 or p.shape[1] != k or len(p) < 1:
        raise CaseFailed(f"{what}: expected shape (N, {k}) with N >= 1, got {tuple(p.shape)}")
    if not torch.isfinite(p).all() or (p < 0).any():
        raise CaseFailed(f"{what}: probabilities must be finite and non-negative")
    worst = (p.sum(1) - 1).abs().max().item()
    if worst > 1e-6:
        raise CaseFailed(f"{what}: every row must sum to 1; one is off by {worst:.3g}")
    return p


def _diagnosis(p: Tensor) -> str:
    """What keeps ``p`` from the maximum: the entropies of p(y) and of p(y|x)."""
    k = p.shape[1]
    marginal = p.mean(0)
    h_y = -torch.where(marginal > 0, marginal * marginal.clamp_min(1e-300).log(), 0.0).sum()
    h_y_x = -torch.where(p > 0, p * p.clamp_min(1e-300).log(), 0.0).sum(1).mean()
    return (
        f"H(y) = {h_y:.4f} (the maximum, log K = {math.log(k):.4f}, needs every class equally "
        f"often) and E_x H(y|x) = {h_y_x:.4f} (0 needs one-hot rows)"
    )


def _bounds_case(which: int, ks: tuple[int, ...]) -> Probe:
    def judge(answers: list) -> Outcome:
        for k, answer in zip(ks, answers, strict=True):
            if not isinstance(answer, tuple) or len(answer) != 2:
                return fail(
                    f"bound_inputs({k}): expected a tuple (lowest, highest), got "
                    f"{type(answer).__name__}"
                )
            name = ("lowest", "highest")[which]
            p = _check_probabilities(answer[which], k, f"bound_inputs({k})[{which}] ({name})")
            got = _one_split_reference(p).item()
            target = 1.0 if which == 0 else float(k)
            if not math.isclose(got, target, rel_tol=1e-6):
                return fail(
                    f"bound_inputs({k}): the {name} input scores {got:.6g} (one split), "
                    f"expected {target:g}; {_diagnosis(p)}"
                )
        return ok(f"the {('lowest', 'highest')[which]} inputs score {'1' if which == 0 else 'K'}")

    return Probe(lambda student: [student(k) for k in ks], judge)


EXERCISES = (
    Exercise(
        "08.1",
        "the score of each split, from probabilities",
        "split_scores",
        (
            Case(
                "random probabilities, N = 40, K = 5, 4 splits of 10",
                2,
                _split_case((_probs(40, 5, 800), 4), (_probs(30, 3, 801, 4.0), 1)),
            ),
            Case(
                "N = 23 in 5 splits: rows k·N // splits to (k+1)·N // splits",
                1,
                _split_case((_probs(23, 4, 802), 5), (_probs(17, 6, 803), 3)),
            ),
            Case(
                "one-hot probabilities (0 · log 0 counts as 0), N = 60, K = 10, 3 splits",
                1,
                _split_case((_one_hot(60, 10, 804), 3)),
            ),
        ),
    ),
    Exercise(
        "08.2",
        "inputs that reach the bounds 1 and K",
        "bound_inputs",
        (
            Case("the lowest score, 1, for K = 2, 10, 37", 1, _bounds_case(0, (2, 10, 37))),
            Case("the highest score, K, for K = 2, 10, 37", 2, _bounds_case(1, (2, 10, 37))),
        ),
    ),
    Exercise(
        "08.3",
        "spot the bug: a corrected score",
        "fixed_score",
        (
            Case(
                "random probabilities, N = 50, K = 8 (one split)",
                2,
                _fixed_case(_probs(50, 8, 830), _probs(20, 3, 831, 0.5)),
            ),
            Case(
                "probabilities with exact zeros (one-hot rows)",
                1,
                _fixed_case(_one_hot(40, 6, 832), torch.eye(4, dtype=torch.float64).repeat(5, 1)),
            ),
        ),
    ),
)

QUESTIONS = (Question("08.Q1", "what the bug does"),)
