"""Execute notebooks in place (``make notebooks``), so committed lessons carry outputs.

A notebook is saved with outputs that look right before anything runs
(:func:`finalize_outputs`): a widget's output is what a reader without a kernel should
see.  Executed headless, a tqdm bar saves a stale ``text/plain`` (``training:   0%|``) next
to a widget view whose final state lives in ``metadata.widgets``; a reopened notebook has
no live widget models, so a widget view shows "model not found" or a raw repr.  The saved
notebook therefore carries each bar as the line tqdm prints in a terminal at its end, and
every other widget as its picture and one line of text, with no widget state at all.
"""

from __future__ import annotations

import argparse
import html
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ganlab import cliargs
from ganlab.config import profile_name


def execute_notebook(path: str | os.PathLike, timeout: int = 1200, profile: str = "full") -> float:
    """Run every cell of the notebook at ``path`` in order and save it with its outputs.

    The kernel is this interpreter's (``python3``), its working folder the notebook's, and
    ``GANLAB_PROFILE`` is set to ``profile`` for it.  Returns the wall time in seconds.
    """
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    previous = os.environ.get("GANLAB_PROFILE")
    os.environ["GANLAB_PROFILE"] = profile
    start = time.perf_counter()
    try:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        if previous is None:
            os.environ.pop("GANLAB_PROFILE", None)
        else:
            os.environ["GANLAB_PROFILE"] = previous
    seconds = time.perf_counter() - start
    nb.metadata["ganlab"] = {"profile": profile}
    finalize_outputs(nb)
    nbformat.write(nb, path)
    return seconds


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# ipywidgets' default repr, e.g. "HBox(children=(...))" or "...layout=Layout(...)"
RAW_WIDGET_REPR = re.compile(r"\w+\(children=|layout=Layout\(")
# tqdm's terminal bar: "desc:  37%|███▋      | 37/100 [...]"
TQDM_BAR = re.compile(r"(\d+)%\|")
_BLOCKS = " " + "".join(map(chr, range(0x258F, 0x2587, -1)))  # tqdm's " ▏▎▍▌▋▊▉█"


def _unescape(text: str) -> str:
    """An HTML value of a tqdm widget as terminal text: entities decoded, figure spaces
    (tqdm's HTML padding) back to spaces."""
    return html.unescape(text).replace("\u2007", " ")


def _bar(fraction: float, width: int = 10) -> str:
    """tqdm's unicode bar of ``width`` cells for ``fraction`` in [0, 1] (eighths of a cell)."""
    fraction = min(max(fraction, 0.0), 1.0)
    full, eighths = divmod(int(fraction * width * 8), 8)
    if full >= width:
        return _BLOCKS[-1] * width
    return _BLOCKS[-1] * full + _BLOCKS[eighths] + " " * (width - full - 1)


def _tqdm_line(model: dict, state: dict) -> str | None:
    """The terminal line of a tqdm notebook bar (HBox of HTML, progress, HTML) from its saved
    widget state, or ``None`` if ``model`` is not such a bar."""
    children = [
        state.get(ref.removeprefix("IPY_MODEL_"))
        for ref in model.get("state", {}).get("children", [])
    ]
    names = [child.get("model_name") if child else None for child in children]
    if (
        model.get("model_name") != "HBoxModel"
        or len(names) != 3
        or names[0] != "HTMLModel"
        or names[2] != "HTMLModel"
        or names[1] not in ("FloatProgressModel", "IntProgressModel")
    ):
        return None
    left, progress, right = (child["state"] for child in children)
    left_text = _unescape(str(left.get("value", "")))
    right_text = _unescape(str(right.get("value", "")))
    if not left_text:  # no total: tqdm prints no bar, only the counts
        return right_text.strip()
    low, high = float(progress.get("min", 0.0)), float(progress.get("max", 0.0))
    done = float(progress.get("value", 0.0))
    fraction = (done - low) / (high - low) if high > low else 0.0
    return f"{left_text}|{_bar(fraction)}|{right_text}"


def _hidden(model: dict, state: dict) -> bool:
    """Whether the widget ``model`` was hidden (its layout's visibility is "hidden")."""
    layout = state.get(str(model.get("state", {}).get("layout", "")).removeprefix("IPY_MODEL_"))
    return bool(layout) and layout.get("state", {}).get("visibility") == "hidden"


def _saved_picture(model_id: str, state: dict) -> str | None:
    """The last PNG (base64) held by the widget ``model_id`` or its descendants: an Image
    widget's value, or a picture captured by an Output widget; ``None`` if there is none."""
    found: list[str] = []
    seen: set[str] = set()

    def visit(key: str) -> None:
        model = state.get(key)
        if model is None or key in seen:
            return
        seen.add(key)
        values = model.get("state", {})
        if model.get("model_name") == "ImageModel" and values.get("format") == "png":
            for buffer in model.get("buffers", []):
                if buffer.get("path") == ["value"] and buffer.get("encoding") == "base64":
                    found.append(buffer["data"])
        for output in values.get("outputs", []) or []:
            png = output.get("data", {}).get("image/png")
            if png:
                found.append(png if isinstance(png, str) else "".join(png))
        for child in values.get("children", []) or []:
            if isinstance(child, str):
                visit(child.removeprefix("IPY_MODEL_"))

    visit(model_id)
    return found[-1] if found else None


def _text(data: dict) -> str:
    text = data.get("text/plain", "")
    return text if isinstance(text, str) else "".join(text)


def _static_widget_output(output: Any, state: dict) -> bool:
    """Make one widget output static in place; returns False if it should be dropped."""
    data = output["data"]
    view = data.pop(WIDGET_VIEW)
    model_id = view.get("model_id", "") if isinstance(view, dict) else ""
    text = _text(data)
    model = state.get(model_id)
    line = _tqdm_line(model, state) if model else None
    if line is not None and _hidden(model, state):
        return False  # a bar closed with tqdm's leave=False: the live notebook hides it
    if line is not None:
        output["data"] = {"text/plain": line}
        output["metadata"] = {}
        return True
    if TQDM_BAR.search(text) and model is None:
        return False  # a bar whose widget was closed (tqdm's leave=False): it showed nothing
    if "image/png" not in data:
        picture = _saved_picture(model_id, state) if model else None
        if picture:
            data["image/png"] = picture
    if not text or RAW_WIDGET_REPR.search(text):
        match = re.match(r"(\w+)\(", text)
        name = match.group(1) if match else "widget"
        if "image/png" in data:
            data["text/plain"] = f"{name}: a picture of the widget; it is live when the cell is run"
        else:
            data["text/plain"] = f"{name}: an interactive widget, shown when the cell is run"
    return True


def finalize_outputs(nb: Any) -> Any:
    """Make an executed notebook's outputs static and honest, in place; returns ``nb``.

    * a tqdm progress bar (a widget) becomes a ``text/plain`` line: the bar as tqdm prints it
      in a terminal at its final state, read from the saved widget state
      (``training: 100%|██████████| 10000/10000 [01:33<00:00, ...]``);
    * any other widget output loses its widget view (a reopened notebook has no widget
      models: "model not found") and keeps its ``image/png``, or gets the last picture the
      widget held in the saved state; a raw ipywidgets repr in ``text/plain`` is replaced by
      one line saying what the widget is;
    * ``metadata.widgets`` (the saved widget state) is removed: nothing refers to it.

    ``nb`` is an ``nbformat`` notebook (or its JSON as nested dicts).  Idempotent: a
    finalized notebook is left unchanged.
    """
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError("finalize_outputs needs a notebook (nbformat 4: a dict with 'cells')")
    saved = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {})
    state = saved.get("state", {}) if isinstance(saved, dict) else {}
    for cell in nb["cells"]:
        if cell.get("cell_type") != "code":
            continue
        kept = []
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}) and not _static_widget_output(output, state):
                continue
            kept.append(output)
        cell["outputs"] = kept
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def finalize_notebook(path: str | os.PathLike) -> None:
    """Apply :func:`finalize_outputs` to the notebook file at ``path`` without running it,
    and save it in place."""
    import nbformat

    nb = nbformat.read(Path(path), as_version=4)
    finalize_outputs(nb)
    nbformat.write(nb, Path(path))


def _run(args: argparse.Namespace) -> int:
    if args.finalize_only:
        for path in args.notebooks:
            finalize_notebook(path)
            print(f"finalized {path} (outputs made static, nothing run)", flush=True)
        return 0
    profile = profile_name()  # --profile, else $GANLAB_PROFILE, else full
    for path in args.notebooks:
        print(f"executing {path} (profile {profile}) ...", flush=True)
        seconds = execute_notebook(path, timeout=args.timeout, profile=profile)
        print(f"  done in {seconds:.0f} s", flush=True)
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab execute NOTEBOOK...``."""
    parser = subparsers.add_parser(
        "execute",
        help="run notebooks and OVERWRITE them in place with their outputs",
        description="Run every cell of each notebook in order, in a fresh Python kernel whose "
        "working folder is the notebook's, and OVERWRITE the notebook file in place with the "
        "new outputs (the previous outputs are lost; the code and text are kept). `make "
        "notebooks` runs it on every lesson under the full profile: each lesson takes up to "
        "about 10 minutes on 2 CPU cores, under a minute with --profile quick. The saved "
        "outputs are made static (progress bars as their final line of text, widgets as "
        "their picture, no saved widget state), so a notebook opened before anything runs "
        "shows no stale bars and no widget errors.",
    )
    parser.add_argument(
        "notebooks",
        nargs="+",
        type=cliargs.notebook_to_overwrite,
        metavar="NOTEBOOK",
        help=".ipynb files to execute and overwrite",
    )
    cliargs.add_profile_option(parser)
    parser.add_argument(
        "--timeout",
        type=cliargs.positive_int,
        default=1200,
        metavar="S",
        help="seconds a cell may run before the notebook is abandoned (default 1200)",
    )
    parser.add_argument(
        "--finalize-only",
        action="store_true",
        help="run nothing: only make the notebooks' existing outputs static (tqdm bars as "
        "their final text line, widgets as their picture, saved widget state removed) and "
        "save them in place; takes a second",
    )
    parser.set_defaults(func=_run)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m ganlab.execute`` is ``ganlab execute``."""
    from ganlab.cli import main as cli_main

    return cli_main(["execute", *(argv or [])])


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
