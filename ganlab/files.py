"""Writing files so that a reader never sees half of one.

Every file the course writes for later (checkpoints, cached classifiers, result records)
goes through :func:`atomic_write`: the data lands in a temporary file beside the target,
which is renamed over it only once complete.  An interrupted run leaves the old file, or
none, never a truncated one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb") -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one rename.

    Args:
        path: the file to write; its folder is created if missing.
        mode: ``"wb"`` (bytes) or ``"w"`` (text, UTF-8).

    If the block raises, the temporary file is deleted and ``path`` is left as it was.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **({"encoding": "utf-8"} if mode == "w" else {})) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_torch(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save(obj)`` to ``path`` atomically; returns the path."""
    import torch

    with atomic_write(path, "wb") as f:
        torch.save(obj, f)
    return Path(path)


def save_json(obj: Any, path: str | os.PathLike) -> Path:
    """``obj`` as indented JSON in ``path``, written atomically; returns the path."""
    with atomic_write(path, "w") as f:
        json.dump(obj, f, indent=2)
    return Path(path)
