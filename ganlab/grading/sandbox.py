"""The OS sandbox each submission runs in: bubblewrap (``bwrap``), not a home-made jail.

:func:`sandboxed` wraps the worker's command so that the submission's code sees

- a read-only view of only what Python needs: the system's ``/usr``, ``/lib*``, ``/bin``,
  ``/etc``, ``/sys``, the Python installation, the virtual environment and the ``ganlab``
  package (not the project around it: no ``solutions/``, no other students' notebooks);
- one private writable folder (its working folder, a fresh temporary one) and a private
  ``/tmp``;
- no network, its own PID namespace (it cannot see the grader or the other submissions'
  processes), an environment reduced to an allow-list, and no life after the grader: every
  process of the sandbox dies with it (``--die-with-parent``, and the namespace's first
  process takes the others along when it is killed).

:func:`limited` caps memory, CPU time and file size (``prlimit``; the limits are inherited
by everything the submission starts).  Where ``bwrap`` is missing, :func:`require_bwrap` raises
with the command that installs it; ``ganlab grade --no-sandbox`` runs without it, for a
student checking their own, trusted notebook.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

INSTALL_HINT = (
    "ganlab grade runs every submission in a bubblewrap sandbox, and `bwrap` was not found. "
    "Install it (Debian/Ubuntu: sudo apt-get install bubblewrap; Fedora: sudo dnf install "
    "bubblewrap), or pass --no-sandbox to grade a notebook you trust (your own) without it."
)
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/sys")
# the environment a submission gets: these names, when set for the grader, plus its own
PASSED_ENV = ("LANG", "LC_ALL", "OMP_NUM_THREADS", "GANLAB_PROFILE", "GANLAB_DEVICE")
MEMORY_BYTES = 6 << 30  # heap and other private memory of each process (RLIMIT_DATA)
FILE_BYTES = 256 << 20  # the largest file a submission may write (RLIMIT_FSIZE)


class SandboxUnavailable(RuntimeError):
    """``bwrap`` is not installed (or cannot run here); the message says what to do."""


def require_bwrap() -> str:
    """The path of ``bwrap``, or :class:`SandboxUnavailable` with how to install it."""
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(INSTALL_HINT)
    return path


def readable_paths() -> list[str]:
    """What the sandbox shows read-only: system folders, Python, the venv, ganlab."""
    import ganlab

    package = Path(ganlab.__file__).resolve().parent
    python = Path(sys.executable).resolve().parent.parent
    paths = [p for p in SYSTEM_PATHS if os.path.exists(p) and not os.path.islink(p)]
    paths += [sys.base_prefix, sys.prefix, str(python), str(package)]
    cache = os.environ.get("GANLAB_CACHE") or str(Path.home() / ".cache" / "ganlab")
    if os.path.isdir(cache):  # trained helper networks the cases may load (read-only)
        paths.append(cache)
    unique: list[str] = []  # each folder once; nothing under a folder already shown
    for path in sorted(set(map(os.path.realpath, paths)), key=len):
        if not any(path == u or path.startswith(u.rstrip("/") + "/") for u in unique):
            unique.append(path)
    return unique


def sandbox_env(workdir: str) -> dict[str, str]:
    """The submission's whole environment: an allow-list, with HOME and caches in ``workdir``."""
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    env.update(
        PATH=os.pathsep.join([os.path.join(sys.prefix, "bin"), "/usr/bin", "/bin"]),
        HOME=workdir,
        TMPDIR="/tmp",
        MPLBACKEND="Agg",
        MPLCONFIGDIR=os.path.join(workdir, "matplotlib"),
        IPYTHONDIR=os.path.join(workdir, "ipython"),
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONNOUSERSITE="1",
    )
    if "GANLAB_CACHE" in os.environ or os.path.isdir(Path.home() / ".cache" / "ganlab"):
        env["GANLAB_CACHE"] = os.environ.get("GANLAB_CACHE") or str(
            Path.home() / ".cache" / "ganlab"
        )
    return env


def sandboxed(command: Sequence[str], workdir: str, bwrap: str | None = None) -> list[str]:
    """``command`` wrapped in bubblewrap, run in ``workdir`` (its only writable folder).

    Open file descriptors the caller passes (``pass_fds``) stay open inside.
    """
    bwrap = bwrap or require_bwrap()
    args = [bwrap, "--die-with-parent", "--new-session", "--unshare-all", "--clearenv"]
    # /tmp first: a venv or a checkout under /tmp is then bound on top of it, not hidden
    args += ["--tmpfs", "/tmp"]
    for path in readable_paths():
        args += ["--ro-bind", path, path]
    for link in SYSTEM_PATHS:  # merged /usr: /bin, /lib, ... are links into /usr
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
    args += ["--proc", "/proc", "--dev", "/dev"]
    args += ["--bind", workdir, workdir, "--chdir", workdir]
    for name, value in sandbox_env(workdir).items():
        args += ["--setenv", name, value]
    return [*args, "--", *command]


def limited(
    command: Sequence[str], cpu_seconds: float, memory_bytes: int = MEMORY_BYTES
) -> list[str]:
    """``command`` under ``prlimit`` (util-linux): CPU time, private memory, file size and
    core dumps capped for it and everything it starts (the limits are inherited)."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        raise SandboxUnavailable("`prlimit` (util-linux) was not found; it caps each submission")
    cpu = max(1, int(cpu_seconds) + 1)
    caps = [f"--cpu={cpu}", f"--data={memory_bytes}", f"--fsize={FILE_BYTES}", "--core=0"]
    return [prlimit, *caps, "--", *command]
