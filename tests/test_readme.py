"""The README as a landing page: every lesson linked with its times and findings, the paper and
its code linked, the figure present, the commands a newcomer needs, nothing left unfilled."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_lesson_has_a_row_with_times_and_a_finding() -> None:
    lessons = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows = [line for line in README.splitlines() if line.startswith("| 0")]
    assert len(rows) == len(lessons)
    for lesson, row in zip(lessons, rows, strict=True):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert f"(notebooks/{lesson})" in cells[1], row
        assert re.search(r"\d+ (s|min)", cells[2]) and re.search(r"\d+ (s|min)", cells[3]), row
        assert len(cells[4].split()) >= 8, row


def test_links_figure_and_no_placeholders() -> None:
    assert "https://arxiv.org/abs/1606.03498" in README
    assert "https://github.com/openai/improved-gan" in README
    for image in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", README):
        assert (ROOT / image).is_file(), image
    assert not re.search(r"QUICK\d\d|TODO|TBD", README)


def test_a_fresh_shell_is_told_to_activate_the_environment() -> None:
    assert "source .venv/bin/activate" in README
    assert "second** terminal" in README or "second terminal" in README
    assert "GANLAB_PROFILE=quick make lab" in README
