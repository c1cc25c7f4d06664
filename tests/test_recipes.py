import pytest
import torch

from ganlab.data import ring_mixture
from ganlab.recipes import (
    COURSE_STEPS,
    compare_mnist,
    compare_seeds,
    coverage_log,
    coverage_table,
    load_seed_results,
    per_seed,
    save_seed_results,
    toy_gan,
    train_mnist_gan,
    train_toy_gan,
)
from ganlab.tricks import FeatureMatchingObjective

SMALL = {"hidden": 16, "depth": 2, "batch_size": 32, "progress": False, "device": "cpu"}


def test_train_toy_gan_is_reproducible_and_logs_coverage():
    mix = ring_mixture()
    a = train_toy_gan(mix, steps=20, seed=3, eval_every=10, eval_samples=100, **SMALL)
    b = train_toy_gan(mix, steps=20, seed=3, eval_every=10, eval_samples=100, **SMALL)
    assert a.history == b.history
    assert [step for step, _ in a.metrics["coverage"]] == [0, 10, 20]
    built = toy_gan(mix, seed=3, eval_every=10, eval_samples=100, **SMALL)
    assert built.step == 0 and [s for s, _ in built.metrics["coverage"]] == [0]
    assert built.fit(20).history == a.history  # build, then fit: the same run


def test_compare_seeds_and_its_table():
    methods = {"vanilla": {}, "feature matching": {"g_objective": FeatureMatchingObjective()}}
    results = compare_seeds(
        ring_mixture(), methods, seeds=[0, 1], steps=5, eval_samples=50, **SMALL
    )
    assert [(r.method, r.seed) for r in results] == [
        ("vanilla", 0),
        ("vanilla", 1),
        ("feature matching", 0),
        ("feature matching", 1),
    ]
    table = coverage_table(results).splitlines()
    assert len(table) == 3 and "modes covered (of 8)" in table[0]
    modes = [r.coverage.modes_covered for r in results[:2]]
    mean = sum(modes) / 2
    assert f"{mean:.1f} ±" in table[1]


def test_train_mnist_gan_on_a_few_images(device):
    images = torch.rand(16, 1, 28, 28)
    trainer = train_mnist_gan(
        images, steps=2, batch_size=8, latent_dim=8, device=device, progress=False
    )
    assert trainer.sample(3).shape == (3, 1, 28, 28)
    with pytest.raises(ValueError, match="28, 28"):
        train_mnist_gan(torch.rand(4, 3, 32, 32), steps=1)


def test_compare_mnist_same_seed_same_noise_and_real_digits_from_the_data():
    images = torch.rand(16, 1, 28, 28)
    small = {"steps": 2, "batch_size": 8, "latent_dim": 8, "progress": False, "device": "cpu"}
    # two identical methods must give identical samples: same seed, same noise
    out = compare_mnist(images, {"a": {}, "b": {}}, samples=5, **small)
    assert list(out) == ["real digits", "a", "b"]
    assert all(batch.shape == (5, 1, 28, 28) for batch in out.values())
    torch.testing.assert_close(out["a"], out["b"], rtol=0, atol=0)
    # the real digits are 5 distinct rows of the training set
    flat = images.flatten(1)
    rows = [int((flat == x.flatten()).all(dim=1).nonzero()) for x in out["real digits"]]
    assert len(set(rows)) == 5
    alone = compare_mnist(images, {"a": {}}, samples=5, include_real=False, **small)
    assert list(alone) == ["a"]
    torch.testing.assert_close(alone["a"], out["a"], rtol=0, atol=0)
    with pytest.raises(ValueError, match="samples"):
        compare_mnist(images, {"a": {}}, samples=0, **small)


def test_compare_seeds_uses_common_and_per_method_callbacks_together():
    calls = {"common": 0, "method": 0}

    def counter(key):
        def count(trainer):
            calls[key] += 1

        return count

    compare_seeds(
        ring_mixture(),
        {"vanilla": {"callbacks": [counter("method")]}},
        seeds=[0, 1],
        steps=3,
        eval_samples=50,
        callbacks=[counter("common")],
        **SMALL,
    )
    assert calls == {"common": 6, "method": 6}  # 2 seeds x 3 steps each


def test_coverage_tracking_does_not_change_the_run():
    mix = ring_mixture()
    tracked = train_toy_gan(mix, steps=12, seed=4, eval_every=3, eval_samples=50, **SMALL)
    plain = train_toy_gan(mix, steps=12, seed=4, **SMALL)
    assert tracked.history == plain.history


def test_the_course_baseline_is_toy_gans_default():
    trainer = toy_gan(ring_mixture(), seed=0, progress=False, device="cpu")
    assert trainer.latent_dim == 16 and trainer.batch_size == 128
    widths = [m.out_features for m in trainer.generator.modules() if isinstance(m, torch.nn.Linear)]
    assert widths == [128, 128, 128, 2]
    assert COURSE_STEPS == 10_000


def test_per_seed_values_and_one_seed_rows_without_spread():
    results = compare_seeds(
        ring_mixture(), {"a": {}}, seeds=[2, 5], steps=3, eval_samples=50, **SMALL
    )
    modes = per_seed(results, "a")
    assert modes == {r.seed: float(r.coverage.modes_covered) for r in results}
    quality = per_seed(results, "a", "quality")
    assert quality == {r.seed: 100 * r.coverage.high_quality for r in results}
    with pytest.raises(ValueError, match="methods are a"):
        per_seed(results, "b")
    with pytest.raises(ValueError, match="metric"):
        per_seed(results, "a", "fid")
    single = coverage_table(results[:1]).splitlines()
    assert "ddof 1" in single[0] and "±" not in single[1]


def test_seed_results_round_trip_as_data(tmp_path):
    mix = ring_mixture()
    results = compare_seeds(
        mix, {"a": {}, "b": {}}, seeds=[1, 3], steps=4, eval_every=2, eval_samples=60, **SMALL
    )
    path = save_seed_results(results, tmp_path / "r.json", {"steps": 4})
    loaded, meta = load_seed_results(path)
    assert meta == {"steps": 4}
    for a, b in zip(results, loaded, strict=True):
        assert (a.method, a.seed) == (b.method, b.seed) and b.trainer is None
        assert a.coverage.counts.tolist() == b.coverage.counts.tolist()
        assert a.coverage.high_quality == b.coverage.high_quality
        torch.testing.assert_close(a.samples, b.samples)
        assert [(s, c.modes_covered) for s, c in coverage_log(a)] == [
            (s, c.modes_covered) for s, c in coverage_log(b)
        ]
    assert coverage_table(loaded) == coverage_table(results)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="not a results file"):
        load_seed_results(tmp_path / "bad.json")
