"""The Fréchet distance between two sets of features (FID, Heusel et al., 2017).

Fit a Gaussian to each set of features (mean and covariance, ddof 1 as in the reference
TTUR code) and take the squared 2-Wasserstein distance between the two Gaussians:

    d² = ||μ_a − μ_b||² + tr(Σ_a) + tr(Σ_b) − 2 tr( (Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2} ).

With Inception's 2048 pool features this is the FID; with a small classifier's hidden layer
it is the "MNIST FID" of lesson 08.  Lower is better; 0 for identical statistics.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor


def _features(values: Tensor | np.ndarray, name: str) -> np.ndarray:
    """``values`` as a float64 array (N, F), N ≥ 2, finite; else an error saying what is wrong."""
    if isinstance(values, Tensor):
        values = values.detach().to("cpu", torch.float64).numpy()
    if not isinstance(values, np.ndarray):
        raise TypeError(f"{name} must be a torch.Tensor or a NumPy array, got {type(values)}")
    if values.ndim != 2:
        raise ValueError(
            f"{name} must have shape (N, F), one row of F features per sample; "
            f"got shape {values.shape}"
        )
    if len(values) < 2:
        raise ValueError(
            f"{name} needs at least 2 samples to estimate a covariance, got {len(values)}"
        )
    values = values.astype(np.float64)
    if not np.isfinite(values).all():
        raise ValueError(
            f"{name} must be finite; {int((~np.isfinite(values)).sum())} entries are NaN or inf"
        )
    return values


def feature_statistics(features: Tensor | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The mean (F,) and covariance (F, F), ddof 1, of ``features`` (N, F), in float64."""
    x = _features(features, "features")
    return x.mean(axis=0), np.cov(x, rowvar=False).reshape(x.shape[1], x.shape[1])


def _psd_sqrt(sigma: np.ndarray) -> np.ndarray:
    """The symmetric square root of a covariance matrix (negative round-off eigenvalues → 0)."""
    eigenvalues, vectors = np.linalg.eigh((sigma + sigma.T) / 2)
    return (vectors * np.sqrt(np.clip(eigenvalues, 0, None))) @ vectors.T


def frechet_distance_from_statistics(
    mu_a: np.ndarray, sigma_a: np.ndarray, mu_b: np.ndarray, sigma_b: np.ndarray
) -> float:
    """The Fréchet distance between N(μ_a, Σ_a) and N(μ_b, Σ_b), as a Python float.

    Args:
        mu_a, mu_b: (F,) means.  sigma_a, sigma_b: (F, F) covariances.
    """
    mu_a, mu_b = np.asarray(mu_a, np.float64), np.asarray(mu_b, np.float64)
    sigma_a, sigma_b = np.asarray(sigma_a, np.float64), np.asarray(sigma_b, np.float64)
    f = mu_a.shape[0] if mu_a.ndim == 1 else -1
    for name, value, shape in (
        ("mu_a", mu_a, (f,)),
        ("mu_b", mu_b, (f,)),
        ("sigma_a", sigma_a, (f, f)),
        ("sigma_b", sigma_b, (f, f)),
    ):
        if value.shape != shape:
            raise ValueError(
                f"{name} must have shape {shape} (means (F,), covariances (F, F) with the same "
                f"F); got {value.shape}"
            )
        if not np.isfinite(value).all():
            raise ValueError(f"{name} must be finite")
    root_a = _psd_sqrt(sigma_a)  # Σ_a^{1/2}
    inner = root_a @ sigma_b @ root_a  # Σ_a^{1/2} Σ_b Σ_a^{1/2}, symmetric PSD
    # tr((Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2}) = Σ_i sqrt(λ_i)
    trace_sqrt = np.sqrt(np.clip(np.linalg.eigvalsh((inner + inner.T) / 2), 0, None)).sum()
    diff = mu_a - mu_b
    # d² = ||μ_a − μ_b||² + tr Σ_a + tr Σ_b − 2 tr((Σ_a^{1/2} Σ_b Σ_a^{1/2})^{1/2})
    return float(diff @ diff + np.trace(sigma_a) + np.trace(sigma_b) - 2 * trace_sqrt)


def frechet_distance(features_a: Tensor | np.ndarray, features_b: Tensor | np.ndarray) -> float:
    """The Fréchet distance between the Gaussians fitted to two feature sets (FID).

    Args:
        features_a: (N, F) features of one set of images (e.g. real).
        features_b: (M, F) features of the other (e.g. generated); N and M may differ.
    """
    a, b = _features(features_a, "features_a"), _features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"features_a and features_b must have the same number of features; got "
            f"{a.shape[1]} and {b.shape[1]}"
        )
    return frechet_distance_from_statistics(*feature_statistics(a), *feature_statistics(b))
