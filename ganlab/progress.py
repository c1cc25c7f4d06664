"""The one progress bar of the course: shown where a person is watching, hidden in tests.

Anything that takes more than a few seconds (training, classifying thousands of images)
draws a bar with :func:`progress_bar`.  By default the bar appears in notebooks and
terminals under the ``full`` profile, and stays off under ``quick`` (the tests) and when
output goes to a file.
"""

from __future__ import annotations

import sys
from typing import Any

from ganlab.config import profile_name


def interactive() -> bool:
    """Whether a person is probably watching: inside Jupyter, or stderr is a terminal."""
    if "ipykernel" in sys.modules:
        return True
    return hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


class _NoBar:
    """What :func:`progress_bar` returns when no bar is shown: every call does nothing."""

    def update(self, n: int = 1) -> None:
        """Nothing to advance."""

    def set_postfix(self, **values: Any) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""

    def __enter__(self) -> _NoBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def progress_bar(total: int, desc: str, unit: str = "step", show: bool | None = None, **kw: Any):
    """A tqdm bar over ``total`` items, or a do-nothing stand-in when ``show`` is false.

    Args:
        total: how many items (steps, images) the bar counts to.
        desc: the label in front of the bar.
        unit: what one item is called.
        show: ``None`` (default) shows the bar when :func:`interactive` and the profile is
            ``full``; ``True`` / ``False`` force it on or off.
        kw: passed to ``tqdm`` (e.g. ``initial``).

    Both kinds support ``update``, ``set_postfix``, ``close`` and ``with``.
    """
    if show is None:
        show = interactive() and profile_name() == "full"
    if not show:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, **kw)
