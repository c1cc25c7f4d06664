"""A training movie of a 2-D GAN, in the style of GAN Lab (Kahng et al., 2018).

During training, :class:`MovieRecorder` (a trainer callback) records a :class:`Frame` every
``every`` steps: D's output over the plane, the generated samples of a fixed noise batch and,
at some of them, the direction in which G's next step moves them (−∂L_G/∂x, G's gradient
arrows).  Recording saves and restores the random state, so a run with a recorder trains
exactly as one without.

:class:`TrainingMovie` scrubs through the recorded frames in Jupyter (slider and play
button); a scrub only redraws, it never retrains.  :class:`FramePainter` is the drawing
itself, shared by the widget (which updates its artists in place, fast) and by
:func:`plot_movie_frames` (a static row of frames, for pages that cannot run widgets).
"""

from __future__ import annotations

import base64
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ganlab.data import Mixture2D
from ganlab.metrics import mode_coverage
from ganlab.plotting import COLD_MODE, MODE_MARKER, SAMPLE_COLOUR, discriminator_grid
from ganlab.training import Trainer


@dataclass(frozen=True)
class Frame:
    """One recorded moment of training.

    Attributes:
        step: the trainer's step when the frame was recorded.
        probs: (R, R) D(x) = P(real) on the grid; row i is x2 = ticks[i], column j x1 = ticks[j].
        samples: (N, 2) G(z) for the recorder's fixed noise z.
        gradients: (A, 2) −∂L_G/∂x at the first A samples: where G's step pushes them.
        counts: (K,) high-quality samples per mode among ``samples``.
        min_count: the count that makes a mode covered.
    """

    step: int
    probs: np.ndarray
    samples: np.ndarray
    gradients: np.ndarray
    counts: np.ndarray
    min_count: int


class MovieRecorder:
    """A trainer callback that records a :class:`Frame` every ``every`` steps.

    Args:
        mixture: the data (for the per-mode counts and the view).
        every: steps between frames (also call :meth:`record` yourself, e.g. at step 0).
        extent: half-width of the square view; D is evaluated on [-extent, extent]².
        resolution: grid points per side for D's output.
        samples: size of the fixed noise batch drawn in every frame.
        arrows: how many of those samples get a gradient arrow.
        seed: seed of the fixed noise (independent of the training's random state).
    """

    def __init__(
        self,
        mixture: Mixture2D,
        *,
        every: int = 100,
        extent: float = 3.0,
        resolution: int = 64,
        samples: int = 500,
        arrows: int = 80,
        seed: int = 0,
    ) -> None:
        if every < 1 or resolution < 2 or samples < 1 or not 0 <= arrows <= samples:
            raise ValueError(
                "need every >= 1, resolution >= 2, samples >= 1 and 0 <= arrows <= samples; got "
                f"every={every}, resolution={resolution}, samples={samples}, arrows={arrows}"
            )
        if not extent > 0:
            raise ValueError(f"extent must be > 0, got {extent}")
        self.mixture, self.every, self.extent = mixture, every, float(extent)
        self.resolution, self.n_samples, self.n_arrows, self.seed = (
            resolution,
            samples,
            arrows,
            seed,
        )
        self.frames: list[Frame] = []
        self._noise: torch.Tensor | None = None

    def __call__(self, trainer: Trainer) -> None:
        if trainer.step % self.every == 0:
            self.record(trainer)

    def record(self, trainer: Trainer) -> Frame:
        """Record a frame of ``trainer`` now (training's random state is left untouched)."""
        devices = [trainer.device] if trainer.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            if self._noise is None or self._noise.shape[1] != trainer.latent_dim:
                gen = torch.Generator().manual_seed(self.seed)
                self._noise = torch.randn(self.n_samples, trainer.latent_dim, generator=gen)
            z = self._noise.to(trainer.device)
            G, D = trainer.generator, trainer.discriminator
            with torch.no_grad():
                samples = G(z)
            points = samples[: self.n_arrows].detach().clone().requires_grad_(True)
            if self.n_arrows:
                real = trainer.real_data(max(self.n_arrows, 2), trainer.device)
                loss = trainer.g_objective(D, real, points)
                (grad,) = torch.autograd.grad(loss, points)
                gradients = -grad
            else:
                gradients = torch.zeros(0, 2)
            _, _, probs = discriminator_grid(D, self.extent, self.resolution)
        samples_np = samples.detach().float().cpu().numpy()
        finite = samples_np[np.isfinite(samples_np).all(axis=1)]
        coverage = mode_coverage(
            torch.as_tensor(finite if len(finite) else np.zeros((1, 2), np.float32)),
            self.mixture.centers,
            self.mixture.std,
            min_count=None,
        )
        frame = Frame(
            step=trainer.step,
            probs=probs.astype(np.float32),
            samples=samples_np,
            gradients=gradients.detach().float().cpu().numpy(),
            counts=coverage.counts.numpy(),
            min_count=coverage.min_count,
        )
        self.frames.append(frame)
        return frame


class FramePainter:
    """Draws frames on a panel and a count strip; :meth:`show` swaps in another frame by
    updating the same artists (no new figure), which keeps a scrub fast.

    Args:
        frames: the recorded frames.
        mixture: the data; its modes are hollow circles, red when not covered.
        ax, strip: the panel's axes and the count strip's axes.
        extent: the view's half-width (the recorder's).
        index: the frame to draw first.
    """

    def __init__(
        self,
        frames: Sequence[Frame],
        mixture: Mixture2D,
        ax: Axes,
        strip: Axes,
        extent: float,
        index: int = 0,
    ) -> None:
        if not frames:
            raise ValueError("no frames to draw: record some with MovieRecorder first")
        self.frames, self.ax, self.strip = frames, ax, strip
        first = frames[index]
        self.image = ax.imshow(
            first.probs, cmap="RdBu", vmin=0, vmax=1, origin="lower",
            extent=(-extent, extent, -extent, extent), interpolation="bilinear", zorder=0,
        )  # fmt: skip
        real = mixture.sample(400, generator=torch.Generator().manual_seed(1)).numpy()
        ax.scatter(real[:, 0], real[:, 1], s=3, c="0.35", alpha=0.5, zorder=1, label="real")
        centers = mixture.centers.numpy()
        self.modes = ax.scatter(
            centers[:, 0], centers[:, 1], s=MODE_MARKER, facecolors="none",
            edgecolors="k", linewidths=1.4, zorder=2, label="modes",
        )  # fmt: skip
        self.points = ax.scatter(
            *first.samples.T, s=5, c=SAMPLE_COLOUR, alpha=0.8, zorder=3, label="generated"
        )
        self.arrow_length = 0.12 * extent
        self.quiver = ax.quiver(
            *self._arrows(first), angles="xy", scale_units="xy", scale=1, width=0.004,
            color="k", alpha=0.8, zorder=4,
        )  # fmt: skip
        ax.set_xlim(-extent, extent)
        ax.set_ylim(-extent, extent)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.legend(loc="upper right", fontsize="x-small", framealpha=0.8)
        modes = np.arange(len(first.counts))
        self.bars = strip.bar(modes, first.counts, width=0.8, color="0.25")
        strip.axhline(first.min_count, ls=":", lw=1, c="k")
        top = max(max(float(f.counts.max()) for f in frames), first.min_count) * 1.1
        strip.set_ylim(0, top)
        strip.set_xlim(-0.6, len(modes) - 0.4)
        strip.set_xticks(modes if len(modes) <= 12 else modes[:: max(1, len(modes) // 8)])
        strip.tick_params(labelsize="x-small")
        strip.set_ylabel("HQ", fontsize="small")
        self.show(index)

    def _arrows(self, frame: Frame) -> tuple[np.ndarray, ...]:
        """Arrow tails and vectors, scaled so that the frame's longest arrow has a fixed length."""
        tails = frame.samples[: len(frame.gradients)]
        g = frame.gradients
        norm = np.linalg.norm(g, axis=1).max(initial=0.0)
        vec = g * (self.arrow_length / norm) if norm > 0 else np.zeros_like(g)
        return tails[:, 0], tails[:, 1], vec[:, 0], vec[:, 1]

    def show(self, index: int) -> None:
        """Swap the artists' data to frame ``index``."""
        frame = self.frames[index]
        self.image.set_data(frame.probs)
        self.points.set_offsets(frame.samples)
        x, y, u, v = self._arrows(frame)
        self.quiver.set_offsets(np.column_stack([x, y]))
        self.quiver.set_UVC(u, v)
        covered = frame.counts >= frame.min_count
        self.modes.set_edgecolors(["k" if c else COLD_MODE for c in covered])
        for bar, count, ok in zip(self.bars, frame.counts, covered, strict=True):
            bar.set_height(count)
            bar.set_color("0.25" if ok else COLD_MODE)
        self.ax.set_title(f"step {frame.step}: {int(covered.sum())}/{len(covered)} modes covered")
        self.strip.set_xlabel("mode (bars: high-quality samples)", fontsize="small")


def _panel(fig: Figure, position: Sequence[float]) -> tuple[Axes, Axes]:
    """A square panel with a count strip under it, inside ``position`` (figure fraction)."""
    left, bottom, width, height = position
    ax = fig.add_axes((left, bottom + 0.24 * height, width, 0.70 * height))
    strip = fig.add_axes((left + 0.12 * width, bottom + 0.08 * height, 0.76 * width, 0.11 * height))
    return ax, strip


def plot_movie_frames(
    frames: Sequence[Frame],
    mixture: Mixture2D,
    *,
    count: int = 4,
    extent: float = 3.0,
    title: str = "",
) -> Figure:
    """A static row of ``count`` frames, evenly spaced from the first to the last."""
    if not frames:
        raise ValueError("no frames to draw: record some with MovieRecorder first")
    count = max(1, min(count, len(frames)))
    picks = np.unique(np.linspace(0, len(frames) - 1, count).round().astype(int))
    fig = Figure(figsize=(3.6 * len(picks), 4.4))
    width = 1 / len(picks)
    for k, index in enumerate(picks):
        ax, strip = _panel(fig, (k * width + 0.01, 0.0, width - 0.02, 0.92 if title else 1.0))
        FramePainter(frames, mixture, ax, strip, extent, int(index))
    if title:
        fig.suptitle(title)
    return fig


class TrainingMovie(widgets.VBox):
    """Scrub through recorded frames: a play button and a slider over the frames, the
    frame's picture, and a status line that says when a redraw is under way.

    Attributes:
        slider: the frame index (set ``slider.value`` to show another frame).
        image: the picture (PNG).
        status: "drawing …" while a redraw runs, then the redraw's time.
        painter: the :class:`FramePainter` behind the picture.
    """

    def __init__(
        self,
        frames: Sequence[Frame],
        mixture: Mixture2D,
        *,
        extent: float = 3.0,
        title: str = "",
        interval_ms: int = 350,
        dpi: int = 72,
    ) -> None:
        if not frames:
            raise ValueError("no frames to show: record some with MovieRecorder first")
        self.frames, self.dpi, self.title = list(frames), dpi, title
        self.figure = Figure(figsize=(5.0, 6.0))
        ax, strip = _panel(self.figure, (0.02, 0.0, 0.96, 0.95 if title else 1.0))
        if title:
            self.figure.suptitle(title, fontsize="medium")
        last = len(self.frames) - 1
        self.painter = FramePainter(self.frames, mixture, ax, strip, extent, last)
        self.play = widgets.Play(min=0, max=last, value=last, step=1, interval=interval_ms,
                                 description="play")  # fmt: skip
        self.slider = widgets.IntSlider(
            min=0, max=last, value=last, description="frame", continuous_update=True,
            layout=widgets.Layout(width="360px"),
        )  # fmt: skip
        widgets.jslink((self.play, "value"), (self.slider, "value"))
        self.status = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(width="420px"))
        super().__init__([widgets.HBox([self.play, self.slider, self.status]), self.image])
        self.slider.observe(lambda change: self.show(change["new"]), names="value")
        self.show(last)

    def render(self, index: int) -> bytes:
        """The PNG of frame ``index`` (updates the figure in place)."""
        self.painter.show(index)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()

    def show(self, index: int) -> float:
        """Draw frame ``index`` into the widget; returns the redraw's time in seconds."""
        step = self.frames[index].step
        self.status.value = f"<i>drawing step {step} …</i>"
        start = time.perf_counter()
        self.image.value = self.render(index)
        elapsed = time.perf_counter() - start
        self.status.value = f"step {step} <span style='color:gray'>({elapsed:.2f} s)</span>"
        return elapsed

    def _repr_mimebundle_(self, **kwargs: object) -> dict:
        # a picture and one line for pages that cannot run widgets (GitHub, nbconvert)
        bundle = super()._repr_mimebundle_(**kwargs) or {}
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        steps = f"steps {self.frames[0].step}–{self.frames[-1].step}"
        bundle["text/plain"] = f"Training movie: {len(self.frames)} frames, {steps}"
        return bundle
