"""Inception-v3 as the official Inception-score code sees it, through torch-fidelity.

The published scores come from TensorFlow's 2015-12-05 Inception graph: 1008 outputs (not
1000), logits = pool3 · W *without* the bias, 0–255 images resized in-graph with TF1's
bilinear resize to 299 × 299 and scaled to (x − 128) / 128.  torch-fidelity ports exactly
this network; :class:`InceptionV3` wraps it so that it takes the course's float images in
[0, 1] (grey or RGB) and returns those 1008 unbiased logits, with ``features`` giving the
2048 pool3 features of the FID.

Its weights (about 100 MB) are downloaded by torch-fidelity from a GitHub release.  This
module never downloads unless asked to: it uses ``weights_path``, or the copy in torch's hub
cache, and otherwise raises :class:`WeightsUnavailableError` with instructions.
``random_weights=True`` builds the same pipeline with random weights, for offline tests of
shapes and preprocessing only — its scores mean nothing.
"""

from __future__ import annotations

import os
from pathlib import Path
from unittest import mock

import torch
from torch import Tensor, nn


class WeightsUnavailableError(RuntimeError):
    """The Inception weights are not on this machine; the message says how to get them."""


def _fidelity_inception():
    try:
        from torch_fidelity import feature_extractor_inceptionv3 as module
    except ImportError as err:
        raise ImportError(
            "Inception-v3 needs torch-fidelity: pip install torch-fidelity "
            "(or pip install -e '.[course]')"
        ) from err
    return module


def cached_weights_path() -> Path:
    """Where torch-fidelity's download of the weights lands (torch's hub cache)."""
    module = _fidelity_inception()
    name = module.URL_INCEPTION_V3.rsplit("/", 1)[1]
    return Path(torch.hub.get_dir()) / "checkpoints" / name


def inception_weights_available(weights_path: str | os.PathLike | None = None) -> bool:
    """Whether the weights are at ``weights_path`` or in torch's hub cache (nothing downloaded)."""
    try:
        path = Path(weights_path) if weights_path is not None else cached_weights_path()
    except ImportError:
        return False
    return path.is_file()


def to_uint8_rgb(images: Tensor) -> Tensor:
    """Float images in [0, 1], (N, 1 or 3, H, W), as the uint8 RGB the network expects.

    Values are clamped to [0, 1], scaled to 0–255 and rounded; grey images are repeated over
    three channels.
    """
    if images.ndim != 4 or images.shape[1] not in (1, 3):
        raise ValueError(f"expected images of shape (N, 1 or 3, H, W), got {tuple(images.shape)}")
    if images.dtype == torch.uint8:
        x = images
    elif images.is_floating_point():
        x = (images.clamp(0, 1) * 255).round().to(torch.uint8)  # (N, C, H, W)
    else:
        raise TypeError(f"expected float images in [0, 1] or uint8, got dtype {images.dtype}")
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


class InceptionV3(nn.Module):
    """torch-fidelity's TF-compatible Inception-v3: images → 1008 logits without bias.

    Args:
        weights_path: a local copy of torch-fidelity's ``weights-inception-2015-12-05-*.pth``;
            default: torch's hub cache.
        download: let torch-fidelity download the weights when they are missing.
        random_weights: skip loading (random initialisation) — for pipeline tests only.
    """

    def __init__(
        self,
        weights_path: str | os.PathLike | None = None,
        *,
        download: bool = False,
        random_weights: bool = False,
    ):
        super().__init__()
        module = _fidelity_inception()
        features = ["2048", "logits_unbiased"]
        if random_weights:
            with (
                mock.patch.object(module, "load_state_dict_from_url", return_value=None),
                mock.patch.object(module.FeatureExtractorInceptionV3, "load_state_dict"),
            ):
                self.net = module.FeatureExtractorInceptionV3("inception-v3-compat", features)
        else:
            path = Path(weights_path) if weights_path is not None else cached_weights_path()
            if not path.is_file() and not download:
                raise WeightsUnavailableError(
                    f"the Inception-v3 weights are not at {path}. Download "
                    f"{module.URL_INCEPTION_V3} on a machine with internet and pass "
                    "weights_path=..., or use InceptionV3(download=True) once (it caches them "
                    "in torch's hub folder). Offline, score MNIST with ganlab's MNIST "
                    "classifier instead."
                )
            self.net = module.FeatureExtractorInceptionV3(
                "inception-v3-compat",
                features,
                feature_extractor_weights_path=str(path) if path.is_file() else None,
            )
        self.net.eval()

    def forward_with_features(self, images: Tensor) -> tuple[Tensor, Tensor]:
        """``(logits (N, 1008), pool3 features (N, 2048))`` of float images in [0, 1]."""
        pool, logits = self.net(to_uint8_rgb(images))
        return logits, pool

    def features(self, images: Tensor) -> Tensor:
        """The 2048 pool3 features of the FID, (N, 2048)."""
        return self.forward_with_features(images)[1]

    def forward(self, images: Tensor) -> Tensor:
        """The 1008 logits pool3 · W, without the bias (as the official IS code), (N, 1008)."""
        return self.forward_with_features(images)[0]
