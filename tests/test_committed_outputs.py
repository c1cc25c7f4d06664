"""The committed notebooks look right before anything runs (opened from a fresh clone).

No progress bar frozen below 100 %, no widget view that would need a live kernel ("model
not found"), no raw ipywidgets repr, no saved widget state.  ``ganlab execute`` saves
notebooks this way; ``ganlab execute --finalize-only NOTEBOOK...`` fixes older outputs
without running anything.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ganlab.execute import RAW_WIDGET_REPR, TQDM_BAR, WIDGET_VIEW

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(
    path.relative_to(ROOT)
    for folder in ("notebooks", "solutions", "exercises")
    for path in (ROOT / folder).glob("*.ipynb")
)


def _texts(nb: dict) -> list[tuple[int, str]]:
    """(cell index, text/plain) of every output that has one (stream text included)."""
    found = []
    for index, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            text = output.get("data", {}).get("text/plain", output.get("text"))
            if text is not None:
                found.append((index, text if isinstance(text, str) else "".join(text)))
    return found


def test_the_folders_hold_notebooks() -> None:
    assert len(NOTEBOOKS) >= 3 and {p.parts[0] for p in NOTEBOOKS} == {
        "notebooks",
        "solutions",
        "exercises",
    }


@pytest.mark.parametrize("path", NOTEBOOKS, ids=str)
def test_committed_outputs_are_static(path: Path) -> None:
    nb = json.loads((ROOT / path).read_text(encoding="utf-8"))
    problems = []
    if "widgets" in nb.get("metadata", {}):
        problems.append("metadata.widgets (saved widget state) is present")
    for index, cell in enumerate(nb["cells"]):
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                problems.append(f"cell {index}: a widget view that needs a live kernel")
    for index, text in _texts(nb):
        stale = [p for p in TQDM_BAR.findall(text) if int(p) != 100]
        if stale:
            line = next(x for x in re.split(r"[\r\n]", text) if TQDM_BAR.search(x))
            problems.append(f"cell {index}: a progress bar at {stale[0]} %: {line[:70]!r}")
        if RAW_WIDGET_REPR.search(text):
            problems.append(f"cell {index}: a raw widget repr: {text[:70]!r}")
    problems = list(dict.fromkeys(problems))  # one line per kind of problem and cell
    assert not problems, f"{path}: run `ganlab execute --finalize-only {path}`\n" + "\n".join(
        problems
    )


def test_the_check_catches_what_it_is_for() -> None:
    bars = ["training:   0%|          | 0/10000 [00:00<?, ?step/s]", "x:  37%|███▋      | 37/100"]
    assert all(int(TQDM_BAR.search(bar).group(1)) != 100 for bar in bars)
    assert TQDM_BAR.search("training: 100%|██████████| 10000/10000").group(1) == "100"
    assert RAW_WIDGET_REPR.search("TrajectoryExplorer(children=(HBox(children=(Dropdown(")
    assert RAW_WIDGET_REPR.search("IntSlider(value=3, layout=Layout(width='360px'))")
    assert not RAW_WIDGET_REPR.search("Training movie: 101 frames, steps 0–10000")
