"""The ``ganlab`` command line for a newcomer: a user error is one line on stderr with a
non-zero exit status and no traceback (after argparse's usage, when argparse found it), a
bug keeps its traceback, and every command and option is described in ``--help``."""

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlab.bench import movie
from ganlab.cli import build_parser, main, subparsers_of
from ganlab.config import profile_name

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = str(ROOT / "solutions" / "00_gan_basics_exercises.ipynb")


def assert_one_error_line(code: int, err: str, *needles: str) -> str:
    """The error line, after checking the status, the usage lines and the absent traceback."""
    assert code == 2, err
    assert "Traceback" not in err
    lines = err.rstrip("\n").splitlines()
    usage = lines[:-1]
    if usage:  # argparse's usage: a first line "usage: ...", then indented continuations
        assert usage[0].startswith("usage: ganlab") and all(
            line.startswith(" ") for line in usage[1:]
        ), err
    last = lines[-1]
    assert last.startswith("ganlab") and ": error: " in last, err
    for needle in needles:
        assert needle in last, (needle, last)
    return last


def _file(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.write_text("{}")
    return str(path)


# (argv, what the error line must say); {file} is an existing plain file, {nb} a notebook,
# {tmp} a folder, {missing} a path that does not exist
BAD_OPTIONS = [
    (["nosuchcommand"], "invalid choice"),
    (["bench"], "required: BENCHMARK"),
    (["bench", "nosuch"], "invalid choice"),
    (["ssl", "--labels", "7"], "--labels: must be a multiple of 10"),
    (["ssl", "--labels", "0"], "--labels: must be an integer >= 1"),
    (["ssl", "--labels", "ten"], "'ten' is not an integer"),
    (["ssl", "--data", "bogus"], "--data: invalid choice"),
    (["ssl", "--lr", "inf"], "--lr: must be finite and > 0, got inf"),
    (["ssl", "--lr", "nan"], "--lr: must be finite and > 0, got nan"),
    (["ssl", "--lr", "0"], "--lr: must be finite and > 0"),
    (["ssl", "--lr=-1e-3"], "--lr: must be finite and > 0"),
    (["ssl", "--lr", "fast"], "'fast' is not a number"),
    (["ssl", "--epochs", "0"], "--epochs: must be an integer >= 1"),
    (["ssl", "--epochs", "1.5"], "'1.5' is not an integer"),
    (["ssl", "--ema-rate", "-0.1"], "--ema-rate: must be in (0, 1]"),
    (["ssl", "--ema-rate", "2"], "--ema-rate: must be in (0, 1]"),
    (["ssl", "--unlabeled-weight", "-1"], "--unlabeled-weight: must be finite and >= 0"),
    (["ssl", "--unlabeled-weight", "inf"], "--unlabeled-weight: must be finite and >= 0"),
    (["ssl", "--seed", "-1"], "--seed: must be an integer >= 0"),
    (["ssl", "--device", "toaster"], "'toaster' is not a torch device"),
    (["ssl", "--generator-objective", "magic"], "invalid choice"),
    (["ssl", "--out", "{file}"], "exists and is not a folder"),
    (["ssl", "--out", "{file}/run"], "cannot create it"),
    (["execute", "{missing}.ipynb"], "no such file"),
    (["execute", "{tmp}"], "is not a file"),
    (["execute", "{file}"], "is not a notebook (.ipynb)"),
    (["execute", "{nb}", "--timeout", "0"], "--timeout: must be an integer >= 1"),
    (["execute", "{nb}", "--profile", "medium"], "--profile: invalid choice"),
    (["bench", "modes", "--datasets", "bogus"], "--datasets: unknown 'bogus'"),
    (["bench", "modes", "--methods", "vanilla,magic"], "--methods: unknown 'magic'"),
    (["bench", "modes", "--seeds", "0"], "--seeds: must be an integer >= 1"),
    (["bench", "modes", "--seeds", "nan"], "'nan' is not an integer"),
    (["bench", "modes", "--out", "{file}"], "exists and is not a folder"),
    (["bench", "modes", "--device", "toaster"], "not a torch device"),
    (["bench", "modes", "--profile", "slow"], "--profile: invalid choice"),
    (["bench", "ssl", "--arms", "b,zz"], "unknown arm(s) zz"),
    (["bench", "ssl", "--steps", "0"], "--steps: must be an integer >= 1"),
    (["bench", "ssl", "--seeds", "-2"], "--seeds: must be an integer >= 1"),
    (["bench", "ssl", "--results", "{missing}/r.json"], "cannot write in"),
    (["bench", "ssl", "--results", "{tmp}"], "is a folder"),
    (["bench", "device", "--steps", "-1"], "--steps: must be an integer >= 1"),
    (["bench", "minibatch", "-n", "100", "0"], "--batch-sizes: must be an integer >= 1"),
    (["bench", "minibatch", "--kernels", "x"], "-b/--kernels: 'x' is not an integer"),
    (["bench", "minibatch", "-c", "-1"], "-c/--kernel-dim: must be an integer >= 1"),
    (["bench", "minibatch", "-a", "0"], "-a/--in-features: must be an integer >= 1"),
    (["bench", "minibatch", "--repeats", "0"], "--repeats: must be an integer >= 1"),
    (["bench", "movie", "--device", "toaster"], "not a torch device"),
    (["exercises", "--solutions", "{missing}"], "no such folder"),
    (["exercises", "--exercises", "{file}"], "exists and is not a folder"),
    (["grade", SOLUTION, "--timeout", "inf"], "--timeout: must be finite and > 0"),
    (["grade", SOLUTION, "--jobs", "0"], "--jobs: must be an integer >= 1"),
    (["grade", SOLUTION, "--json", "{tmp}"], "is a folder"),
    (["grade", SOLUTION, "--csv", "{missing}/r.csv"], "cannot write in"),
]


@pytest.mark.parametrize(("argv", "says"), BAD_OPTIONS, ids=[" ".join(a) for a, _ in BAD_OPTIONS])
def test_a_bad_option_is_one_error_line(argv, says, tmp_path, capsys):
    names = {
        "file": _file(tmp_path, "plain.txt"),
        "nb": _file(tmp_path, "lesson.ipynb"),
        "tmp": str(tmp_path),
        "missing": str(tmp_path / "missing"),
    }
    code = main([arg.format(**names) for arg in argv])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_error_line(code, captured.err, says)


def test_labels_beyond_the_training_set_are_refused_before_training(capsys):
    code = main(["ssl", "--labels", "13010", "--data", "offline", "--no-progress"])
    line = assert_one_error_line(code, capsys.readouterr().err)
    assert line == "ganlab ssl: error: --labels 13010: --data offline has 13000 training digits"


def test_a_bad_environment_variable_is_one_error_line(monkeypatch, capsys):
    monkeypatch.setenv("GANLAB_DEVICE", "toaster")
    line = assert_one_error_line(main(["info"]), capsys.readouterr().err, "GANLAB_DEVICE=")
    assert line.startswith("ganlab info: error:")
    monkeypatch.delenv("GANLAB_DEVICE")
    monkeypatch.setenv("GANLAB_PROFILE", "bogus")
    code = main(["bench", "device", "--steps", "1"])
    assert_one_error_line(code, capsys.readouterr().err, "GANLAB_PROFILE='bogus'", "full, quick")


def test_a_bad_profile_variable_from_the_shell_prints_no_traceback(tmp_path):
    env = {**os.environ, "GANLAB_PROFILE": "bogus", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "ganlab.cli", "info"], capture_output=True, text=True, env=env
    )
    assert result.stdout == ""
    line = assert_one_error_line(result.returncode, result.stderr)
    assert line.startswith("ganlab info: error: GANLAB_PROFILE='bogus' is not a profile")


def _fake_movie(seen: list):
    def run(steps, every, device=None):
        seen.append((profile_name(), steps, every))
        return {"record": np.ones(2), "redraw": np.ones(2)}

    return run


def test_profile_option_sets_the_variable_for_the_run_only(monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(movie, "run", _fake_movie(seen))
    monkeypatch.setenv("GANLAB_PROFILE", "full")
    quick = movie.budget("quick")
    assert main(["bench", "movie", "--profile", "quick"]) == 0
    assert main(["bench", "movie", "--quick"]) == 0  # the older spelling still works
    assert seen == [("quick", quick.steps, quick.every)] * 2
    assert os.environ["GANLAB_PROFILE"] == "full"
    monkeypatch.setenv("GANLAB_PROFILE", "bogus")  # the option wins over a bad variable
    assert main(["bench", "movie", "--profile", "quick"]) == 0
    assert os.environ["GANLAB_PROFILE"] == "bogus"
    monkeypatch.delenv("GANLAB_PROFILE")
    full = movie.budget("full")
    assert main(["bench", "movie"]) == 0 and seen[-1] == ("full", full.steps, full.every)
    assert "GANLAB_PROFILE" not in os.environ
    capsys.readouterr()


@pytest.mark.parametrize("error", [RuntimeError("a bug"), ValueError("a bug")])
def test_a_bug_keeps_its_traceback(error, monkeypatch):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(movie, "run", broken)
    with pytest.raises(type(error), match="a bug"):
        main(["bench", "movie", "--profile", "quick"])


def _parsers() -> list[argparse.ArgumentParser]:
    """Every parser of the command tree: ganlab, its commands, their subcommands."""
    found, todo = [], [build_parser()]
    while todo:
        parser = todo.pop()
        found.append(parser)
        todo.extend(subparsers_of(parser).values())
    return found


def test_the_command_tree_is_walked():
    progs = {p.prog for p in _parsers()}
    assert {"ganlab", "ganlab info", "ganlab execute", "ganlab bench modes"} <= progs
    assert len(progs) >= 12


@pytest.mark.parametrize("parser", _parsers(), ids=lambda p: p.prog)
def test_every_command_and_option_is_documented(parser, capsys):
    assert parser.description and len(parser.description.split()) >= 8, parser.prog
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # the one-line help in the list
                assert choice.help, f"{parser.prog} {choice.dest}"
        else:
            assert action.help, f"{parser.prog}: {'/'.join(action.option_strings) or action.dest}"
    assert main([*parser.prog.split()[1:], "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert " ".join(parser.description.split()[:6]) in text
    assert "--quick" not in text  # the old spelling of --profile quick is hidden


def test_execute_help_says_it_overwrites_notebooks(capsys):
    assert main(["execute", "--help"]) == 0
    assert "OVERWRITE" in capsys.readouterr().out
