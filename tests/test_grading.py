"""Tests of the exercise checker: graded cases, check/score, the generator and ``ganlab grade``.

The correct answers come from :mod:`ganlab.losses`, which the cases never use (they compute
their own references), so a pass here is a pass against an independent oracle.
"""

from __future__ import annotations

import contextlib
import csv
import importlib
import io
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from ganlab import losses
from ganlab.cli import main as cli_main
from ganlab.grading import check, compare, get_exercise, lesson_exercises, notebook, runner, score
from ganlab.grading.core import CaseFailed, CaseResult, ExerciseResult, run_cases
from ganlab.grading.generate import (
    BEGIN,
    END,
    SolutionMarkerError,
    exercise_notebook,
    render_exercises,
    strip_solutions,
)
from ganlab.grading.guard import Fingerprint, grading_namespaces
from ganlab.grading.report import MESSAGE_CHARS, details, write_json

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "00_gan_basics_exercises.ipynb"
EXERCISE = ROOT / "exercises" / SOLUTION.name


def _saturation_gradients(minimax: Callable, nonsaturating: Callable) -> Callable:
    """saturation_gradients as the notebook asks for it, through the given losses."""

    def gradients(logit: float) -> tuple[float, float]:
        out = []
        for loss in (minimax, nonsaturating):
            x = torch.tensor([logit], requires_grad=True)
            (grad,) = torch.autograd.grad(loss(x), x)
            out.append(grad.item())
        return out[0], out[1]

    return gradients


def _minimax(fake: torch.Tensor) -> torch.Tensor:
    return losses.generator_loss(fake, "minimax")


CORRECT = {
    "00.1": losses.discriminator_loss,
    "00.2": _minimax,
    "00.3": losses.generator_loss,
    "00.4": _saturation_gradients(_minimax, losses.generator_loss),
}


def _naive_minimax(fake: torch.Tensor) -> torch.Tensor:
    return torch.log(1 - torch.sigmoid(fake)).mean()


def _naive_nonsaturating(fake: torch.Tensor) -> torch.Tensor:
    return -torch.log(torch.sigmoid(fake)).mean()


def _naive_discriminator(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return _naive_nonsaturating(real) - _naive_minimax(fake)


# Straight from the formulas: right on moderate logits, inf at ±1000.
NAIVE = {"00.1": _naive_discriminator, "00.2": _naive_minimax, "00.3": _naive_nonsaturating}


# ---------------------------------------------------------------------------- graded cases


# the exercises' function names in order (the other lessons' lists are in their test files)
TARGETS = {
    "00": [
        "discriminator_loss",
        "generator_loss_minimax",
        "generator_loss_nonsaturating",
        "saturation_gradients",
        "train_step",
    ]
}
LESSON_TESTS = (
    "test_grading_train_step",
    "test_grading_games",
    "test_grading_tricks",
    "test_grading_stability",
    "test_grading_inception",
    "test_grading_semisupervised",
)


def _merged(name: str) -> dict:
    """The dicts called ``name`` of every lesson's grading tests, merged (keys must not clash)."""
    merged = dict(globals().get(name, {}))
    for module in LESSON_TESTS:
        part = getattr(importlib.import_module(module), name)
        assert not merged.keys() & part.keys(), f"{module}.{name} repeats keys"
        merged.update(part)
    return merged


ALL_CORRECT: dict[str, Callable] = _merged("CORRECT")
ALL_WRONG: dict[str, tuple] = _merged("WRONG")  # name -> (id, answer, hints, failing cases)
ALL_TARGETS: dict[str, list[str]] = _merged("TARGETS")


def test_every_lesson_has_graded_exercises() -> None:
    lessons = sorted(p.stem[:2] for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(ALL_TARGETS) == lessons


@pytest.mark.parametrize("lesson", sorted(ALL_TARGETS))
def test_each_lesson_is_worth_ten_points(lesson: str) -> None:
    exercises = lesson_exercises(lesson)
    assert [e.id for e in exercises] == [f"{lesson}.{k}" for k in range(1, len(exercises) + 1)]
    assert [e.target for e in exercises] == ALL_TARGETS[lesson]
    assert sum(e.max_score for e in exercises) == 10


@pytest.mark.parametrize("lesson", sorted(ALL_TARGETS))
def test_unattempted_exercises_are_not_attempted(lesson: str) -> None:
    def stub(*args: object) -> None:
        raise NotImplementedError()

    for exercise in lesson_exercises(lesson):
        assert run_cases(exercise, stub).status == "not_attempted", exercise.id


@pytest.mark.filterwarnings("ignore:Using a target size:UserWarning")  # 03's paired losses
@pytest.mark.parametrize("mistake", sorted(ALL_WRONG))
def test_a_known_mistake_fails_its_cases_with_a_hint(mistake: str) -> None:
    exercise_id, answer, hints, failing = ALL_WRONG[mistake]
    result = run_cases(get_exercise(exercise_id), answer)
    assert result.status == "failed"
    assert [i for i, c in enumerate(result.cases) if not c.passed] == failing, result.report()
    for index in failing:
        message = result.cases[index].message
        hint = hints if isinstance(hints, str) else hints[index]
        if hint is None:  # a failure no known mistake explains: the comparison alone
            assert "expected" in message, message
        else:
            assert hint in message.splitlines()[-1], result.report()


@pytest.mark.parametrize("exercise_id", sorted(ALL_CORRECT))
def test_correct_answers_pass_every_case(exercise_id: str) -> None:
    result = run_cases(get_exercise(exercise_id), ALL_CORRECT[exercise_id])
    assert result.status == "passed", result.report()
    assert result.score == result.max_score


@pytest.mark.parametrize("exercise_id", sorted(NAIVE))
def test_unstable_losses_fail_only_the_stability_case(exercise_id: str) -> None:
    result = run_cases(get_exercise(exercise_id), NAIVE[exercise_id])
    failed = [c for c in result.cases if not c.passed]
    assert result.status == "failed"
    assert len(failed) == 1 and "stability" in failed[0].name
    assert result.score == result.max_score - failed[0].max_points
    assert "non-finite" in failed[0].message and "±1000" in result.report()


def test_no_hint_when_only_the_non_finite_entries_are_wrong() -> None:
    """A naive answer that overflows to nan but is right elsewhere matches every mistake
    there too; it must get the stability message, not a convention's hint."""
    from ganlab.grading.mistakes import compare_with_mistakes

    expected = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    naive = torch.tensor([float("nan"), 0.0, float("nan")], dtype=torch.float64)
    mistakes = {"a convention hint": torch.tensor([0.5, 0.0, 0.5], dtype=torch.float64)}
    outcome = compare_with_mistakes(naive, expected, lambda: mistakes, what="p")
    assert not outcome.passed
    assert "a convention hint" not in outcome.message and "\n" not in outcome.message
    # an answer that is the mistake where finite, and wrong there, still gets the hint
    half = torch.tensor([0.5, 0.0, float("nan")], dtype=torch.float64)
    assert (
        "a convention hint"
        in compare_with_mistakes(half, expected, lambda: mistakes, what="p").message
    )


def test_sign_error_reports_expected_and_got_values() -> None:
    result = run_cases(get_exercise("00.2"), lambda fake: -_minimax(fake))
    assert result.status == "failed" and result.score == 0
    message = result.cases[0].message
    assert "expected -1.11432, got 1.11432" in message
    assert "dtype torch.float32" in message and "rtol=1e-05, atol=1e-06" in message
    float64 = compare.compare_tensor(torch.tensor(1.0, dtype=torch.float64), torch.tensor(2.0))
    assert "dtype" not in float64.message  # plain numbers arrive as float64: not named


def test_per_example_losses_report_the_shape() -> None:
    result = run_cases(get_exercise("00.3"), lambda fake: torch.nn.functional.softplus(-fake))
    assert "expected shape () (a scalar), got shape (10,)" in result.cases[0].message


def test_batch_sizes_are_averaged_separately() -> None:
    def pooled(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        softplus = torch.nn.functional.softplus
        return 2 * torch.cat([softplus(-real), softplus(fake)]).mean()

    result = run_cases(get_exercise("00.1"), pooled)
    assert [c.passed for c in result.cases] == [True, False, True]


def test_a_loss_without_gradient_fails() -> None:
    result = run_cases(
        get_exercise("00.3"), lambda fake: torch.tensor(losses.generator_loss(fake).item())
    )
    assert not result.cases[0].passed and "no gradient" in result.cases[0].message


def test_saturation_gradients_in_the_wrong_order_or_shape_fail() -> None:
    swapped = CORRECT["00.4"]
    result = run_cases(get_exercise("00.4"), lambda logit: swapped(logit)[::-1])
    assert [c.passed for c in result.cases] == [True, False, False]
    assert "expected [-0.006692851, -0.9933071], got [-0.99330" in result.report()
    result = run_cases(get_exercise("00.4"), lambda logit: None)
    assert "expected a tuple of 2 floats, got None" in result.cases[0].message


class _SubTensor(torch.Tensor):
    """Could answer torch's functions itself, through ``__torch_function__``."""


def test_as_floats_takes_tuples_numpy_arrays_and_tensors() -> None:
    answers = [
        (1.0, 2),
        (torch.tensor(1.0), np.float32(2.0)),
        np.array([1.0, 2.0]),
        np.array([1, 2], dtype=np.float32),
        torch.tensor([1.0, 2.0], requires_grad=True),
    ]
    for got in answers:
        assert compare.as_floats(got, 2) == [1.0, 2.0], got
    refused = [
        (np.ones(3), "expected a tuple of 2 floats, got array([1., 1., 1.])"),
        (torch.ones(3), "expected a tuple of 2 floats, got tensor([1., 1., 1.])"),
        (torch.ones(2).as_subclass(_SubTensor), "expected a tuple of 2 floats, got _SubTensor("),
        (np.array(["a", "b"]), "expected 2 floats, got array(['a', 'b']"),
    ]
    for got, complaint in refused:
        with pytest.raises(CaseFailed) as failure:
            compare.as_floats(got, 2, "the result")
        assert str(failure.value).startswith(f"the result: {complaint}")
    gradients = CORRECT["00.4"]
    result = run_cases(get_exercise("00.4"), lambda logit: np.array(gradients(logit)))
    assert result.status == "passed", result.report()


def test_check_never_raises(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook, "_checked", {})

    def not_done(*args: object) -> None:
        raise NotImplementedError()

    result = check("00.1", not_done)
    assert result.status == "not_attempted" and "not attempted yet" in repr(result)
    result = check("00.2", lambda fake: sys.exit(1))
    assert result.status == "failed" and "raised SystemExit: 1" in repr(result)
    result = check("00.3", None)
    assert result.status == "failed" and "raised TypeError" in repr(result)
    result = check("99.1", CORRECT["00.1"])
    assert result.status == "error" and "known exercises: 00.1" in result.message


def test_score_totals_the_latest_checks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(notebook, "_checked", {})
    check("00.1", NAIVE["00.1"])
    check("00.1", CORRECT["00.1"])
    check("00.3", CORRECT["00.3"])
    total = score("00")
    points = get_exercise("00.1").max_score + get_exercise("00.3").max_score
    assert (total.score, total.max_score) == (points, 10)
    assert repr(total).startswith(f"Lesson 00: {points:g} / 10 points")
    assert "not checked yet" in total.results[1].message


def test_fingerprint_notices_replaced_functions_and_code(monkeypatch: pytest.MonkeyPatch) -> None:
    fingerprint = Fingerprint(grading_namespaces(lesson_exercises("00")))
    monkeypatch.setattr(torch, "a_new_name", 1, raising=False)
    monkeypatch.setattr(torch, "manual_seed", torch.manual_seed.__call__)  # as torch._dynamo does
    assert fingerprint.changes() == []
    monkeypatch.setattr(torch, "allclose", lambda *args, **kwargs: True)
    monkeypatch.setattr(compare.show, "__code__", (lambda values: "").__code__)
    monkeypatch.setattr(ExerciseResult, "to_record", lambda self: {})
    assert set(fingerprint.changes()) == {
        "torch.allclose",
        "ganlab.grading.compare.show",
        "ganlab.grading.lessons.l00.show",  # the same function, imported there
        "ganlab.grading.core.ExerciseResult.to_record",
    }


# ------------------------------------------------------------------------------ generator


def test_strip_solutions_keeps_the_indentation() -> None:
    source = f"def f(x):\n    '''Doc.'''\n    {BEGIN}\n    y = x + 1\n    return y\n    {END}\n"
    stub = ("# YOUR CODE HERE", "raise NotImplementedError()")
    assert strip_solutions(source, stub) == (
        "def f(x):\n    '''Doc.'''\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    )


@pytest.mark.parametrize(
    ("source", "complaint"),
    [
        (f"x = 1\n{BEGIN}\ny = 2", f"'{BEGIN}' on line 2 has no matching '{END}'"),
        (f"x = 1\n{END}", f"line 2 has '{END}' without '{BEGIN}'"),
        (
            f"{BEGIN}\n{BEGIN}\n{END}",
            "line 2 opens a solution region inside the one opened on line 1",
        ),
    ],
)
def test_broken_markers_name_the_file_and_cell(source: str, complaint: str) -> None:
    solution = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_markdown_cell("# title"), nbformat.v4.new_code_cell(source)]
    )
    with pytest.raises(SolutionMarkerError) as error:
        exercise_notebook(solution, "solutions/99_broken.ipynb")
    assert str(error.value).startswith(f"solutions/99_broken.ipynb, cell 1 (code): {complaint}")


def test_committed_exercises_are_in_sync_with_the_solutions() -> None:
    rendered = render_exercises(ROOT / "solutions")
    committed = {
        p.name: p.read_text(encoding="utf-8") for p in (ROOT / "exercises").glob("*.ipynb")
    }
    assert committed == rendered, "exercises/ is out of date: run `make exercises`"


def test_no_solution_text_survives_in_the_exercises() -> None:
    for solution in (ROOT / "solutions").glob("*.ipynb"):
        exercise_text = (ROOT / "exercises" / solution.name).read_text(encoding="utf-8")
        exercise = nbformat.reads(exercise_text, as_version=4)
        assert all(c.get("outputs", []) == [] for c in exercise.cells)
        assert all(c.get("execution_count") is None for c in exercise.cells)
        sources = "\n".join(c.source for c in exercise.cells)
        cells = nbformat.read(solution, as_version=4).cells
        # text the solution notebook also shows outside its answers (e.g. a buggy version to
        # fix) may legitimately appear in the exercise
        given = {line.strip() for c in cells for line in strip_solutions(c.source, ()).splitlines()}
        for cell in cells:
            region = cell.source.split(BEGIN)[1:]
            answer = [line.strip() for part in region for line in part.split(END)[0].splitlines()]
            for line in answer:
                if len(line) > 8 and line not in given:  # `return x` and the like are not text
                    assert line not in sources, f"{solution.name}: {line!r} is in the exercise"


def test_exercises_command_writes_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    args = ["exercises", "--solutions", str(ROOT / "solutions"), "--exercises", str(tmp_path)]
    assert cli_main([*args, "--check"]) == 1
    assert "out of date" in capsys.readouterr().out and not list(tmp_path.iterdir())
    assert cli_main(args) == 0
    assert cli_main([*args, "--check"]) == 0
    written = (tmp_path / EXERCISE.name).read_text(encoding="utf-8")
    assert written == EXERCISE.read_text(encoding="utf-8")


# ------------------------------------------------------------------------- ganlab grade


def test_grade_solutions_full_marks_and_exercises_zero(tmp_path: Path) -> None:
    report, table = tmp_path / "report.json", tmp_path / "report.csv"
    command = [sys.executable, "-m", "ganlab.cli", "grade", str(ROOT / "solutions")]
    command += [str(ROOT / "exercises"), "--json", str(report), "--csv", str(table)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    entries = json.loads(report.read_text())
    rows = list(csv.DictReader(table.open()))
    notebooks = [
        Path(folder, path.name)
        for folder in ("solutions", "exercises")
        for path in sorted((ROOT / folder).glob("*.ipynb"))
    ]
    assert [Path(e["notebook"]).relative_to(ROOT) for e in entries] == notebooks
    assert len(notebooks) == 2 * len(list((ROOT / "solutions").glob("*.ipynb"))) > 0
    for path, entry, row in zip(notebooks, entries, rows, strict=True):
        exercises = lesson_exercises(path.name[:2])  # NN_name.ipynb holds lesson NN
        max_score = sum(e.max_score for e in exercises)
        solved = path.parts[0] == "solutions"
        assert set(entry) - {"answers"} == {"notebook", "score", "max_score", "exercises"}
        answers = entry.get("answers", {})
        assert all(answers.values()) if solved else not any(answers.values()), path
        assert entry["max_score"] == max_score
        assert [e["id"] for e in entry["exercises"]] == [e.id for e in exercises]
        assert entry["score"] == (max_score if solved else 0.0)
        statuses = {e["status"] for e in entry["exercises"]}
        assert statuses == ({"passed"} if solved else {"not_attempted"}), path
        assert row["score"] == str(entry["score"])
        assert all(row[e.id] == str(e.max_score if solved else 0.0) for e in exercises)
        assert f"{ROOT / path}: {entry['score']:g} / {max_score:g}" in done.stdout


def _edited_solution(edit: Callable[[list], None]) -> nbformat.NotebookNode:
    solution = nbformat.read(SOLUTION, as_version=4)
    edit(solution.cells)
    return solution


def _index(cells: list, text: str) -> int:
    return next(i for i, cell in enumerate(cells) if text in cell.source)


def _insert_before(text: str, source: str) -> Callable[[list], None]:
    return lambda cells: cells.insert(_index(cells, text), nbformat.v4.new_code_cell(source))


def _prepend(text: str, source: str) -> Callable[[list], None]:
    def edit(cells: list) -> None:
        cell = cells[_index(cells, text)]
        cell.source = source + cell.source

    return edit


SUBMISSIONS = {
    # Replaces the grading function between exercises 00.1 and 00.2.
    "tamper": _insert_before(
        'check("00.2"', "import ganlab.grading.core as core\n\ncore.run_cases = lambda *a: None"
    ),
    # Replaces a NumPy function between exercises 00.1 and 00.2.
    "tamper_numpy": _insert_before(
        'check("00.2"', "import numpy\n\nnumpy.allclose = lambda *args, **kwargs: True"
    ),
    "hang": _insert_before('check("00.3"', "while True:\n    pass"),
    "exits": _prepend("def discriminator_loss", "import sys\n\nsys.exit(1)\n"),
    "syntax": _prepend("def saturation_gradients", "def broken(:\n    pass\n\n"),
    "crash": _insert_before('check("00.3"', "import os\n\nos._exit(3)"),
    # The check cell of 00.2 deleted: the exercise is graded all the same, at the end.
    "unchecked": lambda cells: cells.pop(_index(cells, 'check("00.2"')),
    "noisy": _insert_before(
        'check("00.1"',
        "def check(*args):\n    return 'all passed'\n\n\nopen('leftover.txt', 'w').write('x')\n"
        "for _ in range(20_000):\n    print('spam ' * 100)",
    ),
}
# Ignores the per-cell alarm, so only the overall deadline stops it.
DEAF = (
    "import signal\nimport time\n\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
    "while True:\n    time.sleep(0.05)"
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Every bad submission graded by one `ganlab grade` run (workers cost ~3 s each)."""
    folder = tmp_path_factory.mktemp("submissions")
    for name, edit in SUBMISSIONS.items():
        nbformat.write(_edited_solution(edit), folder / f"{name}.ipynb")
    deaf = [nbformat.v4.new_code_cell(DEAF), nbformat.v4.new_code_cell('check("00.1", f)')]
    nbformat.write(nbformat.v4.new_notebook(cells=deaf), folder / "deaf.ipynb")
    unknown = [nbformat.v4.new_code_cell('check("99.1", f)')]
    nbformat.write(nbformat.v4.new_notebook(cells=unknown), folder / "unknown.ipynb")
    (folder / "truncated.ipynb").write_text('{"cells": [')
    (folder / "data.ipynb").write_text("[1, 2, 3]")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "hang-checkpoint.ipynb").write_text("{}")
    (folder / "notes.txt").write_text("not a notebook")
    before = sorted(folder.rglob("*"))
    report, temp = folder.parent / "report.json", tmp_path_factory.mktemp("temp")
    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            runner, "STARTUP_S", 1.0
        )  # the deaf notebook's deadline: 1 + 3 × (4 + exercises) s
        patch.setattr(tempfile, "tempdir", str(temp))
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            args = [str(folder), str(folder / "notes.txt"), "--timeout", "3", "--jobs", "3"]
            code = cli_main(["grade", *args, "--json", str(report)])
    entries = {Path(e["notebook"]).name: e for e in json.loads(report.read_text())}
    return {
        "code": code,
        "stdout": out.getvalue(),
        "stderr": err.getvalue(),
        "entries": entries,
        "unchanged": sorted(folder.rglob("*")) == before,
        "temp_left": list(temp.iterdir()),
    }


def _expect(**changed: tuple[str, float]) -> list[tuple[str, float]]:
    """Lesson 00's (status, score) per exercise: passed with full marks, except ``changed``
    (by exercise, ``e00_3=("timeout", 0)``)."""
    return [
        changed.get("e" + e.id.replace(".", "_"), ("passed", e.max_score))
        for e in lesson_exercises("00")
    ]


def _statuses(graded: dict, name: str) -> list[tuple[str, float]]:
    return [(e["status"], e["score"]) for e in graded["entries"][f"{name}.ipynb"]["exercises"]]


def _message(graded: dict, name: str, exercise_id: str) -> str:
    exercises = graded["entries"][f"{name}.ipynb"]["exercises"]
    return next(e["message"] for e in exercises if e["id"] == exercise_id)


@pytest.mark.parametrize(
    ("name", "replaced"),
    [("tamper", "ganlab.grading.core.run_cases"), ("tamper_numpy", "numpy.allclose")],
)
def test_tampering_voids_the_exercises_graded_after_it(
    graded: dict, name: str, replaced: str
) -> None:
    voided = dict.fromkeys(["e00_2", "e00_3", "e00_4", "e00_5"], ("error", 0))
    assert _statuses(graded, name) == _expect(**voided)
    assert f"grading machinery was modified ({replaced})" in _message(graded, name, "00.2")


def test_a_hanging_cell_times_out_only_its_exercise(graded: dict) -> None:
    assert _statuses(graded, "hang") == _expect(e00_3=("timeout", 0))
    assert "time limit of 3 s" in _message(graded, "hang", "00.3")


def test_sys_exit_in_a_cell_costs_only_that_exercise(graded: dict) -> None:
    # 00.5's step calls the discriminator_loss the exit left undefined: it fails, and says so
    assert _statuses(graded, "exits") == _expect(e00_1=("error", 0), e00_5=("failed", 0))
    message = _message(graded, "exits", "00.1")
    assert "defines no discriminator_loss" in message and "SystemExit: 1" in message
    assert "NameError" in _message(graded, "exits", "00.5")


def test_a_syntax_error_costs_only_that_exercise(graded: dict) -> None:
    assert _statuses(graded, "syntax") == _expect(e00_4=("error", 0))
    assert "SyntaxError" in _message(graded, "syntax", "00.4")


def test_results_before_a_crash_survive(graded: dict) -> None:
    crashed = dict.fromkeys(["e00_3", "e00_4", "e00_5"], ("error", 0))
    assert _statuses(graded, "crash") == _expect(**crashed)
    assert "ended (exit code 3)" in _message(graded, "crash", "00.3")


def test_floods_a_redefined_check_or_a_deleted_one_change_nothing(graded: dict) -> None:
    assert graded["entries"]["noisy.ipynb"]["score"] == 10
    assert graded["entries"]["unchecked.ipynb"]["score"] == 10


def test_a_worker_deaf_to_the_alarm_is_killed_at_the_deadline(graded: dict) -> None:
    assert _statuses(graded, "deaf") == [("timeout", 0)] * len(lesson_exercises("00"))
    deadline = runner.deadline_seconds(len(lesson_exercises("00")), 3.0) - runner.STARTUP_S + 1
    assert f"overall limit of {deadline:g} s" in _message(graded, "deaf", "00.1")


def test_bad_files_get_a_clear_message_and_the_rest_is_graded(graded: dict) -> None:
    assert graded["code"] == 1  # some notebooks could not be graded
    errors = {name: e.get("error", "") for name, e in graded["entries"].items()}
    assert errors["unknown.ipynb"].startswith("no known exercise set")
    assert errors["truncated.ipynb"].startswith("not valid JSON")
    assert errors["data.ipynb"].startswith("not a Jupyter notebook")
    assert errors["notes.txt"].startswith("not a notebook")
    assert "hang-checkpoint.ipynb" not in errors
    for name in ("unknown.ipynb", "truncated.ipynb", "data.ipynb", "notes.txt"):
        assert f"{name}: NOT GRADED" in graded["stderr"]


def test_the_table_lists_every_submission(graded: dict) -> None:
    table = graded["stdout"].split("\n\n")[-1]
    ids = [e.id for e in lesson_exercises("00")]
    assert table.splitlines()[0].split()[-len(ids) - 1 :] == [*ids, "total"]
    assert len(table.strip().splitlines()) == 1 + len(graded["entries"])


def test_details_cut_each_line_and_keep_the_hint(tmp_path: Path) -> None:
    comparison = "step(x=1) = (x_new, y_new): expected [" + "0.1234567, " * 40 + "]"
    hint = "y stepped down its gradient: y maximises V, so y_new = y + lr·x"
    traceback = "\n".join(f"line {i}" for i in range(1, 6))
    cases = (
        CaseResult("one step", 0.0, 1.0, False, f"{comparison}\n{hint}"),
        CaseResult("passes", 1.0, 1.0, True, "matches"),
        CaseResult("many steps", 0.0, 1.0, False, f"raised ValueError: {traceback}"),
    )
    full = ExerciseResult("01.1", "one step", "failed", 1.0, 3.0, cases=cases)
    # As the runner has it: only the summary survives the worker's JSON line.
    result = ExerciseResult("01.1", "one step", "failed", 1.0, 3.0, full.summary())
    graded = runner.NotebookReport("sub.ipynb", [result])
    head, *message = details(graded).splitlines()
    assert head == "sub.ipynb: 1 / 3"
    indent = message[0].index("one step:")
    assert [line[indent:] for line in message] == [
        f"one step: {comparison}"[: MESSAGE_CHARS - 3] + "...",
        hint,
        "many steps: raised ValueError: line 1 (+4 more in --json)",
    ]
    assert message[0].startswith("  01.1 failed")
    assert all(not line[:indent].strip() for line in message[1:])
    write_json([graded], tmp_path / "report.json")
    written = json.loads((tmp_path / "report.json").read_text())
    assert written[0]["exercises"][0]["message"] == full.summary()
    assert comparison in full.summary() and "line 5" in full.summary()


def test_nothing_is_written_outside_the_reports(graded: dict) -> None:
    assert graded["unchanged"] and graded["temp_left"] == []
    assert not (Path.cwd() / "leftover.txt").exists()


def test_exit_code_is_1_when_nothing_could_be_graded(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "broken.ipynb").write_text("{")
    assert cli_main(["grade", str(tmp_path), str(tmp_path / "missing.ipynb")]) == 1
    err = capsys.readouterr().err
    assert "missing.ipynb: NOT GRADED: cannot read it" in err
    assert "2 of 2 not graded" in err


def test_exercises_never_overwrite_a_students_edits(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    shutil.copy(SOLUTION, solutions / SOLUTION.name)
    args = ["exercises", "--solutions", str(solutions), "--exercises", str(exercises)]
    assert cli_main(args) == 0
    path = exercises / EXERCISE.name
    # a student writes an answer: their notebook is kept, and says so
    notebook = nbformat.read(path, as_version=4)
    stub = next(c for c in notebook.cells if "raise NotImplementedError()" in c.source)
    stub.source = stub.source.replace("raise NotImplementedError()", "return 42")
    nbformat.write(notebook, path)
    answered = path.read_bytes()
    # ... and the solutions change afterwards (the instructor fixed a typo)
    fixed = nbformat.read(SOLUTION, as_version=4)
    fixed.cells[0].source += "\n\nA typo fixed."
    nbformat.write(fixed, solutions / SOLUTION.name)
    capsys.readouterr()
    assert cli_main(args) == 1
    assert "kept:" in capsys.readouterr().err and path.read_bytes() == answered
    assert cli_main([*args, "--check"]) == 1 and path.read_bytes() == answered
    # an untouched (only executed) notebook is refreshed; --force replaces an edited one
    assert cli_main([*args, "--force"]) == 0 and path.read_bytes() != answered
    refreshed = nbformat.read(path, as_version=4)
    assert "A typo fixed." in refreshed.cells[0].source
    refreshed.cells[0].source += " Again."
    nbformat.write(refreshed, solutions / SOLUTION.name)
    executed = nbformat.read(path, as_version=4)
    first_code = next(c for c in executed.cells if c.cell_type == "code")
    first_code.outputs = [nbformat.v4.new_output("stream", text="ran")]
    nbformat.write(executed, path)
    assert cli_main(args) == 0
    assert nbformat.read(path, as_version=4).cells[0].source.endswith("Again.")


def test_an_exception_names_the_line_of_the_students_cell() -> None:
    namespace: dict = {}
    source = "def loss(real, fake):\n    scale = 0\n    return (real / fake).mean() // scale.x\n"
    exec(compile(source, "<ipython-input-7-0123abcd>", "exec"), namespace)
    result = run_cases(get_exercise("00.1"), namespace["loss"])
    message = result.cases[0].message
    assert message.startswith("raised AttributeError: 'int' object has no attribute 'x'")
    assert message.endswith("(line 3 of loss)")
    library = run_cases(get_exercise("00.1"), lambda r, f: torch.cat(r))  # raises inside torch
    assert "line" not in library.cases[0].message


def test_a_lesson_and_its_exercises_have_names_of_their_own() -> None:
    """Exercises and solutions pair by name; the lesson's name differs (two browser tabs)."""
    for lesson in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        name = f"{lesson.stem}_exercises.ipynb"
        solution, exercise = ROOT / "solutions" / name, ROOT / "exercises" / name
        assert solution.is_file() and exercise.is_file(), lesson.name
        assert f"../exercises/{name}" in lesson.read_text(encoding="utf-8")
        assert f"../notebooks/{lesson.name}" in exercise.read_text(encoding="utf-8")
