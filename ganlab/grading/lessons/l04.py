"""Graded cases of lesson 04 (``solutions/04_minibatch_discrimination_*``): §3.2.

M_i = f(x_i)·T ∈ R^{B×C}, T ∈ R^{A×B×C};  c_b(x_i, x_j) = exp(−||M_{i,b} − M_{j,b}||_1);
o(x_i)_b = Σ_{j≠i} c_b(x_i, x_j), without the learned per-kernel bias of the official
layer and of :class:`ganlab.tricks.MinibatchDiscrimination`; the layer returns
[f(x_i), o(x_i)].  The references are computed here, independently of :mod:`ganlab.tricks`:
a loop over the examples i in float64, and autograd through it for the gradients.

Exercise 04.2 asks for o without a Python loop.  A count of operations made where the
student's code runs would be a number that code could forge, so the rule is read from the
source instead (:func:`ganlab.grading.source.no_python_loops`): the function, and the
notebook's functions it calls, hold no loop, comprehension or recursion.  It counts once the
values are right.  The answer at N = 300 must also carry a gradient, so that D can be trained
through it.  Every case is a :class:`~ganlab.grading.probes.Probe` or a source rule: the
student's code runs in the worker, the references and verdicts are computed by the grader.

Exercise 04.4 is an experiment (:mod:`ganlab.grading.experiment`): the student writes the
paired comparison of vanilla and minibatch discrimination; the notebook runs it on the ring of
8, and question 04.Q1 asks what the result shows.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor

from ganlab.grading.compare import as_tensor, compare_tensor, first_failure
from ganlab.grading.core import Case, Exercise, Outcome, fail
from ganlab.grading.experiment import experiment_exercise
from ganlab.grading.mistakes import answer_case, compare_with_mistakes
from ganlab.grading.probes import Probe
from ganlab.grading.questions import Question
from ganlab.grading.source import no_python_loops

Features = Callable[[Tensor], Tensor]  # m (N, B, C) -> o (N, B)
LARGE_N = 300  # the batch of 04.2's vectorisation case


def _normal(shape: tuple[int, ...], seed: int, scale: float = 1.0) -> Tensor:
    """Float32 normal numbers of ``shape``, the same on every run."""
    return scale * torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def _m(n: int, b: int, c: int, seed: int) -> Tensor:
    """(n, b, c) projected features M, scaled so that L1 distances are about 1 to 3."""
    return _normal((n, b, c), seed, scale=0.5)


def _reference(m: Tensor) -> Tensor:
    """o_{i,b} = Σ_{j≠i} exp(−Σ_c |M_{i,b,c} − M_{j,b,c}|), a loop over the examples i."""
    rows = []
    for i in range(len(m)):
        others = torch.cat([m[:i], m[i + 1 :]])  # (N − 1, B, C): every j ≠ i
        distances = (m[i] - others).abs().sum(dim=2)  # (N − 1, B)
        rows.append(torch.exp(-distances).sum(dim=0))  # (B,)
    return torch.stack(rows)  # (N, B)


def _mistakes(m: Tensor) -> dict[str, Tensor]:
    """What the known mistakes give for o, by broadcasting over the pairs (i, j)."""
    n = len(m)
    diff = m.double()[:, None] - m.double()[None]  # (N, N, B, C): M_i − M_j
    others = (1 - torch.eye(n, dtype=torch.float64))[:, :, None]  # (N, N, 1): j ≠ i
    l1 = diff.abs().sum(dim=3)  # (N, N, B)

    def over_others(closeness: Tensor) -> Tensor:  # (N, N, B) -> (N, B)
        return (closeness * others).sum(dim=1)

    o, l1_norm = over_others(torch.exp(-l1)), "the L1 norm, Σ_c |M_{i,b,c} − M_{j,b,c}|"
    kernels = "you summed over the kernels instead of over the other examples: o(x_i)_b = "
    return {
        "you included the self term j = i, exp(0) = 1, so every entry is 1 too large: the "
        "sum runs over the other examples, j ≠ i": torch.exp(-l1).sum(dim=1),
        "you added a bias of −1 per kernel (the starting value of the learned bias in "
        "ganlab's layer and, before its data-dependent initialisation, in the official "
        "one): this exercise asks for the bias-free formula o(x_i)_b = Σ_{j≠i} c_b(x_i, x_j)": (
            o - 1
        ),
        "you divided by N − 1, the number of other examples (ganlab's normalize=True): "
        "here o is the sum, not the mean": o / max(n - 1, 1),
        f"you used the L2 distance: c_b uses {l1_norm}": over_others(torch.exp(-diff.norm(dim=3))),
        f"you used the squared L2 distance: c_b uses {l1_norm}": over_others(
            torch.exp(-diff.pow(2).sum(dim=3))
        ),
        f"you took the absolute value of the summed differences: c_b uses {l1_norm}": (
            over_others(torch.exp(-diff.sum(dim=3).abs()))
        ),
        "the minus sign is missing: c_b = exp(−distance), close examples count most": (
            over_others(torch.exp(l1))
        ),
        f"{kernels}Σ_(j≠i) c_b(x_i, x_j) has shape (N, B)": (torch.exp(-l1) * others).sum(2),
        f"{kernels}Σ_(j≠i) c_b(x_i, x_j) has shape (N, B), and excludes the self term j = "
        "i": torch.exp(-l1).sum(dim=2),
    }


def _signature(name: str, inputs: dict[str, Tensor]) -> str:
    return f"{name}({', '.join(f'{k} of shape {tuple(x.shape)}' for k, x in inputs.items())})"


def _value_case(
    name: str,
    reference: Callable[..., Tensor],
    mistakes: Callable[..., dict[str, Tensor]],
    *inputs: dict[str, Tensor],
) -> Probe:
    """A case comparing the student's result on each input (name -> tensor) with ``reference``
    (computed in float64)."""
    names = list(inputs[0])
    return answer_case(
        lambda *args: _signature(name, dict(zip(names, args, strict=True))),
        [tuple(arguments.values()) for arguments in inputs],
        lambda *args: reference(*(x.double() for x in args)),
        mistakes,
    )


def _features_case(name: str, *inputs: Tensor) -> Probe:
    return _value_case(name, _reference, _mistakes, *({"m": m} for m in inputs))


SHAPES = [(5, 3, 4), (2, 1, 1), (4, 6, 2)]  # the random M of the value cases
RANDOM = f"random M of shapes {', '.join(map(str, SHAPES))}"
SELF_EXCLUSION = (
    "one example gives 0, two identical ones 1, three identical ones and one far away 2, 2, 2, 0"
)


def _features_inputs(seed: int) -> tuple[list[Tensor], list[Tensor]]:
    """Random M of three shapes, and the self-exclusion inputs: one example (o = 0), two
    identical ones (o = 1), three identical ones and one far away (2, 2, 2, 0)."""
    one, twin, triplet = (_m(1, 3, 2, seed + k) for k in range(3))
    alike = [one, twin.repeat(2, 1, 1), torch.cat([triplet.repeat(3, 1, 1), 50 + one])]
    return [_m(*shape, seed + 3 + k) for k, shape in enumerate(SHAPES)], alike


def _features_cases(name: str, seed: int) -> tuple[Case, ...]:
    """The random inputs, then the self-exclusion, as two cases of 1 point."""
    randoms, alike = _features_inputs(seed)
    return (
        Case(f"{RANDOM}: against a reference loop", 1, _features_case(name, *randoms)),
        Case(f"self-exclusion: {SELF_EXCLUSION}", 1, _features_case(name, *alike)),
    )


def _gradient_case(name: str, reference: Callable[..., Tensor], **inputs: Tensor) -> Probe:
    """A case comparing the gradients of Σ w ⊙ result (random weights w, drawn from a fixed
    seed for the result's shape) with respect to each input: autograd through the student's
    function in the worker, through the reference here."""
    what = _signature(name, inputs)

    def weights(shape: torch.Size) -> Tensor:
        return torch.randn(shape, generator=torch.Generator().manual_seed(0))

    def run(student: Callable[..., Tensor]) -> dict:
        leaves = [x.clone().requires_grad_() for x in inputs.values()]
        result = student(*leaves)
        as_tensor(result, what)  # a floating tensor, or the case fails here
        if not result.requires_grad:
            return {"result": result}
        got = torch.autograd.grad((result * weights(result.shape)).sum(), leaves, allow_unused=True)
        return {"result": result, "gradients": list(got)}

    def judge(data: dict) -> Outcome:
        result = as_tensor(data["result"], what)
        if "gradients" not in data:
            return fail(f"{what}: the result has no gradient; compute it with torch operations")
        references = [x.double().requires_grad_() for x in inputs.values()]
        expected = reference(*references)
        if result.shape != expected.shape:
            return compare_tensor(result, expected, what=what)
        expected = torch.autograd.grad((expected * weights(expected.shape)).sum(), references)
        outcomes = []
        for label, gradient, reference_gradient in zip(
            inputs, data["gradients"], expected, strict=True
        ):
            if gradient is None:
                return fail(f"{what}: the result does not depend on {label}")
            what_gradient = f"d (w · result) / d {label}"
            outcomes.append(compare_tensor(gradient, reference_gradient, what=what_gradient))
        return first_failure(outcomes)

    return Probe(run, judge)


def _vectorised_case(name: str, m: Tensor) -> Probe:
    """A case for a large batch: the values, and a gradient to train D through."""
    what = _signature(name, {"m": m})

    def run(student: Features) -> dict:
        o = student(m.clone().requires_grad_())
        return {"o": as_tensor(o, what), "has_grad": o.requires_grad}

    def judge(data: dict) -> Outcome:
        got = as_tensor(data["o"], what)
        if not data["has_grad"]:
            return fail(
                f"{what}: o has no gradient; compute it with torch operations on m (not in "
                "NumPy or Python floats), so that D can be trained through it"
            )
        expected = _reference(m.double())
        return compare_with_mistakes(got, expected, partial(_mistakes, m), what=what)

    return Probe(run, judge)


NO_LOOP = no_python_loops(
    "minibatch_features",
    "Compute all pairs at once: broadcasting m against itself, along a new axis for i and "
    "another for j, gives every difference M_i − M_j in one tensor",
)


# ------------------------------------------------------------------------- 04.3: the layer


def _project(x: Tensor, t: Tensor) -> Tensor:
    """M_{i,b,c} = Σ_a x_{i,a} T_{a,b,c}: (N, A) and (A, B, C) to (N, B, C)."""
    return torch.einsum("na,abc->nbc", x, t)


def _layer_reference(x: Tensor, t: Tensor) -> Tensor:
    return torch.cat([x, _reference(_project(x, t))], dim=1)  # (N, A + B)


def _layer_mistakes(x: Tensor, t: Tensor) -> dict[str, Tensor]:
    x, t = x.double(), t.double()
    m = _project(x, t)
    o = _reference(m)
    n, (a, b, c) = len(x), t.shape
    scrambled = (x @ t.reshape(a, b * c)).reshape(n, c, b).transpose(1, 2)  # (N, B, C)
    mistakes = {
        hint: torch.cat([x, wrong], dim=1)
        for hint, wrong in _mistakes(m).items()
        if wrong.shape == o.shape
    }
    mistakes.update(
        {
            "the output is [f(x_i), o(x_i)], in that order: x first, then o": torch.cat(
                [o, x], dim=1
            ),
            "you returned o alone: the layer returns [f(x_i), o(x_i)], shape (N, A + B)": o,
            "your M mixes up the kernels and their dimensions, as if laid out (N, C, B): "
            "M_i = f(x_i)·T keeps T's (B, C) layout, M_{i,b,c} = Σ_a f(x_i)_a T_{a,b,c}": (
                torch.cat([x, _reference(scrambled)], dim=1)
            ),
        }
    )
    return mistakes


def _layer_inputs(n: int, a: int, b: int, c: int, seed: int) -> dict[str, Tensor]:
    """x (n, a) and T (a, b, c), scaled so that the L1 distances of M are about 1 to 3."""
    return {"x": _normal((n, a), seed), "T": _normal((a, b, c), seed + 1, scale=0.3)}


ARMS = ("vanilla", "minibatch discrimination")  # the experiment's arms, baseline first
_LOOP_INPUTS = _features_inputs(400)

EXERCISES = (
    Exercise(
        "04.1",
        "minibatch features with loops",
        "minibatch_features_loop",
        (
            Case(
                f"{RANDOM}, and the self-exclusion ({SELF_EXCLUSION}): against a reference loop",
                1,
                _features_case("minibatch_features_loop", *_LOOP_INPUTS[0], *_LOOP_INPUTS[1]),
            ),
        ),
    ),
    Exercise(
        "04.2",
        "minibatch features, vectorised",
        "minibatch_features",
        (
            *_features_cases("minibatch_features", seed=410),
            Case(
                "the gradient with respect to M: autograd through the reference loop",
                1,
                _gradient_case("minibatch_features", _reference, m=_m(5, 3, 2, 420)),
            ),
            Case(
                f"a batch of N = {LARGE_N}: values, and a gradient",
                1,
                _vectorised_case("minibatch_features", _m(LARGE_N, 4, 3, 421)),
            ),
            Case(
                "no Python loop (read from your code; counts once the values are right)", 1, NO_LOOP
            ),
        ),
    ),
    Exercise(
        "04.3",
        "the minibatch discrimination layer [x, o]",
        "minibatch_layer",
        (
            Case(
                "random x and T (N = 6, A = 5, B = 4, C = 3; and a batch of one): [x, o]",
                1,
                _value_case(
                    "minibatch_layer",
                    _layer_reference,
                    _layer_mistakes,
                    *(_layer_inputs(n, 5, 4, 3, seed) for n, seed in ((6, 430), (1, 432))),
                ),
            ),
            Case(
                "the gradients with respect to x and T",
                1,
                _gradient_case(
                    "minibatch_layer", _layer_reference, **_layer_inputs(5, 4, 3, 2, 434)
                ),
            ),
        ),
    ),
    experiment_exercise(
        "04.4",
        "a paired experiment: vanilla vs minibatch discrimination",
        ARMS,
        (1, 1),
    ),
)
QUESTIONS = (Question("04.Q1", "what your experiment shows"),)
