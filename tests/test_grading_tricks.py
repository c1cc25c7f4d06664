"""Tests of the graded cases of lessons 03 and 04 (feature matching, minibatch discrimination).

The correct answers come from :mod:`ganlab.tricks`, which the cases never call for their
references, so a pass here is a pass against an independent implementation; the experiments'
(03.3, 04.4) from :func:`ganlab.stats.paired_comparison` and its own t table.  Each known
mistake must fail the cases it breaks, and only those, with a hint that names it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from test_grading_experiment import correct_experiment as _experiment
from torch import Tensor

from ganlab.grading import get_exercise
from ganlab.grading.core import ExerciseResult, run_cases
from ganlab.grading.lessons import l03, l04
from ganlab.tricks import MinibatchDiscrimination, feature_matching_loss

ROOT = Path(__file__).resolve().parents[1]

# ----------------------------------------------------------------- correct answers (oracle)


def _layer(x: Tensor, t: Tensor) -> Tensor:
    """The bias-free layer of ganlab.tricks with T = ``t``, differentiable in both."""
    layer = MinibatchDiscrimination(*t.shape, bias=False).to(t.dtype)
    return torch.func.functional_call(layer, {"weight": t}, (x,))


def _features(m: Tensor) -> Tensor:
    """o for projected features m (N, B, C): the layer on x = m flattened, with T = I."""
    n, b, c = m.shape
    identity = torch.eye(b * c, dtype=m.dtype).reshape(b * c, b, c)  # M_i = x_i · T = m_i
    return _layer(m.reshape(n, b * c), identity)[:, b * c :]


CORRECT = {
    "03.1": feature_matching_loss,
    "03.2": partial(feature_matching_loss, reduction="l1"),
    "03.3": _experiment(l03.ARMS),
    "04.1": _features,
    "04.2": _features,
    "04.3": _layer,
    "04.4": _experiment(l04.ARMS),
}


def _features_in_float64(m: Tensor) -> Tensor:
    return _features(m.double())


FLOAT64 = {
    "03.1": lambda r, f: feature_matching_loss(r.double(), f.double()),
    "04.2": _features_in_float64,
    "04.3": lambda x, t: _layer(x.double(), t.double()),
}

# ------------------------------------------------------------------- known wrong answers


def _delta(r: Tensor, f: Tensor) -> Tensor:
    return r.mean(dim=0) - f.mean(dim=0)


def _o(
    m: Tensor,
    distance: Callable[[Tensor], Tensor] = lambda d: d.abs().sum(dim=3),
    sign: float = -1.0,
    self_term: bool = False,
    over: int = 1,
) -> Tensor:
    """o by broadcasting, with one wrong convention."""
    closeness = torch.exp(sign * distance(m[:, None] - m[None]))  # (N, N, B)
    if not self_term:
        closeness = closeness * (1 - torch.eye(len(m)))[:, :, None]
    return closeness.sum(dim=over)


def _loop_over_examples(m: Tensor) -> Tensor:
    """A loop over i, vectorised over j: correct, but not what 04.2 asks for."""
    return torch.stack(
        [torch.exp(-(m[i] - m).abs().sum(dim=2)).sum(dim=0) - 1 for i in range(len(m))]
    )


def _in_numpy(m: Tensor) -> Tensor:
    """Correct values from NumPy: no gradient reaches m."""
    a = m.detach().numpy()
    closeness = np.exp(-np.abs(a[:, None] - a[None]).sum(axis=3))  # (N, N, B)
    return torch.from_numpy(closeness.sum(axis=1) - 1)


def _scrambled_layer(x: Tensor, t: Tensor) -> Tensor:
    a, b, c = t.shape
    m = (x @ t.reshape(a, b * c)).reshape(len(x), c, b).transpose(1, 2)
    return torch.cat([x, _o(m)], dim=1)


# the t table of exercise 03.3's notebook (3 decimals): t_{0.975, df} for df = 1..9
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
_SIZES = "may differ in size"
_PAIRED = {0: "TorchGAN", 1: _SIZES, 2: _SIZES, 3: _SIZES}
_NO_HINT = None
_WAITS = "this counts once the other cases pass"
# (exercise, wrong answer, its hint (or the hint of each failed case), the cases it fails)
WRONG = {
    "03.1 paired, F.mse_loss": ("03.1", F.mse_loss, _PAIRED, [0, 1, 2, 3]),
    "03.1 paired, summed over features": (
        "03.1",
        lambda r, f: (r - f).pow(2).sum(dim=1).mean(),
        _PAIRED,
        [0, 1, 2, 3],
    ),
    "03.1 paired, F.l1_loss": ("03.1", F.l1_loss, _PAIRED, [0, 1, 2, 3]),
    "03.1 mean over features (MNIST code)": (
        "03.1",
        partial(feature_matching_loss, reduction="mean"),
        "official MNIST code",
        [0, 1, 2],
    ),
    "03.1 the norm, not squared": (
        "03.1",
        lambda r, f: _delta(r, f).norm(),
        "you forgot to square: ||Δ||_2 is the norm",
        [0, 1, 2],
    ),
    "03.1 neither squared nor absolute": (
        "03.1",
        lambda r, f: _delta(r, f).sum(),
        "positive and negative differences cancel",
        [0, 1, 2],
    ),
    "03.1 the L1 variant (CIFAR code)": (
        "03.1",
        partial(feature_matching_loss, reduction="l1"),
        "CIFAR-10 / SVHN",
        [0, 1, 2],
    ),
    "03.1 the L1 norm": ("03.1", lambda r, f: _delta(r, f).abs().sum(), "the L1 norm", [0, 1, 2]),
    "03.1 means over the features": (
        "03.1",
        lambda r, f: (r.mean(dim=1) - f.mean(dim=1)).pow(2).sum(),
        {0: "instead of over the batch (dim 0)", 1: _SIZES, 2: _SIZES, 3: _SIZES},
        [0, 1, 2, 3],
    ),
    "03.1 no gradient": (
        "03.1",
        lambda r, f: torch.tensor(feature_matching_loss(r, f).item()),
        {2: "the loss has no gradient"},
        [2],
    ),
    "03.2 the paper's loss": (
        "03.2",
        feature_matching_loss,
        "that is the paper's squared L2 loss",
        [0, 1],
    ),
    "03.2 summed over features": (
        "03.2",
        lambda r, f: _delta(r, f).abs().sum(),
        "you summed over the features",
        [0, 1],
    ),
    "03.2 squared": (
        "03.2",
        partial(feature_matching_loss, reduction="mean"),
        "you squared the differences",
        [0, 1],
    ),
    "03.2 no absolute value": (
        "03.2",
        lambda r, f: _delta(r, f).mean(),
        "you forgot the absolute value",
        [0, 1],
    ),
    # the value case also holds N = 5 and M = 12, where paired samples cannot be formed
    "03.2 paired, F.l1_loss": ("03.2", F.l1_loss, _SIZES, [0, 1, 2]),
    "03.3 the normal quantile": (
        "03.3",
        _experiment(l03.ARMS, quantile=lambda df: 1.959964),
        {1: "you used the normal quantile 1.96"},
        [1],
    ),
    "03.3 the t quantile of n, not n - 1, degrees of freedom": (
        "03.3",
        _experiment(l03.ARMS, quantile=lambda df: T_975[df + 1]),
        {1: "with n degrees of freedom"},
        [1],
    ),
    "03.3 the differences reversed": (
        "03.3",
        _experiment(l03.ARMS[::-1]),
        {1: "take the second arm minus the first"},
        [1],
    ),
    "04.4 the t quantile of n, not n - 1, degrees of freedom": (
        "04.4",
        _experiment(l04.ARMS, quantile=lambda df: T_975[df + 1]),
        {1: "with n degrees of freedom"},
        [1],
    ),
    "04.4 one seed left out": (
        "04.4",
        lambda train, seeds: _experiment(l04.ARMS)(train, seeds[:-1]),
        {0: "did not train", 1: "must be a list of"},
        [0, 1],
    ),
}
_FEATURE_MISTAKES = {
    "self term": (partial(_o, self_term=True), "you included the self term", [0, 1], [0, 1, 3]),
    "bias": (lambda m: _o(m) - 1, "a bias of −1 per kernel", [0, 1], [0, 1, 3]),
    "normalised": (
        lambda m: _o(m) / max(len(m) - 1, 1),
        "you divided by N − 1",
        [0, 1],
        [0, 1, 2, 3],
    ),
    "L2": (partial(_o, distance=lambda d: d.norm(dim=3)), "the L2 distance", [0], [0, 2, 3]),
    "squared L2": (
        partial(_o, distance=lambda d: d.pow(2).sum(dim=3)),
        "the squared L2 distance",
        [0],
        [0, 2, 3],
    ),
    "absolute value of the sum": (
        partial(_o, distance=lambda d: d.sum(dim=3).abs()),
        "the absolute value of the summed differences",
        [0],
        [0, 2, 3],
    ),
    # exp(+distance) overflows on the self-exclusion case's far example: no hint there.
    "no minus sign": (
        partial(_o, sign=1.0),
        {0: "the minus sign is missing", 1: _NO_HINT, 3: "the minus sign is missing"},
        [0, 1],
        [0, 1, 2, 3],
    ),
    "summed over kernels": (
        partial(_o, over=2),
        "you summed over the kernels instead of over the other examples",
        [0, 1],
        [0, 1, 2, 3],
    ),
    "summed over kernels, self term": (
        partial(_o, over=2, self_term=True),
        "and excludes the self term",
        [0, 1],
        [0, 1, 2, 3],
    ),
}
for _name, (_answer, _hint, _, _vectorised_fails) in _FEATURE_MISTAKES.items():
    _hints = _hint if isinstance(_hint, dict) else dict.fromkeys([0, 1, 3], _hint)
    # 04.1 is one case: the random inputs (which fail first), then the self-exclusion
    WRONG[f"04.1 {_name}"] = ("04.1", _answer, _hints[0], [0])
    # The gradient case (2) compares gradients, without hints; the loop rule (4) waits for
    # the values.
    WRONG[f"04.2 {_name}"] = (
        "04.2",
        _answer,
        {**_hints, 2: _NO_HINT, 4: _WAITS},
        [*_vectorised_fails, 4],
    )
WRONG.update(
    {
        "04.2 a loop over the examples": (
            "04.2",
            _loop_over_examples,
            {4: "your code has a list comprehension (line"},
            [4],
        ),
        "04.2 the double loop of 04.1": (
            "04.2",
            l04._reference,
            {4: "your code has a for loop (line"},
            [4],
        ),
        "04.2 in NumPy": (
            "04.2",
            _in_numpy,
            {2: "the result has no gradient", 3: "o has no gradient", 4: _WAITS},
            [2, 3, 4],
        ),
        "04.3 [o, x]": (
            "04.3",
            lambda x, t: _layer(x, t).roll(-x.shape[1], dims=1),
            {0: "in that order: x first, then o", 1: _NO_HINT},
            [0, 1],
        ),
        "04.3 o alone": (
            "04.3",
            lambda x, t: _layer(x, t)[:, x.shape[1] :],
            {0: "you returned o alone", 1: _NO_HINT},
            [0, 1],
        ),
        "04.3 (N, C, B)": (
            "04.3",
            _scrambled_layer,
            {0: "mixes up the kernels and their dimensions", 1: _NO_HINT},
            [0, 1],
        ),
        "04.3 self term": (
            "04.3",
            lambda x, t: _layer(x, t) + F.pad(torch.ones(len(x), t.shape[1]), (x.shape[1], 0)),
            "you included the self term",
            [0],
        ),
        "04.3 T detached": (
            "04.3",
            lambda x, t: _layer(x, t.detach()),
            {1: "the result does not depend on T"},
            [1],
        ),
    }
)


# the exercises' function names in order, per lesson (tests/test_grading.py checks them)
TARGETS = {
    "03": ["feature_matching_loss", "feature_matching_loss_l1", "run_experiment"],
    "04": ["minibatch_features_loop", "minibatch_features", "minibatch_layer", "run_experiment"],
}


def _failed(result: ExerciseResult) -> list[int]:
    return [i for i, case in enumerate(result.cases) if not case.passed]


# ------------------------------------------------------------------------------ the tests


@pytest.mark.parametrize("exercise_id", sorted(FLOAT64))
def test_float64_answers_pass(exercise_id: str) -> None:
    result = run_cases(get_exercise(exercise_id), FLOAT64[exercise_id])
    assert result.status == "passed", result.report()


@pytest.mark.parametrize(
    ("exercise_id", "answer", "failing"),
    [
        ("03.1", lambda r, f: feature_matching_loss(r, f) + 0.5, [0, 1, 3]),
        ("04.2", lambda m: _features(m) + 0.5, [0, 1, 3, 4]),  # the gradient is right
    ],
)
def test_an_unknown_mistake_gets_no_hint(exercise_id: str, answer: Callable, failing: list) -> None:
    result = run_cases(get_exercise(exercise_id), answer)
    assert _failed(result) == failing
    assert all("\n" not in case.message for case in result.cases)
    assert "): expected" in result.cases[0].message


def test_wrong_types_are_named() -> None:
    result = run_cases(get_exercise("03.1"), lambda r, f: feature_matching_loss(r, f).item())
    assert "expected a torch.Tensor, got float" in result.cases[0].message
    result = run_cases(get_exercise("04.1"), lambda m: _features(m).tolist())
    assert "expected a torch.Tensor, got list" in result.cases[0].message
    result = run_cases(get_exercise("04.2"), lambda m: _features(m).long())
    assert "expected a floating-point tensor, got dtype torch.int64" in result.cases[0].message


def test_a_submitted_loop_is_graded_without_a_tamper_alarm(tmp_path: Path) -> None:
    """The loop rule is read from the submitted file by the grader; the values pass."""
    solution = nbformat.read(ROOT / "solutions" / "04_minibatch_discrimination_exercises.ipynb", 4)
    (check,) = [i for i, c in enumerate(solution.cells) if 'check("04.2"' in c.source]
    solution.cells.insert(
        check, nbformat.v4.new_code_cell("minibatch_features = minibatch_features_loop")
    )
    looped = tmp_path / "04_looped.ipynb"
    nbformat.write(solution, looped)
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "ganlab.cli", "grade", str(looped), "--json", str(report)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(report.read_text())
    scores = {e["id"]: (e["status"], e["score"]) for e in entry["exercises"]}
    assert scores == {
        "04.1": ("passed", 1),
        "04.2": ("failed", 4),
        "04.3": ("passed", 2),
        "04.4": ("passed", 2),
    }
    assert "a for loop (line" in entry["exercises"][1]["message"]
    assert "of `minibatch_features_loop`" in entry["exercises"][1]["message"]
