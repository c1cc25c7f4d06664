"""Tests of experiment exercises (ganlab.grading.experiment) and written questions
(ganlab.grading.questions).

Oracles: Student's t quantiles from scipy; a correct ``run_experiment`` written with
``ganlab.stats.paired_comparison`` (its own t table); each known mistake written out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
import torch
from scipy import stats as scipy_stats

from ganlab.grading.core import Exercise, run_cases
from ganlab.grading.experiment import (
    SEED_SETS,
    WRONG_DEGREES_QUANTILE,
    experiment_cases,
    stand_in,
    t_quantile_975,
)
from ganlab.grading.questions import Question, clean_answer, written_answers
from ganlab.grading.report import details, write_csv, write_json
from ganlab.grading.runner import NotebookReport
from ganlab.stats import paired_comparison


def correct_experiment(
    arms: tuple[str, str], quantile: Callable[[int], float] | None = None
) -> Callable:
    """A correct run_experiment for ``arms`` (the lesson test files' oracle), the interval
    from ganlab.stats, or from ``quantile(df)`` to make a known mistake; reversed ``arms``
    give the differences the wrong way round."""

    def run_experiment(train: Callable[[str, int], float], seeds: list[int]) -> dict:
        values = {arm: {seed: train(arm, seed) for seed in seeds} for arm in arms}
        comparison = paired_comparison(values[arms[0]], values[arms[1]])
        differences = [values[arms[1]][s] - values[arms[0]][s] for s in seeds]
        interval = list(comparison.ci95)
        if quantile is not None:
            std = float(torch.tensor(differences, dtype=torch.float64).std())
            half = quantile(len(seeds) - 1) * std / len(seeds) ** 0.5
            interval = [comparison.mean_diff - half, comparison.mean_diff + half]
        return {
            "seeds": list(seeds),
            **{arm: [values[arm][s] for s in seeds] for arm in arms},
            "differences": differences,
            "mean_difference": comparison.mean_diff,
            "ci95": interval,
        }

    return run_experiment


ARMS = ("vanilla", "the trick")
EXERCISE = Exercise("98.1", "a paired experiment", "run_experiment", experiment_cases(ARMS))


def _run(train, seeds, *, interval=None, order=ARMS, calls_per_seed=1) -> dict:
    """A run_experiment; the keyword arguments make the known mistakes."""
    values = {arm: [] for arm in ARMS}
    for seed in seeds:
        for arm in order:
            for _ in range(calls_per_seed):
                value = train(arm, seed)
            values[arm].append(value)
    a, b = values[ARMS[0]], values[ARMS[1]]
    differences = [y - x for x, y in zip(a, b, strict=True)]
    comparison = paired_comparison(
        dict(zip(seeds, a, strict=True)), dict(zip(seeds, b, strict=True))
    )
    ci = interval(differences, a, b) if interval else list(comparison.ci95)
    return {
        "seeds": list(seeds),
        **values,
        "differences": differences,
        "mean_difference": comparison.mean_diff,
        "ci95": ci,
    }


def _half(differences, quantile, ddof=1):
    n = len(differences)
    return quantile * torch.tensor(differences, dtype=torch.float64).std(correction=ddof) / n**0.5


def _normal(differences, a, b):
    m, h = sum(differences) / len(differences), _half(differences, 1.96).item()
    return [m - h, m + h]


def _ddof0(differences, a, b):
    n = len(differences)
    m, h = sum(differences) / n, _half(differences, scipy_stats.t.ppf(0.975, n - 1), 0).item()
    return [m - h, m + h]


def _unpaired(differences, a, b):
    n = len(a)
    se = math.sqrt(
        torch.tensor(a, dtype=torch.float64).var().item() / n
        + torch.tensor(b, dtype=torch.float64).var().item() / n
    )
    m, h = sum(differences) / n, scipy_stats.t.ppf(0.975, n - 1) * se
    return [m - h, m + h]


def _relabel(out: dict, names: tuple[str, str], change=list) -> dict:
    """``out`` with the arms' values stored under ``names``, each list passed through ``change``."""
    values = [out[arm] for arm in ARMS]
    return {**out, **{name: change(v) for name, v in zip(names, values, strict=True)}}


@pytest.mark.parametrize("df", [1, 2, 4])
def test_t_quantiles_in_closed_form_match_scipy(df: int) -> None:
    assert t_quantile_975(df) == pytest.approx(scipy_stats.t.ppf(0.975, df), rel=1e-12)
    with pytest.raises(ValueError, match="df = 3"):
        t_quantile_975(3)
    for n, quantile in WRONG_DEGREES_QUANTILE.items():  # the hint's t with n, not n − 1
        if quantile is not None:
            assert quantile == pytest.approx(scipy_stats.t.ppf(0.975, n), abs=1e-6)


def test_the_stand_in_is_paired_and_the_seed_sets_have_closed_form_quantiles() -> None:
    for seeds in SEED_SETS:
        assert len(seeds) - 1 in (1, 2, 4)
    a = [stand_in(ARMS, ARMS[0], s) for s in range(50)]
    b = [stand_in(ARMS, ARMS[1], s) for s in range(50)]
    assert torch.corrcoef(torch.tensor([a, b]))[0, 1] > 0.7  # a shared seed effect
    assert stand_in(ARMS, "vanilla", 3) == stand_in(ARMS, "vanilla", 3)


def test_a_correct_experiment_passes_and_a_stub_is_not_attempted() -> None:
    result = run_cases(EXERCISE, _run)
    assert result.status == "passed", result.report()

    def stub(train, seeds):
        raise NotImplementedError

    assert run_cases(EXERCISE, stub).status == "not_attempted"


@pytest.mark.parametrize(
    ("mistake", "failing", "hint"),
    [
        (lambda t, s: _run(t, s, interval=_normal), [1], "normal quantile 1.96"),
        (lambda t, s: _run(t, s, interval=_ddof0), [1], "(ddof = 0)"),
        (lambda t, s: _run(t, s, interval=_unpaired), [1], "paired by seed"),
        (lambda t, s: _relabel(_run(t, s), ARMS[::-1]), [0], "the arms are swapped"),
        (lambda t, s: _run(t, s, calls_per_seed=2), [0], "more than once"),
        (lambda t, s: _run(t, s[:-1]), [0, 1], "did not train"),
        (lambda t, s: _relabel(_run(t, s), ARMS, sorted), [0], "order"),
    ],
)
def test_known_mistakes_are_named(mistake, failing: list[int], hint: str) -> None:
    result = run_cases(EXERCISE, mistake)
    assert [i for i, c in enumerate(result.cases) if not c.passed] == failing, result.report()
    assert hint in result.cases[failing[0]].message, result.report()


def test_reversed_differences_are_named() -> None:
    def reversed_differences(train, seeds):
        out = _run(train, seeds)
        out["differences"] = [-d for d in out["differences"]]
        return out

    result = run_cases(EXERCISE, reversed_differences)
    assert not result.cases[1].passed and "second arm minus the first" in result.cases[1].message


def test_arm_names_are_checked() -> None:
    with pytest.raises(ValueError, match="two distinct arm names"):
        experiment_cases(("a", "a"))


# ------------------------------------------------------------------------ written questions


def _notebook(tmp_path: Path, answer: str, tags: list[str]) -> Path:
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_markdown_cell(answer)
    cell.metadata["tags"] = tags
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), cell]
    path = tmp_path / "answers.ipynb"
    nbformat.write(notebook, path)
    return path


def test_written_answers_are_read_from_the_tagged_cell(tmp_path: Path) -> None:
    questions = [Question("03.Q1", "what it shows"), Question("03.Q2", "why")]
    path = _notebook(tmp_path, "Feature matching covers\nmore modes.", ["answer:03.Q1"])
    assert written_answers(path, questions) == {
        "03.Q1": "Feature matching covers\nmore modes.",
        "03.Q2": "",
    }
    path = _notebook(tmp_path, "YOUR ANSWER HERE", ["answer:03.Q1"])
    assert written_answers(path, questions)["03.Q1"] == ""
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert written_answers(tmp_path / "broken.ipynb", questions) == {"03.Q1": "", "03.Q2": ""}
    assert clean_answer("x" * 5000).endswith("[... cut]")
    with pytest.raises(ValueError, match="03.Q1"):
        Question("03.1", "not a question id")


def test_answers_reach_every_report_escaped(tmp_path: Path) -> None:
    report = NotebookReport(
        "alice.ipynb", answers={"03.Q1": "=HYPERLINK(1)\x1b[31m red", "03.Q2": ""}
    )
    text = details(report)
    assert "03.Q1 written answer, 2 words: =HYPERLINK(1)?[31m red" in text
    assert "03.Q2 written answer: none" in text
    write_json([report], tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())[0]["answers"]["03.Q1"].startswith("=HYP")
    write_csv([report], tmp_path / "r.csv")
    header, row = (tmp_path / "r.csv").read_text().splitlines()
    assert header.endswith("03.Q1 answer,03.Q2 answer")
    assert row.endswith("'=HYPERLINK(1)?[31m red,")


def test_every_question_has_its_answer_cell_in_the_solution_and_the_exercise() -> None:
    from ganlab.grading.lessons import registry
    from ganlab.grading.questions import lesson_questions

    root = Path(__file__).resolve().parents[1]
    for lesson in sorted({e.lesson for e in registry().values()}):
        questions = lesson_questions(lesson)
        if not questions:
            continue
        (solution,) = (root / "solutions").glob(f"{lesson}_*.ipynb")
        exercise = root / "exercises" / solution.name
        solved = written_answers(solution, questions)
        assert all(solved.values()), f"{solution.name}: a question has no model answer"
        assert not any(written_answers(exercise, questions).values()), exercise.name


def test_the_grading_worker_does_not_import_nbformat() -> None:
    """nbformat takes about a second to import; the worker, started per submission, needs none."""
    import subprocess
    import sys

    code = "import sys, ganlab.grading.worker, ganlab.grading; print('nbformat' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
