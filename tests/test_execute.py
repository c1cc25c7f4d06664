"""ganlab.execute.finalize_outputs: saved widget outputs become static and honest.

The tqdm oracle is tqdm itself: the widget texts are made the way ``tqdm.notebook`` makes
them (its ``format_meter`` with a ``<bar/>`` slot, spaces as figure spaces, HTML-escaped),
and the finalized line must equal what ``format_meter`` prints in a terminal.
"""

from __future__ import annotations

import base64
import html
import re

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output
from tqdm import tqdm

from ganlab.execute import WIDGET_STATE, WIDGET_VIEW, finalize_notebook, finalize_outputs

PNG = base64.b64encode(b"\x89PNG\r\n\x1a\n fake picture").decode("ascii")


def _model(name: str, **state: object) -> dict:
    return {"model_module": "@jupyter-widgets/controls", "model_name": name, "state": state}


def _notebook_texts(n: int, total: int, elapsed: float, postfix: str) -> tuple[str, str]:
    """The left and right HTML values tqdm.notebook shows for this bar (its own recipe)."""
    msg = tqdm.format_meter(
        n, total, elapsed, prefix="training", unit="step", postfix=postfix,
        bar_format="{l_bar}<bar/>{r_bar}",
    )  # fmt: skip
    msg = msg.replace(" ", "\u2007")
    left, right = map(html.escape, re.split(r"\|?<bar/>\|?", msg, maxsplit=1))
    return left, right


def _tqdm_state(key: str, left: str, value: float, total: float, right: str) -> dict:
    return {
        key: _model("HBoxModel", children=[f"IPY_MODEL_{key}{i}" for i in "lpr"]),
        f"{key}l": _model("HTMLModel", value=left),
        f"{key}p": _model("FloatProgressModel", value=value, min=0.0, max=total),
        f"{key}r": _model("HTMLModel", value=right),
    }


def _widget_output(model_id: str, text: str, **extra: str) -> nbformat.NotebookNode:
    view = {"model_id": model_id, "version_major": 2, "version_minor": 0}
    return new_output("display_data", data={"text/plain": text, WIDGET_VIEW: view, **extra})


def _with_state(cells: list, state: dict) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": state, "version_major": 2}}
    return nb


def test_a_tqdm_widget_becomes_its_final_terminal_line() -> None:
    # the values saved by lesson 00's first training bar, written out by hand
    left = "training:\u2007100%"
    right = "\u200710000/10000\u2007[01:33&lt;00:00,\u2007110.42step/s,\u2007d_loss=0.849]"
    stale = "training:   0%|          | 0/10000 [00:00<?, ?step/s]"
    cell = new_code_cell("fit()", outputs=[_widget_output("bar", stale)])
    nb = finalize_outputs(_with_state([cell], _tqdm_state("bar", left, 1e4, 1e4, right)))
    (output,) = nb.cells[0].outputs
    assert output.data == {
        "text/plain": "training: 100%|██████████| 10000/10000 "
        "[01:33<00:00, 110.42step/s, d_loss=0.849]"
    }
    assert "widgets" not in nb.metadata


@pytest.mark.parametrize(("n", "total"), [(0, 100), (37, 100), (1234, 5000), (5000, 5000)])
def test_the_line_is_what_tqdm_prints_in_a_terminal(n: int, total: int) -> None:
    left, right = _notebook_texts(n, total, 12.5, "d_loss=0.5 & g_loss=<1>")
    cell = new_code_cell("fit()", outputs=[_widget_output("b", "stale 0%|")])
    nb = finalize_outputs(_with_state([cell], _tqdm_state("b", left, n, total, right)))
    expected = tqdm.format_meter(
        n, total, 12.5, prefix="training", unit="step", postfix="d_loss=0.5 & g_loss=<1>"
    )
    assert nb.cells[0].outputs[0].data["text/plain"] == expected


def test_an_image_widget_keeps_its_picture_and_loses_its_view() -> None:
    movie = _widget_output("movie", "Training movie: 3 frames, steps 0–6", **{"image/png": PNG})
    explorer = _widget_output("gone", "TrajectoryExplorer(children=(HBox(children=(Drop…")
    printed = new_output("stream", name="stdout", text="3/8 modes covered\n")
    cell = new_code_cell("show()", outputs=[movie, explorer, printed])
    nb = finalize_outputs(_with_state([cell], {"movie": _model("VBoxModel", children=[])}))
    movie_out, explorer_out, printed_out = nb.cells[0].outputs
    assert movie_out.data == {"text/plain": "Training movie: 3 frames, steps 0–6", "image/png": PNG}
    # no picture, no state and a raw repr: one line that says what will be there
    assert explorer_out.data == {
        "text/plain": "TrajectoryExplorer: an interactive widget, shown when the cell is run"
    }
    assert printed_out.text == "3/8 modes covered\n"


def test_a_widget_without_a_picture_gets_the_last_one_its_state_holds() -> None:
    state = {
        "box": _model("VBoxModel", children=["IPY_MODEL_out", "IPY_MODEL_img"]),
        "out": _model("OutputModel", outputs=[{"data": {"image/png": "first"}}]),
        "img": {**_model("ImageModel", format="png"),
                "buffers": [{"encoding": "base64", "path": ["value"], "data": PNG}]},
    }  # fmt: skip
    cell = new_code_cell("w", outputs=[_widget_output("box", "VBox(children=(Output(),))")])
    nb = finalize_outputs(_with_state([cell], state))
    assert nb.cells[0].outputs[0].data == {
        "text/plain": "VBox: a picture of the widget; it is live when the cell is run",
        "image/png": PNG,
    }


def test_a_hidden_bar_is_dropped_and_finalizing_twice_changes_nothing(tmp_path) -> None:
    left, right = _notebook_texts(10, 10, 1.0, "")
    state = _tqdm_state("b", left, 10, 10, right)
    state["b"]["state"]["layout"] = "IPY_MODEL_lay"
    state["lay"] = _model("LayoutModel", visibility="hidden")
    cells = [new_code_cell("fit()", outputs=[_widget_output("b", "training:   0%|")])]
    nb = finalize_outputs(_with_state(cells, state))
    assert nb.cells[0].outputs == []

    path = tmp_path / "n.ipynb"
    left, right = _notebook_texts(3, 10, 1.0, "")
    cells = [new_code_cell("fit()", outputs=[_widget_output("c", "training:   0%|")])]
    nbformat.write(_with_state(cells, _tqdm_state("c", left, 3, 10, right)), path)
    finalize_notebook(path)
    once = path.read_text()
    assert "training:  30%|███       | 3/10" in once and WIDGET_VIEW not in once
    finalize_notebook(path)
    assert path.read_text() == once


def test_finalize_rejects_what_is_not_a_notebook() -> None:
    with pytest.raises(ValueError, match="needs a notebook"):
        finalize_outputs({"outputs": []})
