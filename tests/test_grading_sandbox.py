"""``ganlab grade`` runs each submission in a bubblewrap sandbox: attacks on the machine,
the grader and the classmates fail, and a submission that tries them all still earns what
its real answers earn."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from ganlab.cli import main as cli_main
from ganlab.grading import sandbox

ROOT = Path(__file__).resolve().parents[1]
SOLUTION = ROOT / "solutions" / "00_gan_basics_exercises.ipynb"
HAVE_BWRAP = shutil.which("bwrap") is not None
needs_bwrap = pytest.mark.skipif(not HAVE_BWRAP, reason="bubblewrap (bwrap) is not installed")
MARKER = "987654.321"  # the background process's argument, to find it afterwards

# Every attempt that succeeds is a breach; any breach voids exercise 00.1's answer.
ATTACK = """
import os, socket, subprocess, sys

breaches = []
try:
    with open({victim!r}, "a") as f:
        f.write("pwned")
    breaches.append("wrote a classmate's notebook")
except OSError:
    pass
for path in ({victim!r}, {solutions!r}):
    if os.path.exists(path):
        breaches.append("sees " + path)
if "GANLAB_TEST_SECRET" in os.environ:
    breaches.append("reads the grader's environment")
if os.path.exists("/proc/{grader_pid}/cmdline"):
    breaches.append("sees the grader's process")
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    breaches.append("reached the network")
except OSError:
    pass
for folder in [p for p in sys.path if p.endswith("site-packages")]:
    try:
        with open(os.path.join(folder, "sitecustomize.py"), "w") as f:
            f.write("print('planted')")
        breaches.append("planted sitecustomize.py")
    except OSError:
        pass
subprocess.Popen(["sleep", "{marker}"])  # must not outlive the grading
if breaches:
    discriminator_loss = None
"""


def test_the_sandbox_command_shows_only_what_python_needs(monkeypatch, tmp_path):
    monkeypatch.setenv("GANLAB_TEST_SECRET", "s3cret")
    command = sandbox.sandboxed(["python", "-c", "pass"], str(tmp_path), bwrap="/usr/bin/bwrap")
    for flag in ("--die-with-parent", "--unshare-all", "--clearenv", "--new-session"):
        assert flag in command
    binds = [i for i, arg in enumerate(command) if arg == "--ro-bind"]
    assert command.index("--tmpfs") < min(binds)  # a venv under /tmp stays visible
    shown = [command[i + 1] for i in binds]
    assert str(ROOT / "ganlab") in shown and str(ROOT) not in shown  # no solutions/, no notes
    assert all(not str(ROOT / "solutions").startswith(path + "/") for path in shown)
    assert command[command.index("--bind") + 1 : command.index("--bind") + 3] == [
        str(tmp_path),
        str(tmp_path),
    ]
    names = [command[i + 1] for i, arg in enumerate(command) if arg == "--setenv"]
    assert "GANLAB_TEST_SECRET" not in names and "HOME" in names
    assert command[command.index("--") + 1 :] == ["python", "-c", "pass"]
    limited = sandbox.limited(command, cpu_seconds=30)
    assert "--cpu=31" in limited and f"--data={sandbox.MEMORY_BYTES}" in limited


def test_without_bwrap_grading_refuses_and_says_how_to_install(monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert cli_main(["grade", str(SOLUTION)]) == 2
    err = capsys.readouterr().err
    assert "apt-get install bubblewrap" in err and "--no-sandbox" in err


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-3"])
def test_a_timeout_must_be_finite_and_positive(value, capsys):
    assert cli_main(["grade", str(SOLUTION), "--timeout", value, "--no-sandbox"]) == 2
    assert "--timeout: must be finite and > 0" in capsys.readouterr().err


@needs_bwrap
def test_a_submission_attacking_everything_earns_only_its_answers(tmp_path, monkeypatch):
    submissions = tmp_path / "submissions"
    submissions.mkdir()
    victim = submissions / "classmate.ipynb"
    shutil.copy(SOLUTION, victim)
    before = victim.read_bytes()
    listener = __import__("socket").socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    attack = ATTACK.format(
        victim=str(victim),
        solutions=str(ROOT / "solutions"),
        grader_pid=os.getpid(),
        port=listener.getsockname()[1],
        marker=MARKER,
    )
    notebook = nbformat.read(SOLUTION, as_version=4)
    at = next(i for i, c in enumerate(notebook.cells) if 'check("00.1"' in c.source)
    notebook.cells.insert(at, nbformat.v4.new_code_cell(attack))
    nbformat.write(notebook, submissions / "attacker.ipynb")
    monkeypatch.setenv("GANLAB_TEST_SECRET", "s3cret")
    report = tmp_path / "report.json"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        code = cli_main(["grade", str(submissions), "--jobs", "2", "--json", str(report)])
    listener.close()
    assert code == 0
    entries = {Path(e["notebook"]).name: e for e in json.loads(report.read_text())}
    # every attack failed, so the attacker's real (correct) answers earn full marks ...
    assert entries["attacker.ipynb"]["score"] == entries["attacker.ipynb"]["max_score"] == 10
    # ... the classmate is graded as if alone, and their file is untouched
    assert entries["classmate.ipynb"]["score"] == 10
    assert victim.read_bytes() == before
    # nothing the submission started is still running
    running = subprocess.run(["pgrep", "-f", f"sleep {MARKER}"], capture_output=True)
    assert running.returncode == 1, running.stdout


def test_ci_has_the_sandbox():
    # .ci/run installs bubblewrap and sets GANLAB_REQUIRE_BWRAP, so CI never skips the attacks
    if os.environ.get("GANLAB_REQUIRE_BWRAP"):
        assert HAVE_BWRAP, "bubblewrap is required here (GANLAB_REQUIRE_BWRAP is set)"
    assert "bubblewrap" in (ROOT / ".ci" / "run").read_text()


def test_the_deadline_does_not_grow_with_the_cells(tmp_path, monkeypatch):
    from ganlab.grading import lesson_exercises, runner

    seen = []
    monkeypatch.setattr(
        runner, "_run_worker", lambda cells, ex, t, deadline, sb: seen.append(deadline) or []
    )
    for count in (2, 500):
        cells = [nbformat.v4.new_code_cell("") for _ in range(count)]
        cells.append(nbformat.v4.new_code_cell('check("00.1", discriminator_loss)'))
        nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / f"n{count}.ipynb")
        runner.grade_notebook(tmp_path / f"n{count}.ipynb", timeout=10.0)
    exercises = len(lesson_exercises("00"))  # the whole lesson is graded
    assert seen[0] == seen[1] == runner.STARTUP_S + 10.0 * (runner.WORK_UNITS + exercises)
    assert runner.deadline_seconds(40, 10.0) == runner.deadline_seconds(runner.MAX_EXERCISES, 10.0)
