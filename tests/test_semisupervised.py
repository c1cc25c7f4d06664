"""Tests of ganlab.semisupervised: K+1 losses, weight-norm init, parameter averaging."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from ganlab.semisupervised import (
    Discriminator,
    EpochRecord,
    ExponentialMovingAverage,
    GaussianNoise,
    Generator,
    WeightNormLinear,
    data_dependent_init,
    discriminator_probability,
    generator_nonsaturating_loss,
    kplus1_logits,
    kplus1_supervised_loss,
    kplus1_unsupervised_loss,
    log_partition,
    supervised_loss,
    unsupervised_loss,
)


def _naive_unsupervised(unl: torch.Tensor, fake: torch.Tensor) -> float:
    """-½ mean log D(x) - ½ mean log(1 - D(G(z))) in float64 with Python's math, by loop."""

    def z(row):
        return sum(math.exp(float(v)) for v in row)

    real = [-math.log(z(r) / (z(r) + 1)) for r in unl]
    gen = [-math.log(1 / (z(r) + 1)) for r in fake]
    return 0.5 * sum(real) / len(real) + 0.5 * sum(gen) / len(gen)


def test_unsupervised_loss_matches_the_definition_by_loop(device):
    gen = torch.Generator().manual_seed(0)
    unl = torch.randn(7, 10, generator=gen, dtype=torch.float64) * 3
    fake = torch.randn(5, 10, generator=gen, dtype=torch.float64) * 3
    got = unsupervised_loss(unl.to(device), fake.to(device))
    assert abs(float(got) - _naive_unsupervised(unl, fake)) < 1e-12


def _naive_generator(fake: torch.Tensor) -> float:
    """-mean log D(G(z)) in float64 with Python's math, by loop."""
    zs = [sum(math.exp(float(v)) for v in row) for row in fake]
    return sum(-math.log(z / (z + 1)) for z in zs) / len(zs)


EXACT = {"rtol": 0.0, "atol": 1e-12}  # float64: the forms differ by rounding only


def test_generator_loss_matches_the_definition_by_loop(device):
    gen = torch.Generator().manual_seed(3)
    fake = torch.randn(9, 10, generator=gen, dtype=torch.float64) * 3
    got = generator_nonsaturating_loss(fake.to(device))
    assert abs(float(got) - _naive_generator(fake)) < 1e-12


def test_losses_equal_the_explicit_k_plus_1_softmax(device):
    gen = torch.Generator().manual_seed(1)
    unl = torch.randn(16, 10, generator=gen, dtype=torch.float64).to(device) * 4
    fake = torch.randn(12, 10, generator=gen, dtype=torch.float64).to(device) * 4
    labels = torch.randint(10, (16,), generator=gen).to(device)
    torch.testing.assert_close(
        unsupervised_loss(unl, fake),
        kplus1_unsupervised_loss(kplus1_logits(unl), kplus1_logits(fake)),
        **EXACT,
    )
    torch.testing.assert_close(
        supervised_loss(unl, labels), kplus1_supervised_loss(kplus1_logits(unl), labels), **EXACT
    )
    p_generated = torch.softmax(kplus1_logits(unl), dim=1)[:, -1]  # p(y = K+1 | x)
    torch.testing.assert_close(discriminator_probability(unl), 1 - p_generated, **EXACT)
    # G's loss -E log D(G(z)) = -E log(1 - p(K+1 | G(z))), from the explicit softmax
    log_p_fake = torch.log_softmax(kplus1_logits(fake), dim=1)
    explicit_g = -torch.logsumexp(log_p_fake[:, :-1], dim=1).mean()
    torch.testing.assert_close(generator_nonsaturating_loss(fake), explicit_g, **EXACT)


def test_k_plus_1_losses_are_the_vanilla_gan_losses_of_log_z(device):
    """§5's identity: the K+1 classifier is a GAN discriminator with the logit log Z(x)."""
    from ganlab.losses import discriminator_loss, generator_loss

    gen = torch.Generator().manual_seed(4)
    unl = (torch.randn(16, 10, generator=gen, dtype=torch.float64) * 4).to(device)
    fake = (torch.randn(12, 10, generator=gen, dtype=torch.float64) * 4).to(device)
    lse_unl, lse_fake = log_partition(unl), log_partition(fake)
    torch.testing.assert_close(lse_unl, torch.log(unl.exp().sum(dim=1)), **EXACT)
    torch.testing.assert_close(
        unsupervised_loss(unl, fake), 0.5 * discriminator_loss(lse_unl, lse_fake), **EXACT
    )
    torch.testing.assert_close(
        generator_nonsaturating_loss(fake), generator_loss(lse_fake, "nonsaturating"), **EXACT
    )
    # the closed form of the module docstring, written out
    closed = 0.5 * F.softplus(-lse_unl).mean() + 0.5 * F.softplus(lse_fake).mean()
    torch.testing.assert_close(unsupervised_loss(unl, fake), closed, **EXACT)


def test_shifting_the_k_plus_1_logits_changes_nothing():
    """The over-parameterisation: l_{K+1} = 0 loses nothing, any common shift is invisible."""
    gen = torch.Generator().manual_seed(2)
    unl, fake = torch.randn(6, 11, generator=gen), torch.randn(6, 11, generator=gen)
    shift = torch.randn(6, 1, generator=gen)
    torch.testing.assert_close(
        kplus1_unsupervised_loss(unl, fake), kplus1_unsupervised_loss(unl + shift, fake - shift)
    )
    pinned = kplus1_unsupervised_loss(unl - unl[:, -1:], fake - fake[:, -1:])
    torch.testing.assert_close(
        pinned, unsupervised_loss(unl[:, :-1] - unl[:, -1:], fake[:, :-1] - fake[:, -1:])
    )


@pytest.mark.parametrize("scale", [1000.0, -1000.0])
def test_stable_at_huge_logits(scale):
    logits = torch.full((4, 10), scale, requires_grad=True)
    loss = unsupervised_loss(logits, logits)
    loss.backward()
    loss = loss.detach()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()
    lse = scale + math.log(10)
    # closed forms: softplus(t) = t for t ≫ 0 and 0 for t ≪ 0
    expected = 0.5 * lse if scale > 0 else 0.5 * -lse
    assert abs(float(loss) - expected) < 1e-3
    p = discriminator_probability(logits.detach())
    assert torch.equal(p, torch.full((4,), 1.0 if scale > 0 else 0.0))
    g = generator_nonsaturating_loss(logits.detach())
    assert math.isfinite(float(g))


def test_loss_validation_messages():
    with pytest.raises(ValueError, match="shape \\(N, K\\)"):
        unsupervised_loss(torch.zeros(3), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="same number of classes"):
        unsupervised_loss(torch.zeros(3, 10), torch.zeros(3, 9))
    with pytest.raises(ValueError, match="labels must have shape"):
        supervised_loss(torch.zeros(3, 10), torch.zeros(4, dtype=torch.long))
    with pytest.raises(TypeError, match="logits_fake must be a floating-point tensor"):
        unsupervised_loss(torch.zeros(3, 10), torch.zeros(3, 10, dtype=torch.long))
    with pytest.raises(ValueError, match="logits_fake must have shape"):
        generator_nonsaturating_loss(torch.zeros(3, 10, 1))


def test_weight_norm_linear_is_g_times_v_over_norm():
    layer = WeightNormLinear(6, 4, train_scale=False)
    v, g = layer.weight_v.detach(), layer.weight_g.detach()
    expected = g * v / v.norm(dim=1, keepdim=True)
    torch.testing.assert_close(layer.weight, expected)
    assert not layer.weight_g.requires_grad and layer.weight_v.requires_grad
    assert WeightNormLinear(6, 4).weight_g.requires_grad


def test_data_dependent_init_standardises_every_pre_activation():
    torch.manual_seed(0)
    disc = Discriminator(hidden=(64, 32, 16))
    x = torch.rand(300, 1, 28, 28)
    torch.manual_seed(1)
    data_dependent_init(disc, x)
    pre = []
    hooks = [
        m.register_forward_hook(lambda _m, _i, out: pre.append(out.double()))
        for m in disc.modules()
        if isinstance(m, WeightNormLinear)
    ]
    torch.manual_seed(1)  # the same noise draws as during the init pass
    disc(x)
    for h in hooks:
        h.remove()
    assert len(pre) == 4
    for out in pre:
        torch.testing.assert_close(
            out.mean(0), torch.zeros(out.shape[1], dtype=torch.float64), atol=1e-4, rtol=0
        )
        torch.testing.assert_close(
            out.var(0, unbiased=False),
            torch.ones(out.shape[1], dtype=torch.float64),
            atol=1e-3,
            rtol=0,
        )


def test_noise_only_in_training_mode():
    noise = GaussianNoise(0.5)
    x = torch.zeros(2000)
    assert abs(float(noise(x).std()) - 0.5) < 0.05
    noise.eval()
    assert torch.equal(noise(x), x)
    disc = Discriminator(hidden=(8, 8)).eval()
    x = torch.rand(3, 784)
    assert torch.equal(disc(x), disc(x))


def test_predict_runs_in_eval_mode_and_restores_the_modes():
    from ganlab.semisupervised import predict

    torch.manual_seed(0)
    disc = Discriminator(hidden=(8, 8))
    disc.feature_noise.eval()
    x = torch.rand(7, 784)
    with torch.no_grad():
        expected = disc.eval()(x).argmax(1)
    disc.train()
    disc.feature_noise.eval()
    assert torch.equal(predict(disc, x, batch_size=3), expected)  # noise off: deterministic
    assert disc.training and disc.body.training and not disc.feature_noise.training


def test_generator_shapes_and_range():
    gen = Generator(latent_dim=7)
    z = gen.sample_latent(5)
    assert z.min() >= 0 and z.max() <= 1
    with torch.no_grad():
        x = gen(z)
    assert x.shape == (5, 1, 28, 28) and float(x.min()) > 0 and float(x.max()) < 1
    with pytest.raises(ValueError, match=r"\(N, 7\)"):
        gen(torch.rand(5, 6))


@pytest.mark.parametrize("warmup", [False, True])
def test_ema_matches_a_naive_loop(warmup):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 2)
    rate = 0.01
    ema = ExponentialMovingAverage(model, rate, warmup=warmup)
    expected = [p.detach().double().clone() for p in model.parameters()]
    for t in range(1000):
        with torch.no_grad():
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        ema.update(model)
        # TensorFlow's num_updates rule: decay = min(1 - rate, (1 + t) / (10 + t))
        decay = min(1 - rate, (1 + t) / (10 + t)) if warmup else 1 - rate
        expected = [
            decay * a + (1 - decay) * p.detach().double()
            for a, p in zip(expected, model.parameters(), strict=True)
        ]
    for avg, exp in zip(ema.model.parameters(), expected, strict=True):
        torch.testing.assert_close(avg.double(), exp, rtol=1e-5, atol=1e-5)  # float32 steps
    assert ema.current_rate() == rate  # 9 / (10 + 1000) < 0.01
    with pytest.raises(ValueError, match="rate must be in"):
        ExponentialMovingAverage(model, 0.0)


# ------------------------------------------------------------------ training, checkpoints, CLI

SHORT_EPOCHS = 30  # 1200 steps of the paper-sized networks: margins of 6 to 9 points, seeds 0-2
SMALL = {"hidden": (64, 32), "batch_size": 50, "latent_dim": 16, "init_examples": 100}


def _digits(n_train: int = 1000):
    from ganlab.data import mnist

    train_x, train_y = mnist("train", "offline")
    test_x, test_y = mnist("test", "offline")
    keep = torch.arange(0, len(train_x), len(train_x) // n_train)[:n_train]
    return train_x[keep], train_y[keep], test_x, test_y


@pytest.mark.parametrize("objective", ["feature_matching", "minibatch", "none"])
def test_resuming_from_a_checkpoint_continues_the_same_run(tmp_path, objective):
    from ganlab.semisupervised import SemiSupervisedTrainer, SSLConfig

    data = _digits(400)
    config = SSLConfig(labels=20, generator_objective=objective, minibatch_kernels=4, **SMALL)
    straight = SemiSupervisedTrainer(*data, config, seed=3, device="cpu").fit(2)
    first = SemiSupervisedTrainer(*data, config, seed=3, device="cpu").fit(1)
    first.save(tmp_path / "ckpt.pt")
    torch.manual_seed(123)  # resuming must restore the random state, whatever it is now
    resumed = SemiSupervisedTrainer(*data, config, seed=3, device="cpu")
    assert resumed.resume(tmp_path / "ckpt.pt") and resumed.epoch == 1
    resumed.fit(2)
    for a, b in zip(straight.state_dict()["ema"]["model"].values(),
                    resumed.state_dict()["ema"]["model"].values(), strict=True):  # fmt: skip
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    assert [r.test_error for r in straight.history] == [r.test_error for r in resumed.history]
    other = SemiSupervisedTrainer(*data, config, seed=4, device="cpu")
    with pytest.raises(ValueError, match="seed"):
        other.resume(tmp_path / "ckpt.pt")


def test_cli_writes_result_json_and_resumes(tmp_path, capsys):
    import json

    from ganlab.cli import main

    args = ["ssl", "--labels", "100", "--data", "offline", "--seed", "1"]
    args += ["--generator-objective", "none", "--out", str(tmp_path), "--no-progress"]
    args += ["--unlabeled-weight", "0.5"]
    assert main([*args, "--epochs", "1"]) == 0
    result = json.loads((tmp_path / "result.json").read_text())
    assert {"test_error", "test_error_raw", "epochs", "labels", "seed", "seconds"} <= set(result)
    assert 0 <= result["test_error"] <= 1 and 0 <= result["test_error_raw"] <= 1
    assert (result["epochs"], result["labels"], result["seed"]) == (1, 100, 1)
    assert result["config"]["unlabeled_weight"] == 0.5
    assert result["config"]["lr"] == 0.001  # the offline default; full MNIST keeps 0.003
    assert result["seconds"] > 0 and (tmp_path / "checkpoint.pt").exists()
    assert main([*args, "--epochs", "2"]) == 0
    assert "resumed from" in capsys.readouterr().out
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["epochs"] == 2 and len(result["history"]) == 2
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temporary files


def test_labelled_batches_tile_a_class_balanced_set():
    from ganlab.semisupervised import SemiSupervisedTrainer, SSLConfig

    data = _digits(400)
    trainer = SemiSupervisedTrainer(*data, SSLConfig(labels=20, **SMALL), seed=0, device="cpu")
    assert torch.bincount(data[1][trainer.labeled]).tolist() == [2] * 10
    batches = list(trainer._batches())
    assert len(batches) == trainer.steps_per_epoch == 400 // 50
    labelled = torch.cat([lab for lab, _, _ in batches])
    assert set(labelled.tolist()) == set(trainer.labeled.tolist())
    counts = torch.bincount(labelled, minlength=400)[trainer.labeled]
    assert counts.max() - counts.min() <= 1  # every labelled example as often as the others
    unl = torch.cat([u for _, u, _ in batches])
    assert len(set(unl.tolist())) == 400  # one pass over the unlabelled set
    real_for_g = torch.cat([r for _, _, r in batches])
    assert len(set(real_for_g.tolist())) == 400  # and another, in its own order, for G
    assert not torch.equal(real_for_g, unl)


def test_bench_table_reports_mean_sample_std_and_the_ratio():
    from ganlab.bench.ssl import MAIN_ARMS, ArmResult, table

    results = [
        ArmResult(arm, seeds=[0, 1], errors=e, raw_errors=e, seconds=[10.0, 20.0], steps=130)
        for arm, e in zip(
            MAIN_ARMS, ([0.2, 0.3], [0.06, 0.08], [0.1, 0.1], [0.05, 0.07]), strict=True
        )
    ]
    results[2].mnist_scores, results[2].fids = [8.0, 9.0], [10.0, 14.0]
    text = table(results)
    # sample std (ddof 1) of 6 and 8 is √2 = 1.41
    row = "| (b) K+1 + feature matching | 2 | 130 | 7.00 ± 1.41 | 7.00 ± 1.41 | – | – | 15 |"
    assert row in text
    assert "| 8.50 ± 0.71 | 12.0 ± 2.8 |" in text
    assert "sample standard deviation (ddof 1)" in text
    assert "(b) / (d) = 1.17" in text
    one = [ArmResult(MAIN_ARMS[0], seeds=[0], errors=[0.1], raw_errors=[0.1], seconds=[1.0])]
    assert "10.00 (1 seed)" in table(one) and "±" not in table(one).split("\n")[2]


def test_ssl_commands_are_registered():
    from ganlab.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["ssl", "--epochs", "3", "--generator-objective", "minibatch"])
    assert (args.epochs, args.generator_objective, args.labels, args.data) == (
        3,
        "minibatch",
        100,
        "offline",
    )
    args = parser.parse_args(["bench", "ssl", "--quick", "--seeds", "2", "--arms", "b,c"])
    assert args.profile == "quick" and args.seeds == 2 and [a.key for a in args.arms] == ["b", "c"]


def test_confusion_matrix_equals_a_naive_count():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ganlab.semisupervised.plots import confusion_matrix, plot_confusion

    gen = torch.Generator().manual_seed(0)
    labels = torch.randint(10, (300,), generator=gen)
    predicted = torch.where(torch.rand(300, generator=gen) < 0.7, labels,
                            torch.randint(10, (300,), generator=gen))  # fmt: skip
    expected = np.zeros((10, 10), dtype=np.int64)
    for t, p in zip(labels.tolist(), predicted.tolist(), strict=True):
        expected[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(labels, predicted), expected)
    ax = plot_confusion(labels, predicted)
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    for k in range(10):
        error = 100 * (1 - expected[k, k] / expected[k].sum())
        assert ticks[k] == f"{k}  ({error:.1f} %)"
    written = {t.get_text() for t in ax.texts}
    assert written == {str(v) for i, row in enumerate(expected) for j, v in enumerate(row)
                       if i != j and v}  # fmt: skip
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="must lie in 0..9"):
        confusion_matrix(torch.tensor([0, 10]), torch.tensor([0, 1]))


def test_seed_curves_draw_every_seed_and_their_mean():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ganlab.semisupervised.plots import plot_seed_curves

    arm = {"curves": [[0.3, 0.2, 0.1], [0.5, 0.2, 0.3]], "steps_per_epoch": 130}
    ax = plot_seed_curves({"(b)": arm})
    mean, *seeds = [line for line in ax.get_lines() if len(line.get_xdata())]
    assert list(mean.get_xdata()) == [130, 260, 390]
    assert mean.get_ydata() == pytest.approx([40, 20, 20])
    assert [list(s.get_ydata()) for s in seeds] == [
        pytest.approx([30, 20, 10]),
        pytest.approx([50, 20, 30]),
    ]
    assert ax.get_legend().get_texts()[0].get_text() == "(b) (mean of 2)"
    plt.close(ax.figure)


def test_error_curves_plot_each_history_with_one_legend_entry_per_run():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ganlab.semisupervised.plots import plot_error_curves

    gen = torch.Generator().manual_seed(0)
    histories = {}
    for name in ("(a) one", "(b) two"):
        errors = torch.rand(2, 8, generator=gen) * 0.3 + 0.01
        histories[name] = [
            EpochRecord(e + 1, float(errors[0, e]), float(errors[1, e]), 0.0, 0.0, 0.0, 1.0)
            for e in range(8)
        ]
    ax = plot_error_curves(histories, raw=True)
    lines = [line for line in ax.get_lines() if len(line.get_xdata())]
    assert len(lines) == 4  # averaged and raw D for each run
    for i, history in enumerate(histories.values()):
        averaged, raw = lines[2 * i], lines[2 * i + 1]
        assert list(averaged.get_xdata()) == [r.epoch for r in history]
        assert averaged.get_ydata() == pytest.approx([100 * r.test_error for r in history])
        assert raw.get_ydata() == pytest.approx([100 * r.test_error_raw for r in history])
        assert raw.get_color() == averaged.get_color()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["(a) one", "(b) two", "raw D (faint, same colour)"]
    ax.figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all("times" not in t and "^" not in t for t in ticks), ticks
    plt.close(ax.figure)


@pytest.mark.parametrize(("weight", "use_labels"), [(1.0, True), (0.3, True), (1.0, False)])
def test_discriminator_step_is_the_loss_of_three_separate_passes(weight, use_labels):
    """One batched pass over labelled, unlabelled and fake examples gives the gradient of
    L_sup + w·L_unsup computed pass by pass; G's step leaves D's gradients and flags alone."""
    import copy

    from ganlab.semisupervised import SemiSupervisedTrainer, SSLConfig

    config = SSLConfig(labels=20, unlabeled_weight=weight, use_labels=use_labels, **SMALL)
    trainer = SemiSupervisedTrainer(*_digits(400), config, seed=5, device="cpu")
    D, G = trainer.discriminator, trainer.generator
    for module in D.modules():
        if isinstance(module, GaussianNoise):
            module.sigma = 0.0  # no noise, so both computations see the same network
    lab, unl, real_for_g = next(trainer._batches())
    before_d, before_g = copy.deepcopy(D), copy.deepcopy(G)
    rng = torch.get_rng_state()
    trainer.train_step(lab, unl, real_for_g)
    torch.set_rng_state(rng)
    with torch.no_grad():
        fake = before_g(before_g.sample_latent(config.batch_size))
    images, labels = trainer.train_images, trainer.train_labels
    loss = weight * unsupervised_loss(before_d(images[unl]), before_d(fake))
    if use_labels:
        loss = loss + supervised_loss(before_d(images[lab]), labels[lab])
    loss.backward()
    for (name, expected), got in zip(before_d.named_parameters(), D.parameters(), strict=True):
        assert got.requires_grad == expected.requires_grad, name
        if expected.requires_grad:
            torch.testing.assert_close(got.grad, expected.grad, rtol=1e-4, atol=1e-6)


def test_a_short_run_with_a_generator_beats_the_labelled_examples_alone():
    """The paper's claim in miniature: 100 labels plus the unlabelled digits and a
    feature-matching G classify the 1000 test digits better than the 100 labels alone."""
    from ganlab.semisupervised import OFFLINE_LR, SemiSupervisedTrainer, SSLConfig

    data = _digits(4000)
    errors = {}
    for objective in ("none", "feature_matching"):
        config = SSLConfig(labels=100, generator_objective=objective, lr=OFFLINE_LR)
        trainer = SemiSupervisedTrainer(*data, config, seed=0, device="cpu").fit(SHORT_EPOCHS)
        errors[objective] = trainer.history[-1].test_error
    assert errors["feature_matching"] < errors["none"] - 0.03, errors


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("generator_objective", "wasserstein", "generator_objective must be one of"),
        ("labels", 0, "labels and batch_size must be >= 1"),
        ("unlabeled_weight", -1.0, "unlabeled_weight must be >= 0"),
        ("lr", 0.0, "lr must be > 0"),
        ("adam", "adamw", "adam must be one of"),
        ("minibatch_generator_loss", "wgan", "minibatch_generator_loss must be one of"),
        ("minibatch_generator_steps", 0, "minibatch_generator_steps must be >= 1"),
    ],
)
def test_config_rejects_bad_settings(field, value, message):
    from ganlab.semisupervised import SSLConfig

    with pytest.raises(ValueError, match=message):
        SSLConfig(**{field: value})


def test_default_learning_rate_is_the_papers_except_offline():
    from ganlab.semisupervised import OFFLINE_LR, PAPER_LR, SSLConfig, default_lr

    assert SSLConfig().lr == PAPER_LR == 0.003  # the official script's value
    assert default_lr("torchvision") == PAPER_LR and default_lr("offline") == OFFLINE_LR == 0.001


@pytest.mark.parametrize("loss", ["minimax", "nonsaturating"])
def test_minibatch_objective_is_the_official_scripts_recipe(monkeypatch, loss):
    """(c): a weight-normalised minibatch layer initialised from data, and three G steps on
    log(1 - D(G(z))) per D step; or, as asked, one step on -log D(G(z))."""
    from ganlab.losses import generator_loss
    from ganlab.semisupervised import SemiSupervisedTrainer, SSLConfig, log_partition
    from ganlab.semisupervised.settings import MINIBATCH_GENERATOR_STEPS

    steps = MINIBATCH_GENERATOR_STEPS if loss == "minimax" else 1
    config = SSLConfig(
        labels=20,
        generator_objective="minibatch",
        minibatch_kernels=6,
        minibatch_generator_loss=loss,
        minibatch_generator_steps=steps,
        **SMALL,
    )
    trainer = SemiSupervisedTrainer(*_digits(400), config, seed=0, device="cpu")
    layer = trainer.discriminator.minibatch
    assert layer.weight_norm and (layer.num_kernels, layer.kernel_dim) == (6, 5)
    assert not torch.equal(layer.bias.detach(), torch.full((6,), -1.0))  # set from data
    assert not torch.equal(layer.log_scale.detach(), torch.zeros(6, 5))
    losses = []
    original = SemiSupervisedTrainer._generator_step

    def counting(self, real_for_g):
        D, G = self.discriminator, self.generator
        state = torch.get_rng_state()
        with torch.no_grad():  # the loss G's step is about to take, from the same noise
            fake = G(G.sample_latent(self.config.batch_size))
            expected = generator_loss(log_partition(D(fake)), loss).item()
        torch.set_rng_state(state)
        got = original(self, real_for_g)
        losses.append((got, expected))
        return got

    monkeypatch.setattr(SemiSupervisedTrainer, "_generator_step", counting)
    trainer.train_step(*next(trainer._batches()))
    assert len(losses) == steps and MINIBATCH_GENERATOR_STEPS == 3
    for got, expected in losses:
        assert got == pytest.approx(expected, rel=1e-5)
        assert (got < 0) == (loss == "minimax")  # log(1 - D) < 0 < -log D
    assert trainer.g_optimizer.state[next(trainer.generator.parameters())]["step"] == steps


def test_all_labels_and_the_training_pool():
    from ganlab.semisupervised import SemiSupervisedTrainer, SSLConfig
    from ganlab.semisupervised.experiment import training_pool

    data = _digits(400)
    n = len(data[1])
    trainer = SemiSupervisedTrainer(
        *data, SSLConfig(labels=n, generator_objective="none", **SMALL), device="cpu"
    )
    assert trainer.labeled.tolist() == list(range(n))
    with pytest.raises(ValueError, match="at most 400"):
        SemiSupervisedTrainer(*data, SSLConfig(labels=410, **SMALL), device="cpu")
    small_x, small_y = training_pool("offline", 400)
    big_x, big_y = training_pool("offline", 800)
    assert torch.bincount(small_y).tolist() == [40] * 10
    assert torch.bincount(big_y).tolist() == [80] * 10
    big_rows = {r.numpy().tobytes() for r in big_x.flatten(1)}
    assert all(r.numpy().tobytes() in big_rows for r in small_x.flatten(1))  # nested
    assert len(training_pool("offline")[1]) == 13000
    with pytest.raises(ValueError, match="multiple of 10"):
        training_pool("offline", 405)


def test_a_planted_checkpoint_does_not_run_code(tmp_path):
    import pickle

    from ganlab.semisupervised import SemiSupervisedTrainer, SSLConfig

    marker = tmp_path / "pwned"

    class Payload:
        def __reduce__(self):
            return (marker.write_text, ("ran",))

    (tmp_path / "checkpoint.pt").write_bytes(pickle.dumps({"config": Payload()}, protocol=2))
    trainer = SemiSupervisedTrainer(
        *_digits(400), SSLConfig(labels=20, generator_objective="none", **SMALL), device="cpu"
    )
    with pytest.raises(ValueError, match="damaged or not a ganlab ssl checkpoint"):
        trainer.resume(tmp_path / "checkpoint.pt")
    assert not marker.exists()


def test_a_truncated_checkpoint_says_what_to_do(tmp_path, capsys):
    from ganlab.cli import main

    args = ["ssl", "--labels", "100", "--data", "offline", "--seed", "1"]
    args += ["--generator-objective", "none", "--out", str(tmp_path), "--no-progress"]
    assert main([*args, "--epochs", "1"]) == 0
    checkpoint = tmp_path / "checkpoint.pt"
    checkpoint.write_bytes(checkpoint.read_bytes()[: checkpoint.stat().st_size // 2])
    capsys.readouterr()
    assert main([*args, "--epochs", "2"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ganlab ssl: error: cannot resume from") and "delete it" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_checkpoint_without_a_newer_setting_loads_as_its_default(tmp_path):
    from ganlab.semisupervised import SemiSupervisedTrainer, SSLConfig

    config = SSLConfig(labels=20, generator_objective="none", **SMALL)
    trainer = SemiSupervisedTrainer(*_digits(400), config, device="cpu").fit(1)
    state = trainer.state_dict()
    del state["config"]["minibatch_generator_steps"]  # as written before the field existed
    torch.save(state, tmp_path / "old.pt")
    fresh = SemiSupervisedTrainer(*_digits(400), config, device="cpu")
    assert fresh.resume(tmp_path / "old.pt") and fresh.epoch == 1
    state["config"]["minibatch_generator_steps"] = 2  # a different setting still refuses
    torch.save(state, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="use another output folder"):
        SemiSupervisedTrainer(*_digits(400), config, device="cpu").resume(tmp_path / "other.pt")
