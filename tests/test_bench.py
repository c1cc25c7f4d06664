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


def test_bench_ssl_budget_changes_only_amounts_of_work():
    from ganlab.bench import ssl

    full, quick = ssl.budget("full"), ssl.budget("quick")
    assert (full.epochs, full.seeds) == (300, 3)
    assert (quick.epochs, quick.seeds) == (1, 1)
    assert set(vars(full)) == set(vars(quick)) == {"profile", "epochs", "seeds"}


def test_bench_ssl_quick_trains_every_variant_with_the_same_kernels(tmp_path, capsys):
    from ganlab.bench import ssl

    assert main(["bench", "ssl", "--quick", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert f"{ssl.MINIBATCH_KERNELS} kernels" in out
    for variant in ssl.VARIANTS:
        assert f"| ({variant.key}) {variant.name} |" in out
        result = json.loads((tmp_path / variant.key / "seed0" / "result.json").read_text())
        assert result["epochs"] == 1 and result["config"]["lr"] == 0.001
        assert result["config"]["minibatch_kernels"] == ssl.MINIBATCH_KERNELS == 32
    assert not list(tmp_path.rglob(".*.tmp"))
