import base64

import pytest
import torch
import torch.nn.functional as F

from ganlab.data import ring_mixture
from ganlab.metrics import mode_coverage
from ganlab.movie import MovieRecorder, TrainingMovie, plot_movie_frames
from ganlab.recipes import toy_gan

SMALL = {"hidden": 8, "depth": 2, "batch_size": 16, "progress": False, "device": "cpu"}


def _recorded(steps=6, every=2, **kw):
    mixture = ring_mixture()
    recorder = MovieRecorder(mixture, every=every, resolution=9, samples=40, arrows=10, **kw)
    trainer = toy_gan(mixture, seed=2, callbacks=[recorder], **SMALL)
    recorder.record(trainer)
    trainer.fit(steps)
    return mixture, recorder, trainer


def test_recording_does_not_change_the_training_run():
    _, recorder, trainer = _recorded()
    plain = toy_gan(ring_mixture(), seed=2, **SMALL).fit(6)
    assert trainer.history == plain.history
    assert [f.step for f in recorder.frames] == [0, 2, 4, 6]


def test_frame_contents_against_direct_computations():
    mixture, recorder, trainer = _recorded()
    frame = recorder.frames[-1]
    G, D = trainer.generator, trainer.discriminator
    z = torch.randn(40, trainer.latent_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        samples = G(z)
    torch.testing.assert_close(torch.from_numpy(frame.samples), samples)
    # D's output on the grid: row i is x2 = ticks[i], column j is x1 = ticks[j]
    ticks = torch.linspace(-3.0, 3.0, 9)
    for i, j in [(0, 0), (2, 7), (8, 3)]:
        with torch.no_grad():
            p = torch.sigmoid(D(torch.tensor([[ticks[j], ticks[i]]]))).item()
        assert frame.probs[i, j] == pytest.approx(p, abs=1e-5)
    # arrows: minus the gradient of the non-saturating loss mean(softplus(-D(x))) in x
    x = samples[:10].clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(F.softplus(-D(x)).mean(), x)
    torch.testing.assert_close(torch.from_numpy(frame.gradients), -grad)
    coverage = mode_coverage(samples, mixture.centers, mixture.std)
    assert frame.counts.tolist() == coverage.counts.tolist()


def test_widget_redraws_on_a_scrub_and_has_a_static_picture():
    mixture, recorder, _ = _recorded()
    movie = TrainingMovie(recorder.frames, mixture, title="t")
    last = movie.image.value
    assert movie.slider.value == len(recorder.frames) - 1 and "step 6" in movie.status.value
    movie.slider.value = 0
    assert movie.image.value != last and "step 0" in movie.status.value
    assert movie.painter.ax.get_title().startswith("step 0:")
    bundle = movie._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"]) == movie.image.value
    assert bundle["text/plain"] == "Training movie: 4 frames, steps 0–6"
    fig = plot_movie_frames(recorder.frames, mixture, count=3, title="frames")
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert [t.split(":")[0] for t in titles] == ["step 0", "step 4", "step 6"]


def test_bad_arguments():
    mixture = ring_mixture()
    with pytest.raises(ValueError, match="arrows"):
        MovieRecorder(mixture, samples=5, arrows=6)
    with pytest.raises(ValueError, match="extent"):
        MovieRecorder(mixture, extent=0)
    with pytest.raises(ValueError, match="no frames"):
        TrainingMovie([], mixture)
    with pytest.raises(ValueError, match="no frames"):
        plot_movie_frames([], mixture)
