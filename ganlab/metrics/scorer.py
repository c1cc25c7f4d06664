"""From images to Inception-score logits and FID features, with any classifier.

:func:`classify` runs a classifier (an ``nn.Module`` returning logits) over images given as
a tensor, a DataLoader, or a generator plus a number of samples, in batches, on the chosen
device, with a progress bar, and returns the logits (and the features of the FID when the
classifier has a ``features`` method).  :func:`score_images` adds the scores.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader

from ganlab.config import get_device
from ganlab.metrics.frechet_distance import frechet_distance
from ganlab.metrics.inception_score import inception_score
from ganlab.progress import progress_bar

# A generator module with a ``latent_dim`` attribute, or a function n -> (n, C, H, W) images.
ImageSource = Tensor | DataLoader | nn.Module | Callable[[int], Tensor]


@dataclass(frozen=True)
class ClassifierOutputs:
    """What a classifier says about N images (on the CPU, float32)."""

    logits: Tensor  # (N, K)
    features: Tensor | None  # (N, F), or None when not requested / not available

    def inception_score(self, splits: int = 10, **kwargs: object) -> tuple[float, float]:
        """:func:`ganlab.metrics.inception_score` of these logits."""
        return inception_score(logits=self.logits, splits=splits, **kwargs)

    def frechet_distance(self, other: ClassifierOutputs) -> float:
        """:func:`ganlab.metrics.frechet_distance` between these features and ``other``'s."""
        if self.features is None or other.features is None:
            raise ValueError("features were not computed: call classify(..., features=True)")
        return frechet_distance(self.features, other.features)


def _images(batch: object) -> Tensor:
    """The images of a DataLoader batch: the tensor itself, or the first item of a tuple."""
    if isinstance(batch, (tuple, list)):
        batch = batch[0]
    if not isinstance(batch, Tensor):
        raise TypeError(
            f"expected batches of image tensors (or (images, labels)), got {type(batch)}"
        )
    return batch


def _generated(
    source: nn.Module | Callable[[int], Tensor], n: int, batch_size: int, seed: int, device
) -> Iterator[Tensor]:
    """Batches of ``n`` generated images; a module draws z ~ N(0, I) from ``seed`` up front,
    so that the images do not depend on the batch size (if the module is in eval mode)."""
    if isinstance(source, nn.Module):
        if not isinstance(getattr(source, "latent_dim", None), int):
            raise TypeError(
                "a generator module needs an int attribute latent_dim; otherwise pass a "
                "function n -> images, e.g. trainer.sample"
            )
        z = torch.randn(n, source.latent_dim, generator=torch.Generator().manual_seed(seed))
        for start in range(0, n, batch_size):
            yield source(z[start : start + batch_size].to(device))
        return
    with torch.random.fork_rng():  # seeded, without touching the caller's streams
        torch.manual_seed(seed)
        for start in range(0, n, batch_size):
            yield source(min(batch_size, n - start))


def _batches(
    source: ImageSource, num_samples: int | None, batch_size: int, seed: int, device
) -> tuple[Iterable[Tensor], int | None]:
    if isinstance(source, Tensor):
        if source.ndim != 4:
            raise ValueError(f"expected images of shape (N, C, H, W), got {tuple(source.shape)}")
        n = len(source) if num_samples is None else min(num_samples, len(source))
        return (source[s : min(s + batch_size, n)] for s in range(0, n, batch_size)), n
    if isinstance(source, DataLoader):
        batches = (_images(b) for b in source)
        return (batches if num_samples is None else _take(batches, num_samples)), num_samples
    if callable(source):
        if num_samples is None or num_samples < 1:
            raise ValueError(f"a generator needs num_samples >= 1, got {num_samples!r}")
        return _generated(source, num_samples, batch_size, seed, device), num_samples
    raise TypeError(
        f"expected a tensor of images, a DataLoader, or a generator, got {type(source)}"
    )


def _take(batches: Iterable[Tensor], n: int) -> Iterator[Tensor]:
    """The first ``n`` images of a stream of batches."""
    for batch in batches:
        if n <= 0:
            return
        yield batch[:n]
        n -= len(batch[:n])


@torch.no_grad()
def classify(
    classifier: nn.Module,
    source: ImageSource,
    *,
    num_samples: int | None = None,
    batch_size: int = 250,
    features: bool = True,
    seed: int = 0,
    device: str | torch.device | None = None,
    progress: bool | None = None,
) -> ClassifierOutputs:
    """Run ``classifier`` over images and collect its logits (and FID features).

    Args:
        classifier: returns (B, K) logits; ``features(x)`` or ``forward_with_features(x)``
            (one pass for both) give the FID features. It is put in eval mode.
        source: a tensor (N, C, H, W); a DataLoader of images or (images, labels); a
            generator module with ``latent_dim`` (z ~ N(0, I) from ``seed``); or a function
            ``n -> images`` such as ``trainer.sample`` (called under ``torch.manual_seed(seed)``).
        num_samples: how many images (required for a generator; default all otherwise).
        batch_size: images per forward pass.
        features: also collect features (if the classifier has them).
        device: where the classifier runs; default :func:`ganlab.config.get_device`.
        progress: a progress bar; default: on when interactive and the profile is ``full``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    device = get_device(device)
    classifier = classifier.to(device).eval()
    batches, total = _batches(source, num_samples, batch_size, seed, device)
    both = getattr(classifier, "forward_with_features", None)
    extract = getattr(classifier, "features", None) if features else None
    all_logits, all_features = [], []
    desc = f"classifying with {type(classifier).__name__}"
    with progress_bar(total, desc, unit="img", show=progress) as bar:
        for images in batches:
            images = images.to(device)
            if features and both is not None:
                logits, feats = both(images)  # (B, K), (B, F)
                all_features.append(feats.float().cpu())
            else:
                logits = classifier(images)  # (B, K)
                if extract is not None:
                    all_features.append(extract(images).float().cpu())
            if logits.ndim != 2:
                raise ValueError(
                    f"the classifier must return (B, K) logits, got {tuple(logits.shape)}"
                )
            all_logits.append(logits.float().cpu())
            bar.update(len(images))
    if not all_logits:
        raise ValueError("no images to classify")
    return ClassifierOutputs(
        torch.cat(all_logits), torch.cat(all_features) if all_features else None
    )


def score_images(
    classifier: nn.Module,
    source: ImageSource,
    reference: ClassifierOutputs | None = None,
    *,
    splits: int = 10,
    **kwargs: object,
) -> dict[str, float]:
    """The Inception score (mean, std over ``splits``) and, given ``reference`` outputs, the
    Fréchet distance of ``source`` to them.  ``kwargs`` go to :func:`classify`."""
    outputs = classify(classifier, source, features=reference is not None, **kwargs)
    mean, std = outputs.inception_score(splits)
    scores = {"is_mean": mean, "is_std": std}
    if reference is not None:
        scores["fid"] = outputs.frechet_distance(reference)
    return scores
