"""Experiment exercises: the student writes the code that runs a paired comparison.

The student's function ``run_experiment(train, seeds) -> dict`` trains both arms of a
comparison (say "vanilla" and "feature matching") on every seed, with ``train(arm, seed) ->
float`` returning the measured metric, and fills a small results structure::

    {"seeds": [s_1, ...],                      # the seeds, in the order given
     "vanilla": [v_1, ...], "feature matching": [w_1, ...],   # one value a seed, per arm
     "differences": [w_1 - v_1, ...],          # second arm minus first, seed by seed
     "mean_difference": float,                 # their mean
     "ci95": [low, high]}                      # the 95 % Student-t interval of that mean

In the notebook the student runs it with a real trainer.  Grading cannot train networks in a
few seconds, so the cases call it with a stand-in ``train`` whose values are a fixed function
of (arm, seed), known here: the grader checks which runs were made (every seed, both arms,
each once: a paired design), the values' places in the structure, and the statistic, against
closed forms of Student's t quantile (df = 1, 2, 4).  Known mistakes (the interval from the
normal quantile 1.96, a standard deviation with ddof 0, t with n degrees of freedom instead of
n − 1, an unpaired interval, swapped arms, the difference the wrong way round) are named.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from ganlab.grading.core import Case, CaseFailed, Exercise, Outcome, fail, ok
from ganlab.grading.probes import Probe

# Seed sets of sizes 2, 3 and 5: Student's t quantile has a closed form for df = 1, 2, 4.
SEED_SETS = ((5, 9), (0, 1, 2), (11, 4, 7, 20, 3))
RTOL = 1e-6
# The interval: a printed t table (3 decimals) is right; 1.96 or ddof 0 is off by far more.
INTERVAL_RTOL = 1e-3


def t_quantile_975(df: int) -> float:
    """The 97.5 % quantile of Student's t, in closed form for df = 1, 2 and 4."""
    p = 0.975
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    if df == 4:
        alpha = 4 * p * (1 - p)
        q = math.cos(math.acos(math.sqrt(alpha)) / 3) / math.sqrt(alpha)
        return 2 * math.sqrt(q - 1)
    raise ValueError(f"no closed form here for df = {df}; use 1, 2 or 4")


# t_{0.975, n} for the seed sets' sizes n: the quantile a t table misread by one degree of
# freedom gives (df = 3 and 5 have no closed form: their values, to 6 decimals).
WRONG_DEGREES_QUANTILE = {2: None, 3: 3.182446, 5: 2.570582}
WRONG_DEGREES = (
    "you took Student's t quantile with n degrees of freedom, n the number of seeds: the "
    "interval of the mean of n differences has n − 1 (one is spent on their mean)"
)


def _wrong_degrees_quantile(n: int) -> float:
    return WRONG_DEGREES_QUANTILE.get(n) or t_quantile_975(n)


def stand_in(arms: Sequence[str], arm: str, seed: int) -> float:
    """The stand-in trainer's value for (arm, seed): the second arm is about 2 higher, with
    a seed-to-seed spread shared by both arms (as real paired runs have) and a little of
    its own."""
    shared = random.Random(f"seed {seed}").gauss(0.0, 1.5)
    own = random.Random(f"{arm} {seed}").gauss(0.0, 0.5)
    return round(4.0 + 2.0 * arms.index(arm) + shared + own, 6)


def _interval(values: Sequence[float], quantile: float, ddof: int = 1) -> list[float]:
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - ddof))
    half = quantile * std / math.sqrt(n)
    return [mean - half, mean + half]


def _number(value: object) -> float | None:
    """A number from data: a Python or NumPy number, or a one-element tensor or array."""
    if hasattr(value, "numel") and value.numel() == 1 or hasattr(value, "size") and value.size == 1:
        value = value.reshape(-1).tolist()[0]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return None


def _close(got: object, expected: float, rtol: float = RTOL) -> bool:
    number = _number(got)
    return number is not None and math.isclose(number, expected, rel_tol=rtol, abs_tol=1e-9)


def _same_interval(got: Sequence[float], expected: Sequence[float]) -> bool:
    return all(_close(g, e, INTERVAL_RTOL) for g, e in zip(got, expected, strict=True))


def _number_list(result: dict, key: str, n: int, what: str) -> list[float]:
    value = result.get(key)
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise CaseFailed(
            f'{what}: result["{key}"] must be a list of {n} numbers, got {value!r:.80}'
        )
    numbers = [_number(v) for v in value]
    if None in numbers:
        raise CaseFailed(f'{what}: result["{key}"] must hold numbers, got {value!r:.80}')
    return numbers


def _result(data: object, what: str) -> dict:
    if not isinstance(data, dict) or not isinstance(data.get("result"), dict):
        got = type(data.get("result")).__name__ if isinstance(data, dict) else "nothing"
        raise CaseFailed(f"{what}: expected a dict (the results structure), got {got}")
    return data["result"]


def _runs_judge(arms: tuple[str, str], seeds: Sequence[int], data: dict) -> Outcome:
    what = f"run_experiment(train, seeds={list(seeds)})"
    calls = [tuple(c) for c in data.get("calls", []) if isinstance(c, (list, tuple))]
    wanted = [(arm, seed) for seed in seeds for arm in arms]
    missing = [f"{arm!r} on seed {seed}" for arm, seed in wanted if (arm, seed) not in calls]
    if missing:
        return fail(
            f"{what} did not train {', '.join(missing[:3])}: a paired comparison runs both "
            "arms on every seed"
        )
    extra = sorted({c for c in calls if calls.count(c) > 1 or c not in wanted}, key=str)
    if extra:
        shown = ", ".join(f"{arm!r} on seed {seed}" for arm, seed in extra[:3])
        return fail(f"{what} trained {shown} more than once or not asked for: one run each")
    result = _result(data, what)
    if [*result.get("seeds", [])] != list(seeds):
        return fail(f'{what}: result["seeds"] must be the seeds given, in order: {list(seeds)}')
    for arm in arms:
        got = _number_list(result, arm, len(seeds), what)
        expected = [stand_in(arms, arm, seed) for seed in seeds]
        if not all(map(_close, got, expected)):
            other = [stand_in(arms, arms[1 - arms.index(arm)], seed) for seed in seeds]
            hint = ""
            if all(map(_close, got, other)):
                hint = f"\nthe arms are swapped: result[{arm!r}] holds the other arm's values"
            elif sorted(got) == sorted(expected):
                hint = "\nthe values are not in the order of the seeds"
            return fail(
                f"{what}: result[{arm!r}] should hold train({arm!r}, seed) for each seed in "
                f"order: expected {[round(v, 4) for v in expected]}, got "
                f"{[round(v, 4) for v in got]}{hint}"
            )
    return ok()


def _statistics_judge(arms: tuple[str, str], seeds: Sequence[int], data: dict) -> Outcome:
    what = f"run_experiment(train, seeds={list(seeds)})"
    result = _result(data, what)
    n = len(seeds)
    first = [stand_in(arms, arms[0], seed) for seed in seeds]
    second = [stand_in(arms, arms[1], seed) for seed in seeds]
    differences = [b - a for a, b in zip(first, second, strict=True)]
    got = _number_list(result, "differences", n, what)
    if not all(map(_close, got, differences)):
        hint = ""
        if all(_close(g, -d) for g, d in zip(got, differences, strict=True)):
            hint = (
                f"\nthe differences are {arms[0]} − {arms[1]}: take the second arm minus the first"
            )
        return fail(
            f'{what}: result["differences"] should be, seed by seed, {arms[1]} − {arms[0]}: '
            f"expected {[round(v, 4) for v in differences]}, got {[round(v, 4) for v in got]}"
            f"{hint}"
        )
    mean = sum(differences) / n
    if not _close(result.get("mean_difference"), mean):
        return fail(
            f'{what}: result["mean_difference"] should be the mean of the differences, '
            f"{mean:.6g}; got {result.get('mean_difference')!r:.40}"
        )
    interval = _number_list(result, "ci95", 2, what)
    quantile = t_quantile_975(n - 1)
    expected = _interval(differences, quantile)
    if _same_interval(interval, expected):
        return ok()
    unpaired_half = quantile * math.sqrt(
        sum(_variance(arm) / n for arm in (first, second))  # Welch's standard error
    )
    mistakes = {
        "you used the normal quantile 1.96: with n seeds the interval uses Student's t with "
        "n − 1 degrees of freedom, much wider for few seeds": _interval(differences, 1.959964),
        "the standard deviation divides by n (ddof = 0): the sample standard deviation divides "
        "by n − 1": _interval(differences, quantile, ddof=0),
        WRONG_DEGREES: _interval(differences, _wrong_degrees_quantile(n)),
        "that interval treats the arms as independent samples: the runs are paired by seed, so "
        "the interval is that of the seed-by-seed differences": [
            mean - unpaired_half,
            mean + unpaired_half,
        ],
    }
    hint = next((h for h, v in mistakes.items() if _same_interval(interval, v)), "")
    return fail(
        f'{what}: result["ci95"] should be the 95 % interval of the mean difference, '
        f"[{expected[0]:.6g}, {expected[1]:.6g}]; got [{interval[0]:.6g}, {interval[1]:.6g}]"
        + (f"\n{hint}" if hint else "")
    )


def _variance(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def _probe(arms: tuple[str, str], judge: Callable[..., Outcome]) -> Probe:
    def run(student: Callable) -> list[dict]:
        out = []
        for seeds in SEED_SETS:
            calls: list[list] = []

            def train(arm: str, seed: int, calls: list = calls) -> float:
                if arm not in arms:
                    raise ValueError(f"unknown arm {arm!r}; the arms are {arms}")
                calls.append([arm, int(seed)])
                return stand_in(arms, arm, int(seed))

            out.append({"result": student(train, list(seeds)), "calls": calls})
        return out

    def judge_all(data: list) -> Outcome:
        for seeds, one in zip(SEED_SETS, data, strict=True):
            outcome = judge(arms, seeds, one)
            if not outcome.passed:
                return outcome
        return ok()

    return Probe(run, judge_all)


def experiment_cases(arms: tuple[str, str], points: tuple[float, float] = (1, 2)) -> tuple:
    """The two cases of an experiment exercise comparing ``arms`` (baseline first): the runs
    and the results structure, then the paired statistic; worth ``points``."""
    if len(arms) != 2 or arms[0] == arms[1] or {"seeds", "differences"} & set(arms):
        raise ValueError(f"two distinct arm names are needed, got {arms}")
    return (
        Case(
            "both arms on every seed, each run once, the values in the seeds' order",
            points[0],
            _probe(arms, _runs_judge),
        ),
        Case(
            "the paired differences, their mean and the 95 % Student-t interval",
            points[1],
            _probe(arms, _statistics_judge),
        ),
    )


def experiment_exercise(
    exercise_id: str, title: str, arms: tuple[str, str], points: tuple[float, float] = (1, 2)
) -> Exercise:
    """The exercise ``exercise_id`` in which the student writes ``run_experiment`` comparing
    ``arms`` (see :func:`experiment_cases`)."""
    return Exercise(exercise_id, title, "run_experiment", experiment_cases(arms, points))
