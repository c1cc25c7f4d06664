import json

import numpy as np
import pytest
import torch

from ganlab.bench import minibatch, modes
from ganlab.cli import main
from ganlab.metrics import mode_coverage
from ganlab.recipes import load_seed_results
from ganlab.tricks import MinibatchDiscrimination


def test_naive_broadcast_baseline_equals_the_layer():
    torch.manual_seed(0)
    layer = MinibatchDiscrimination(7, 5, 3).double()
    x = torch.randn(11, 7, dtype=torch.float64)
    torch.testing.assert_close(minibatch.naive_broadcast(layer, x), layer(x))


def test_bench_modes_quick_prints_every_method_and_writes_loadable_results(tmp_path, capsys):
    assert main(["bench", "modes", "--quick", "--seeds", "1", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for name in ("ring of 8", "grid of 25", "vanilla", "feature matching", "minibatch"):
        assert name in out
    for dataset, num_modes in (("ring", 8), ("grid", 25)):
        results, meta = load_seed_results(tmp_path / f"{dataset}.json")
        assert [r.method for r in results] == list(modes.methods())
        assert meta["dataset"] == dataset and meta["steps"] == modes.budget("quick").steps
        for r in results:  # the stored samples are the ones the coverage scored
            assert r.coverage.num_modes == num_modes
            mixture = modes.DATASETS[dataset]()
            again = mode_coverage(r.samples, mixture.centers, mixture.std)
            assert again.counts.tolist() == r.coverage.counts.tolist()
            assert [step for step, _ in r.log] == [0, 20, 40]
    assert (tmp_path / "modes.png").stat().st_size > 0
    assert main(["bench", "modes", "--quick", "--datasets", "moon"]) == 2


def test_shipped_grid_results_load():
    results, meta = modes.load_grid_results()
    assert (
        meta["steps"] == modes.COURSE_STEPS and meta["minibatch_kernels"] == modes.MINIBATCH_KERNELS
    )
    assert {r.method for r in results} == {"vanilla", "minibatch discrimination"}
    assert sorted({r.seed for r in results}) == list(range(5))
    assert all(r.samples.shape == (meta["eval_samples"], 2) for r in results)


def test_bench_minibatch_runs(capsys):
    assert (
        main(["bench", "minibatch", "-n", "4", "-a", "6", "-b", "3", "-c", "2", "--repeats", "1"])
        == 0
    )
    assert "speed-up" in capsys.readouterr().out


def test_bench_ssl_budget_changes_only_amounts_of_work():
    from ganlab.bench import ssl

    full, quick = ssl.budget("full"), ssl.budget("quick")
    assert (full.steps, full.seeds, full.classifier_steps) == (5200, 3, 1000)
    assert (quick.steps, quick.seeds, quick.classifier_steps) == (130, 1, 30)
    assert set(vars(full)) == set(vars(quick)) == {"profile", "steps", "seeds", "classifier_steps"}


def test_bench_ssl_quick_writes_results_that_load_back(tmp_path, capsys):
    from ganlab.bench import ssl

    results = tmp_path / "r.json"
    args = ["bench", "ssl", "--quick", "--arms", "a,c,d-pool4000", "--out", str(tmp_path)]
    assert main([*args, "--results", str(results)]) == 0
    out = capsys.readouterr().out
    for key in ("a", "c", "d-pool4000"):
        assert f"| ({key}) {ssl.ARMS[key].name} |" in out
        result = json.loads((tmp_path / key / "seed0" / "result.json").read_text())
        assert result["config"]["lr"] == 0.001 and result["config"]["adam"] == "official"
    c = json.loads((tmp_path / "c" / "seed0" / "result.json").read_text())
    assert c["config"]["minibatch_kernels"] == 100 and c["config"]["kernel_dim"] == 5
    assert 1.0 <= c["mnist_score"] <= 10.0 and c["fid"] > 0
    d = json.loads((tmp_path / "d-pool4000" / "seed0" / "result.json").read_text())
    assert d["labels"] == 4000 and d["epochs"] == 3  # 130 steps = 3 epochs of 40 steps
    record = ssl.load_results(results)
    assert list(record["arms"]) == ["a", "c", "d-pool4000"]
    assert record["arms"]["c"]["mnist_score"] == [c["mnist_score"]]
    history = json.loads((tmp_path / "a" / "seed0" / "result.json").read_text())["history"]
    assert record["arms"]["a"]["curves"][0] == [h["test_error"] for h in history]
    (samples,) = record["samples"]["c"]
    assert samples.shape == (ssl.KEPT_SAMPLES, 28, 28) and samples.dtype == np.uint8
    assert "samples" not in record["arms"]["a"] and "a" not in record["samples"]
    assert not list(tmp_path.rglob(".*.tmp"))


def test_bench_ssl_rejects_unknown_arms(capsys):
    assert main(["bench", "ssl", "--quick", "--arms", "b,zz"]) == 2
    assert "unknown arm(s) zz" in capsys.readouterr().err


def test_the_shipped_results_hold_what_lesson_09_reads():
    from ganlab.bench import ssl

    record = ssl.load_results()
    expected_seeds = {"a": 3, "b": 3, "d": 3, "b-torch-adam": 3, "c": 1, "c-nonsat": 2}
    expected_seeds |= {"c-nonsat-no-labels": 2, "b-lr0.003": 2, "b-20labels": 1}
    for key, n in expected_seeds.items():
        arm = record["arms"][key]
        assert arm["seeds"] == list(range(n)) and len(arm["test_error"]) == n, key
        assert len(arm["curves"][0]) * arm["steps_per_epoch"] == arm["steps"] == 5200, key
        assert 0 < min(arm["test_error"]) and max(arm["test_error"]) < 1, key
        if arm["generator_objective"] != "none":
            assert len(record["samples"][key]) == n and len(arm["mnist_score"]) == n, key
    assert record["arms"]["d"]["labels"] is None and record["arms"]["d-pool4000"]["pool"] == 4000
    long = ssl.load_results(ssl.LONG_RESULTS)["arms"]["b"]
    assert long["steps"] == 2 * record["arms"]["b"]["steps"]
    # the continued run repeats seed 0 of (b) for its first 5200 steps
    assert long["curves"][0][:40] == record["arms"]["b"]["curves"][0]


def test_paired_difference_pairs_the_shared_seeds():
    from ganlab.bench.ssl import paired_difference

    record = {
        "arms": {
            "x": {"seeds": [0, 1, 2], "test_error": [0.10, 0.20, 0.30], "fid": [5.0, 6.0, 7.0]},
            "y": {"seeds": [2, 0], "test_error": [0.25, 0.16], "fid": [9.0, 4.0]},
        }
    }
    text = paired_difference(record, "x", "y")
    # seeds 0 and 2 only: differences +6 and -5 points, mean +0.5, sample std √60.5 = 7.78
    assert "| 0 | 10.00 | 16.00 | +6.00 |" in text and "| 2 | 30.00 | 25.00 | -5.00 |" in text
    assert "| 1 |" not in text
    assert "| mean | 20.00 | 20.50 | +0.50 ± 7.78 |" in text
    assert "| mean | 6.00 | 6.50 | +0.50 ± 2.12 |" in paired_difference(record, "x", "y", "fid")
    record["arms"]["y"]["seeds"] = [5, 6]
    with pytest.raises(ValueError, match="share no seed"):
        paired_difference(record, "x", "y")


def test_bench_movie_quick_prints_record_and_redraw_rows(capsys):
    assert main(["bench", "movie", "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "training movie of 100 steps, a frame every 10 steps"
    assert [line.split()[0] for line in lines[2:]] == ["record", "redraw"]
    assert [int(line.split()[1]) for line in lines[2:]] == [11, 11]  # steps 0, 10, ..., 100
