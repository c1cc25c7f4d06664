"""Training throughput on CPU and on the accelerator: ``ganlab bench device``.

Runs the course's 2-D GAN training step (and a wider one, where a GPU pays off) for a fixed
number of steps on each available device and prints steps per second and the speed-up over
CPU.  ``make gpu-check`` runs it after the CUDA tests.
"""

from __future__ import annotations

import argparse
import time

import torch

from ganlab import cliargs
from ganlab.config import seed_everything
from ganlab.data import ring_mixture
from ganlab.nets import MLPDiscriminator, MLPGenerator
from ganlab.training import Trainer

CONFIGS = {
    "2-D GAN, width 128, batch 256": {"hidden": 128, "batch_size": 256},
    "2-D GAN, width 512, batch 1024": {"hidden": 512, "batch_size": 1024},
}


def synchronize(device: torch.device) -> None:
    """Wait for the device's queued work, so that wall-clock timings are honest."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def steps_per_second(device: torch.device, hidden: int, batch_size: int, steps: int) -> float:
    """Training steps per second of the 2-D GAN with the given width and batch on ``device``."""
    seed_everything(0)
    trainer = Trainer(
        MLPGenerator(2, 2, hidden, 3),
        MLPDiscriminator(2, hidden, 3),
        ring_mixture(),
        batch_size=batch_size,
        device=device,
        progress=False,
    )
    trainer.fit(max(2, steps // 10))  # warm-up: allocator, kernels, autotuning
    synchronize(device)
    start = time.perf_counter()
    trainer.fit(trainer.step + steps)
    synchronize(device)
    return steps / (time.perf_counter() - start)


def available_devices() -> list[torch.device]:
    """CPU, plus CUDA and MPS when present."""
    devices = [torch.device("cpu")]
    if torch.cuda.is_available():
        devices.append(torch.device("cuda"))
    if torch.backends.mps.is_available():
        devices.append(torch.device("mps"))
    return devices


def run(steps: int = 100) -> str:
    """Measure every configuration on every device; return the table as text."""
    lines = [f"{'configuration':<34} {'device':<8} {'steps/s':>9} {'vs cpu':>7}"]
    for name, config in CONFIGS.items():
        cpu_rate = None
        for device in available_devices():
            rate = steps_per_second(device, steps=steps, **config)
            cpu_rate = cpu_rate or rate
            lines.append(f"{name:<34} {device.type:<8} {rate:>9.1f} {rate / cpu_rate:>6.1f}x")
    return "\n".join(lines)


def _main(args: argparse.Namespace) -> int:
    print(f"torch {torch.__version__}, {torch.get_num_threads()} CPU threads", end="")
    if torch.cuda.is_available():
        print(f", {torch.cuda.get_device_name()}", end="")
    print(f"\n{run(args.steps)}")
    return 0


def add_cli(subparsers: argparse._SubParsersAction) -> None:
    """Register ``ganlab bench device``."""
    parser = subparsers.add_parser(
        "device",
        help="training steps/s on CPU vs GPU",
        description="Time the course's 2-D GAN training step (width 128, batch 256, and a "
        "wider one, width 512, batch 1024) on the CPU and on every accelerator present, and "
        "print steps per second and the speed-up over CPU. Writes nothing; under a minute "
        "with the default --steps on one CPU core.",
    )
    parser.add_argument(
        "--steps",
        type=cliargs.positive_int,
        default=100,
        help="timed training steps per measurement (default 100)",
    )
    parser.set_defaults(func=_main)


if __name__ == "__main__":
    raise SystemExit(_main(argparse.Namespace(steps=100)))
