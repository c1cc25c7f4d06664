"""Graded cases of lesson 05 (``solutions/05_historical_averaging_*``): §3.3 on networks.

05.1 is a class ``HistoricalAverage(module, weight)`` that keeps the running mean θ̄ of every
parameter of an ``nn.Module`` (θ[1], the weights at construction, included; ``update()``
adds the current weights as a new snapshot) and returns the penalty
w · Σ_params ||θ − θ̄||² from ``penalty()``, differentiable with respect to the parameters
with θ̄ held constant; buffers (BatchNorm's running statistics) are not parameters.  The
grader builds small modules with known weights, moves them through known snapshots and
computes the references independently of :mod:`ganlab.tricks`: the mean of the snapshots by
a naive sum in float64, the penalty by a loop over the entries, its gradient in closed form,
2w(θ − θ̄).  05.2 is the paired experiment "vanilla" against "HA on D"
(:mod:`ganlab.grading.experiment`).  Every case is a :class:`~ganlab.grading.probes.Probe`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn

from ganlab.grading.compare import as_tensor, first_failure
from ganlab.grading.core import Case, CaseFailed, Exercise, Outcome, fail
from ganlab.grading.experiment import experiment_exercise
from ganlab.grading.mistakes import compare_with_mistakes
from ganlab.grading.probes import Probe
from ganlab.grading.questions import Question

ARMS = ("vanilla", "HA on D")
Snapshot = list[Tensor]  # one value per parameter tensor, in module.parameters() order


def _normal(shape: tuple[int, ...], seed: int, offset: float = 0.0) -> Tensor:
    """Float32 normal numbers of ``shape`` around ``offset``, the same on every run."""
    generator = torch.Generator().manual_seed(seed)
    return offset + torch.randn(shape, generator=generator, dtype=torch.float64).float()


# ------------------------------------------------------------------------ the test modules


def _linear() -> nn.Module:
    return nn.Linear(4, 3)


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 5), nn.ReLU(), nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 1))


def _batch_norm_net() -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1))


def _snapshots(build: Callable[[], nn.Module], count: int, seed: int) -> list[Snapshot]:
    """``count`` known values of every parameter of ``build()``, drifting from snapshot to
    snapshot as training would."""
    shapes = [tuple(p.shape) for p in build().parameters()]
    return [
        [_normal(s, seed + 100 * k + i, offset=0.3 * k) for i, s in enumerate(shapes)]
        for k in range(count)
    ]


def _load(module: nn.Module, snapshot: Snapshot) -> None:
    """Sets the module's parameters, in place (as an optimiser step does)."""
    with torch.no_grad():
        for param, value in zip(module.parameters(), snapshot, strict=True):
            param.copy_(value)


def _scalar(penalty: object, what: str) -> Tensor:
    """The student's penalty as a float64 0-dim tensor (a one-element tensor is accepted)."""
    value = as_tensor(penalty, what)
    if value.numel() != 1:
        raise CaseFailed(f"{what}: expected a scalar tensor, got shape {tuple(value.shape)}")
    return value.double().reshape(())


def _penalty_reference(snapshot: Snapshot, means: Sequence[Tensor], weight: float) -> float:
    """w · Σ over every entry of every parameter of (θ − θ̄)², by a Python loop in float64."""
    total = 0.0
    for theta, mean in zip(snapshot, means, strict=True):
        entries = zip(theta.double().reshape(-1).tolist(), mean.reshape(-1).tolist(), strict=True)
        total += sum((a - b) ** 2 for a, b in entries)
    return weight * total


def _true_means(snapshots: Sequence[Snapshot], upto: int) -> list[Tensor]:
    """The arithmetic mean of snapshots 0..upto, a naive sum divided once, in float64."""
    means = []
    for i in range(len(snapshots[0])):
        total = torch.zeros(snapshots[0][i].shape, dtype=torch.float64)
        for snapshot in snapshots[: upto + 1]:
            total += snapshot[i].double()
        means.append(total / (upto + 1))
    return means


# ------------------------------------------------- the running means that mistakes keep

MeanRule = Callable[[Tensor, Tensor, int], Tensor]  # (mean, new snapshot, t before) -> mean

_RULES: dict[str, MeanRule] = {
    "after each update() your mean is the latest weights: it must remember every snapshot "
    "since construction, each with the same weight": lambda m, x, t: x,
    "each update averages the old mean with the new weights, (θ̄ + θ) / 2: the newest "
    "snapshot then weighs as much as all the others together; every snapshot since "
    "construction weighs the same": lambda m, x, t: (m + x) / 2,
    "the mean never changes: update() must add the current weights to it": lambda m, x, t: m,
}
_NO_INITIAL = (
    "your mean leaves out the weights the module had at construction, the first snapshot "
    "(t = 1 already then). Did you divide by t, the snapshots already in the mean, instead of "
    "their number once the new one is in, or start counting at 0?"
)
_VIEW = (
    "the penalty is 0: your mean follows the parameters (it shares their memory: "
    "list(module.parameters()) or p.data are the weights themselves); store copies"
)


def _means_by_rule(snapshots: Sequence[Snapshot], upto: int, rule: MeanRule) -> list[Tensor]:
    means = [s.double() for s in snapshots[0]]
    for t, snapshot in enumerate(snapshots[1 : upto + 1], start=1):
        means = [rule(m, x.double(), t) for m, x in zip(means, snapshot, strict=True)]
    return means


def _mean_mistakes(snapshots: Sequence[Snapshot], upto: int) -> dict[str, list[Tensor]]:
    # first: after one update it gives what the first rule gives, and it is the likelier
    # cause; before the first update the mean is the weights at construction, whatever the count
    wrong = {
        _NO_INITIAL: _true_means(snapshots[1:], upto - 1) if upto else _true_means(snapshots, 0)
    }
    wrong.update({hint: _means_by_rule(snapshots, upto, rule) for hint, rule in _RULES.items()})
    return wrong


def _weight_mistakes(theta: Snapshot, means: Sequence[Tensor], w: float) -> dict[str, float]:
    diffs = [t.double() - m for t, m in zip(theta, means, strict=True)]
    squares = sum(float(d.pow(2).sum()) for d in diffs)
    return {
        "you forgot the weight w: the penalty is w times the sum of squares": squares,
        "you took the norm ||θ − θ̄|| without squaring it: the penalty sums squared differences": w
        * sum(float(d.norm()) for d in diffs),
        "you averaged (θ − θ̄)² over the entries (as F.mse_loss does): the penalty is the sum "
        "of squares over every entry": w * sum(float(d.pow(2).mean()) for d in diffs),
        "you halved it: the penalty is w · Σ ||θ − θ̄||², not (w/2) · Σ ||θ − θ̄||²": w * squares / 2,
        "you left out the biases: the penalty sums over every tensor of module.parameters()": w
        * sum(float(d.pow(2).sum()) for d in diffs if d.ndim > 1),
        "you penalised only the first parameter tensor: sum over every tensor of "
        "module.parameters() (weights and biases of every layer)": w * float(diffs[0].pow(2).sum()),
    }


# ----------------------------------------------------------- the case: penalties of a run


def _run_case(
    build: Callable[[], nn.Module],
    label: str,
    updates: int,
    weight: float,
    seed: int,
    *,
    buffers: bool = False,
) -> Probe:
    """Construct on snapshot 0; then for k = 1..updates: load snapshot k (the penalty before
    the update), ``update()`` (the penalty after it).  With ``buffers``, the module's
    BatchNorm running statistics change at every step too; they must not count."""
    snapshots = _snapshots(build, updates + 1, seed)
    buffer_values = [
        (_normal((4,), seed + 7000 + k, 1.0 + k), 0.5 + _normal((4,), seed + 8000 + k).abs())
        for k in range(updates + 1)
    ]

    def buffer_means(m: int) -> list[Tensor]:
        """The mean of the buffers' values 0..m (what a class that averages them keeps)."""
        return [
            torch.stack([buffer_values[j][i].double() for j in range(m + 1)]).mean(0)
            for i in range(2)
        ]

    def set_buffers(module: nn.Module, k: int) -> None:
        if buffers:
            norm = module[1]
            with torch.no_grad():
                norm.running_mean.copy_(buffer_values[k][0])
                norm.running_var.copy_(buffer_values[k][1])

    def run(student: Callable) -> dict:  # in the worker: the student's class on the module
        module = build()
        _load(module, snapshots[0])
        set_buffers(module, 0)
        try:
            averaging = student(module, weight)
            penalties = []
            for k in range(1, updates + 1):
                _load(module, snapshots[k])
                set_buffers(module, k)
                what = f"penalty() after the weights moved to snapshot {k + 1}"
                penalties.append(_scalar(averaging.penalty(), what))
                averaging.update()
                what = f"penalty() after update() number {k}"
                penalties.append(_scalar(averaging.penalty(), what))
        except (NotImplementedError, CaseFailed):
            raise
        except Exception as err:  # noqa: BLE001 - the student's code may raise anything
            if not buffers:
                raise
            return {"error": f"{type(err).__name__}: {err}"}
        return {"penalties": torch.stack(penalties)}

    def judge(data: dict) -> Outcome:
        what = (
            f"HistoricalAverage({label}, weight={weight}): penalty() at {updates} steps, "
            "before and after each update()"
        )
        if "error" in data:
            return fail(
                f"{what}: raised {data['error']:.200}\nif you averaged the module's buffers "
                "(state_dict() or buffers() hold BatchNorm's running statistics, and an "
                "integer counter): the penalty is over module.parameters() only"
            )
        rows = []  # (the weights, the mean) of every penalty(), in order
        for k in range(1, updates + 1):
            rows += [(k, k - 1), (k, k)]
        expected = torch.tensor(
            [_penalty_reference(snapshots[k], _true_means(snapshots, m), weight) for k, m in rows],
            dtype=torch.float64,
        )

        def mistakes() -> dict[str, Tensor]:
            wrong: dict[str, list[float]] = {}
            for k, m in rows:
                candidates = {
                    hint: _penalty_reference(snapshots[k], means, weight)
                    for hint, means in _mean_mistakes(snapshots, m).items()
                }
                candidates.update(_weight_mistakes(snapshots[k], _true_means(snapshots, m), weight))
                candidates[_VIEW] = 0.0
                if buffers:
                    with_buffers = _penalty_reference(
                        [*snapshots[k], *buffer_values[k]],
                        [*_true_means(snapshots, m), *buffer_means(m)],
                        weight,
                    )
                    candidates[_BUFFERS] = with_buffers
                for hint, value in candidates.items():
                    wrong.setdefault(hint, []).append(value)
            return {hint: torch.tensor(v, dtype=torch.float64) for hint, v in wrong.items()}

        return compare_with_mistakes(
            as_tensor(data["penalties"], what), expected, mistakes, what=what, rtol=1e-4
        )

    return Probe(run, judge)


_BUFFERS = (
    "you averaged the module's buffers too (BatchNorm's running mean and variance): they are "
    "statistics, not weights a player chooses; the penalty is over module.parameters() only"
)


# --------------------------------------------------------- the case: the penalty's gradient


def _gradient_case(updates: int, weight: float, seed: int) -> Probe:
    snapshots = _snapshots(_mlp, updates + 1, seed)
    what = f"d penalty() / d parameters of a 3-layer MLP after {updates} updates, w = {weight}"

    def run(student: Callable) -> dict:  # in the worker: the penalty's gradients
        module = _mlp()
        _load(module, snapshots[0])
        averaging = student(module, weight)
        for k in range(1, updates + 1):
            _load(module, snapshots[k])
            averaging.update()
        with torch.no_grad():  # one more step, not yet in the mean
            for param, step in zip(module.parameters(), snapshots[1], strict=True):
                param.add_(0.5 * step)
        penalty = averaging.penalty()
        as_tensor(penalty, what)
        if not penalty.requires_grad:
            return {"has_grad": False}
        params = list(module.parameters())
        gradients = torch.autograd.grad(penalty.sum(), params, allow_unused=True)
        return {
            "has_grad": True,
            "gradients": [g if g is not None else "none" for g in gradients],
            "params": [p.detach().clone() for p in params],
        }

    def judge(data: dict) -> Outcome:
        if not data["has_grad"]:
            return fail(
                f"{what}: the penalty has no gradient; compute it with torch operations on the "
                "module's parameters (no .item(), NumPy, torch.no_grad() or .detach() of θ)"
            )
        means = _true_means(snapshots, updates)
        names = [n for n, _ in _mlp().named_parameters()]
        outcomes = []
        for name, gradient, param, mean in zip(
            names, data["gradients"], data["params"], means, strict=True
        ):
            if isinstance(gradient, str):
                raise CaseFailed(f"{what}: the penalty does not depend on parameter {name!r}")
            diff = as_tensor(param, what).double() - mean
            outcomes.append(
                compare_with_mistakes(
                    as_tensor(gradient, what),
                    2 * weight * diff,  # d/dθ w||θ − θ̄||², θ̄ a constant
                    lambda d=diff: {
                        "the gradient is 0: θ − θ̄ does not move with θ. Is your mean the "
                        "parameter itself, or a clone of it still in the autograd graph (not "
                        "detached)? The mean is a constant copy": torch.zeros_like(d),
                        "the gradient is t times too small (t snapshots in the mean): the "
                        "mean's updates are in the autograd graph, so θ̄ moves with θ; "
                        "update() under torch.no_grad() (or from detached weights) keeps θ̄ a "
                        "constant": 2 * weight * d / (updates + 1),
                        "the gradient is w(θ − θ̄), half the right one: did you halve the "
                        "penalty?": weight * d,
                        "the gradient lacks the weight w": 2 * d,
                        "the gradient is divided by the tensor's number of entries: did you "
                        "average the squares (F.mse_loss) instead of summing them?": 2
                        * weight
                        * d
                        / d.numel(),
                    },
                    what=f"{what}, parameter {name!r}",
                    rtol=1e-4,
                )
            )
        return first_failure(outcomes)

    return Probe(run, judge)


EXERCISES = (
    Exercise(
        "05.1",
        "historical averaging of a network's parameters",
        "HistoricalAverage",
        (
            Case(
                "a Linear(4, 3) layer, one update: the penalty before and after it",
                1,
                _run_case(_linear, "Linear(4, 3)", 1, 0.3, seed=500),
            ),
            Case(
                "a 3-layer MLP, 8 updates, w = 2.5: the penalty before and after each",
                3,
                _run_case(_mlp, "a 3-layer MLP", 8, 2.5, seed=510),
            ),
            Case(
                "the gradient with respect to every parameter",
                2,
                _gradient_case(4, 0.7, seed=540),
            ),
            Case(
                "a network with BatchNorm: its running statistics change and do not count",
                1,
                _run_case(
                    _batch_norm_net, "Linear, BatchNorm1d, Linear", 3, 1.5, seed=560, buffers=True
                ),
            ),
        ),
    ),
    experiment_exercise(
        "05.2",
        "experiment: historical averaging on D against the baseline",
        ARMS,
        (1, 2),
    ),
)

QUESTIONS = (Question("05.Q1", "what your experiment shows, and how sure it is"),)
