"""``ganlab grade``: grade submitted notebooks, each in its own sandboxed worker process.

The worker (:mod:`ganlab.grading.worker`) gets the notebook's code cells on stdin, runs with
its output discarded in a temporary working folder removed afterwards, and sends one JSON
line per exercise through a pipe: the data of the exercise's probes, never a verdict.  This
process, which never runs submitted code, judges that data and the source rules
(:func:`ganlab.grading.probes.judge_probes`), and enforces an overall deadline: a worker that
outlives it is killed and its ungraded exercises are marked ``timeout``; one that dies early
leaves them ``error``.
"""

from __future__ import annotations

import json
import math
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganlab.grading.core import Exercise, ExerciseResult, result_without_cases
from ganlab.grading.delegation import delegation_flags
from ganlab.grading.probes import judge_probes
from ganlab.grading.questions import lesson_questions, written_answers
from ganlab.grading.sandbox import limited, require_bwrap, sandbox_env, sandboxed
from ganlab.grading.submission import SubmissionError, code_cells, exercise_set
from ganlab.grading.worker import prepare

DEFAULT_TIMEOUT_S = 60.0
MAX_RESULTS_BYTES = 1 << 20  # what a worker's results may take; far more than they need
STARTUP_S = 60.0  # for the worker to import torch and IPython on a slow or busy machine
WORK_UNITS = 4  # per-cell time limits a whole notebook's cells may use up, all together
MAX_EXERCISES = 6  # a lesson has at most 4; more check cells do not buy more time
_WORKER = "import sys; from ganlab.grading.worker import main; sys.exit(main(sys.argv[1:]))"


@dataclass
class NotebookReport:
    """The grade of one submitted file; ``error`` says why it could not be graded at all."""

    notebook: str
    exercises: list[ExerciseResult] = field(default_factory=list)
    error: str = ""
    flags: list[str] = field(default_factory=list)  # for review: see grading.delegation
    answers: dict[str, str] = field(default_factory=dict)  # see grading.questions

    @property
    def score(self) -> float:
        """Points earned."""
        return float(sum(e.score for e in self.exercises))

    @property
    def max_score(self) -> float:
        """Points available."""
        return float(sum(e.max_score for e in self.exercises))

    def to_dict(self) -> dict[str, Any]:
        """The JSON report's entry for this notebook."""
        out: dict[str, Any] = {"notebook": self.notebook, "score": self.score}
        out["max_score"] = self.max_score
        out["exercises"] = [e.to_record() for e in self.exercises]
        if self.error:
            out["error"] = self.error
        if self.flags:
            out["flags"] = list(self.flags)
        if self.answers:
            out["answers"] = dict(self.answers)
        return out


def find_notebooks(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files named, and the ``*.ipynb`` in the folders named (recursively, without
    ``.ipynb_checkpoints``), in order and without repeats.  A missing path is kept, so that
    grading it reports the problem."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            notebooks = sorted(p for p in path.rglob("*.ipynb") if p.is_file())
            found += [p for p in notebooks if ".ipynb_checkpoints" not in p.parts]
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def grade_notebook(
    path: str | os.PathLike, timeout: float = DEFAULT_TIMEOUT_S, sandbox: bool = True
) -> NotebookReport:
    """Grade one notebook in a worker process (in a bubblewrap sandbox unless ``sandbox`` is
    false); never raises for a bad submission."""
    report = NotebookReport(str(path))
    try:
        cells = code_cells(path)
        exercises = exercise_set(cells)
    except SubmissionError as err:
        report.error = str(err)
        return report
    except Exception as err:  # a file no check foresaw: it is reported, the others graded
        report.error = f"could not be read: {type(err).__name__}: {err}"
        return report
    lessons = sorted({e.lesson for e in exercises})
    report.flags = delegation_flags(cells, lessons)
    questions = [q for lesson in lessons for q in lesson_questions(lesson)]
    report.answers = written_answers(path, questions)
    deadline = deadline_seconds(len(exercises), timeout)
    report.exercises = _run_worker(cells, exercises, timeout, deadline, sandbox)
    return report


def deadline_seconds(exercises: int, timeout: float) -> float:
    """The wall-clock limit of one submission: start-up, then ``timeout`` for each of
    :data:`WORK_UNITS` stretches of cells and for each exercise's grading (at most
    :data:`MAX_EXERCISES`).  It does not grow with the number of cells, which the
    submission controls."""
    return STARTUP_S + timeout * (WORK_UNITS + min(exercises, MAX_EXERCISES))


def grade_paths(
    paths: Iterable[str | os.PathLike],
    timeout: float = DEFAULT_TIMEOUT_S,
    jobs: int = 1,
    sandbox: bool = True,
) -> list[NotebookReport]:
    """Grade every notebook :func:`find_notebooks` finds, ``jobs`` workers at a time.

    Raises:
        ValueError: for a timeout that is not a finite number > 0, or ``jobs < 1``.
        SandboxUnavailable: ``sandbox`` is true and bubblewrap is not installed.
    """
    if not (math.isfinite(timeout) and timeout > 0) or jobs < 1:
        raise ValueError(f"timeout must be finite and > 0 and jobs >= 1, got {timeout} and {jobs}")
    if sandbox:
        require_bwrap()
    notebooks = find_notebooks(paths)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(lambda p: grade_notebook(p, timeout, sandbox), notebooks))


def _run_worker(
    cells: list[str],
    exercises: Sequence[Exercise],
    timeout: float,
    deadline_s: float,
    sandbox: bool = True,
) -> list[ExerciseResult]:
    deadline = time.monotonic() + deadline_s
    read_end, write_end = os.pipe()
    with (
        tempfile.TemporaryDirectory(prefix="ganlab-grade-", ignore_cleanup_errors=True) as workdir,
        os.fdopen(read_end, "rb") as results,
    ):
        command = [sys.executable, "-c", _WORKER, "--timeout", str(timeout)]
        command += ["--exercises", ",".join(e.id for e in exercises), "--fd", str(write_end)]
        env = _worker_env(workdir)
        if sandbox:  # bubblewrap, under CPU / memory / file-size limits
            command = limited(sandboxed(command, workdir), cpu_seconds=deadline_s)
            env = sandbox_env(workdir)
        try:
            worker = subprocess.Popen(
                command,
                cwd=workdir,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(write_end,),
                start_new_session=True,  # so that a kill takes the notebook's children too
            )
        finally:
            os.close(write_end)
        # From a thread: a worker stuck before reading its stdin must not stall the deadline.
        cells_json = json.dumps(cells).encode()
        threading.Thread(target=_send, args=(worker, cells_json), daemon=True).start()
        # The judges' one-time costs (PyTorch's first optimizer step) are paid here while the
        # worker starts, not after it (see ganlab.grading.worker.prepare).
        threading.Thread(target=prepare, args=(exercises,), daemon=True).start()
        lines, finished = _read_until(results, deadline)
        try:
            worker.wait(timeout=max(deadline - time.monotonic(), 0.0))
        except subprocess.TimeoutExpired:  # it closed the pipe but went on running
            finished = False
        _kill(worker)  # also what the notebook left running in the background
        code = worker.wait()
    return _collect(lines, exercises, finished, code, deadline_s, cells)


def _send(worker: subprocess.Popen, data: bytes) -> None:
    try:
        worker.stdin.write(data)
        worker.stdin.close()
    except (BrokenPipeError, ValueError):  # it died or was killed first: reported as such
        pass


def _worker_env(workdir: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MPLBACKEND="Agg",
        MPLCONFIGDIR=os.path.join(workdir, "matplotlib"),
        IPYTHONDIR=os.path.join(workdir, "ipython"),
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _read_until(stream: Any, deadline: float) -> tuple[list[bytes], bool]:
    """The lines read before end-of-file (True) or the deadline (False)."""
    data = b""
    while (left := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select([stream], [], [], left)
        if not ready:
            continue
        chunk = os.read(stream.fileno(), 1 << 16)
        if not chunk:
            return data.splitlines(), True
        if len(data) < MAX_RESULTS_BYTES:  # the notebook could flood the pipe; keep draining
            data += chunk
    return data.splitlines(), False


def _kill(worker: subprocess.Popen) -> None:
    try:
        os.killpg(worker.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):  # the whole group has already exited
        pass


def _collect(
    lines: list[bytes],
    exercises: Sequence[Exercise],
    finished: bool,
    code: int,
    deadline_s: float,
    cells: Sequence[str] = (),
) -> list[ExerciseResult]:
    """One result per exercise: the worker's first valid line for it, else why none came;
    probe data is judged here, source rules on ``cells``."""
    reported: dict[str, ExerciseResult] = {}
    by_id = {e.id: e for e in exercises}
    for line in lines:
        try:
            record = json.loads(line)
            exercise = by_id[record["id"]]
            if "probes" in record:
                # judged here; of several records the best counts (each is judged on its
                # data, so none can earn more than right answers do)
                judged = judge_probes(exercise, record["probes"], cells)
                best = reported.get(exercise.id)
                if best is None or judged.score > best.score:
                    reported[exercise.id] = judged
                continue
            status = record["status"]
        except (ValueError, KeyError, TypeError, RecursionError):
            continue  # not a worker's line; the notebook may have written to the pipe
        # The worker may only say why it could not send data; a verdict from it is forged.
        if exercise.id not in reported and status in ("error", "timeout"):
            message = str(record.get("message", ""))
            reported[exercise.id] = result_without_cases(exercise, status, message)
    if finished:
        status, why = "error", f"the notebook's process ended (exit code {code}) before grading it"
    else:
        status, why = "timeout", f"the notebook ran past the overall limit of {deadline_s:g} s"
    return [reported.get(e.id) or result_without_cases(e, status, why) for e in exercises]
