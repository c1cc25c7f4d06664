"""How fast the training movie scrubs: ``ganlab bench movie``.

Trains the course's 2-D GAN with a :class:`~ganlab.movie.MovieRecorder`, then redraws every
recorded frame in a :class:`~ganlab.movie.TrainingMovie` the way a slider move does, and
prints the redraw times (a scrub should feel immediate: well under 0.3 s) and what recording
a frame costs during training.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from ganlab import cliargs
from ganlab.config import sizes
from ganlab.data import ring_mixture
from ganlab.movie import MovieRecorder, TrainingMovie
from ganlab.recipes import toy_gan


def budget(profile: str | None = None):
    """Training steps and steps between frames under ``profile`` (default: the active one)."""
    return sizes(full=dict(steps=5000, every=50), quick=dict(steps=100, every=10), profile=profile)


def run(steps: int, every: int, device: str | None = None) -> dict[str, np.ndarray]:
    """Record a movie of ``steps`` steps and time each frame's recording and redraw (s)."""
    mixture = ring_mixture()
    recorder = MovieRecorder(mixture, every=every)
    record_times: list[float] = []
    record = recorder.record

    def timed(trainer) -> None:
        if trainer.step % every == 0:
            start = time.perf_counter()
            record(trainer)
            record_times.append(time.perf_counter() - start)

    trainer = toy_gan(mixture, seed=0, callbacks=[timed], device=device, progress=False)
    timed(trainer)
    trainer.fit(steps)
    movie = TrainingMovie(recorder.frames, mixture)
    redraw = np.array([movie.show(i) for i in range(len(recorder.frames))])
    return {"record": np.array(record_times), "redraw": redraw}


def table(times: dict[str, np.ndarray]) -> str:
    """Per kind of work: frames, mean, median, 95th percentile and maximum time (ms)."""
    lines = [
        f"{'work per frame':<16} {'frames':>6} {'mean':>8} {'median':>8} {'p95':>8} {'max':>8}"
    ]
    for name, t in times.items():
        ms = 1000 * t
        lines.append(
            f"{name:<16} {len(t):>6} {ms.mean():>6.1f}ms {np.median(ms):>6.1f}ms "
            f"{np.percentile(ms, 95):>6.1f}ms {ms.max():>6.1f}ms"
        )
    return "\n".join(lines)


def _main(args: argparse.Namespace) -> int:
    s = budget()  # --profile, else $GANLAB_PROFILE
    times = run(s.steps, s.every, args.device)
    print(f"training movie of {s.steps} steps, a frame every {s.every} steps")
    print(table(times))
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab bench movie``."""
    parser = subparsers.add_parser(
        "movie",
        help="training movie: time to record a frame and to redraw one on a scrub",
        description="Train the course's 2-D GAN while recording a training movie (5000 steps, "
        "a frame every 50; quick profile: 100 steps, a frame every 10), then redraw every "
        "frame as a slider move does, and print the time to record and to redraw a frame "
        "(a scrub should take well under 0.3 s). Writes nothing; about 20 s on one CPU core "
        "(quick: seconds).",
    )
    cliargs.add_profile_option(parser, quick_alias=True)
    cliargs.add_device_option(parser)
    parser.set_defaults(func=_main)
