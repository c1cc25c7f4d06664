import json

import torch

from ganlab.bench import minibatch, modes
from ganlab.cli import main
from ganlab.tricks import MinibatchDiscrimination


def test_naive_broadcast_baseline_equals_the_layer():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(7, 5, 3).double()
    x = torch.randn(11, 7, dtype=torch.float64)
    torch.testing.assert_close(minibatch.naive_broadcast(layer, x), layer(x))


def test_bench_modes_quick_prints_every_method(tmp_path, capsys):
    assert main(["bench", "modes", "--quick", "--seeds", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in (
        "ring of 8",
        "grid of 25",
        "vanilla",
        "feature matching",
        "minibatch discrimination",
    ):
        assert name in out
    rows = json.loads((tmp_path / "modes.json").read_text())
    assert len(rows) == 2 * 3
    assert all(0 <= r["modes_covered"] <= r["num_modes"] for r in rows)
    assert (tmp_path / "modes.png").stat().st_size > 0
    assert set(modes.DATASETS) == {r["dataset"] for r in rows}


def test_bench_minibatch_runs(capsys):
    assert (
        main(["bench", "minibatch", "-n", "4", "-a", "6", "-b", "3", "-c", "2", "--repeats", "1"])
        == 0
    )
    assert "speed-up" in capsys.readouterr().out
