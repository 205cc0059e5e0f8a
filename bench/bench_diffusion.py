"""Diffusion throughput: plain diffusers per request vs. atelier's batching engine.

Run with `make bench-gpu` (on a GPU through the device tool; on a CPU it runs a tiny model).
A pipeline of the chosen architecture is built from its config with random weights: the same
compute as the real model, no download. For each concurrency it reports images/s of
  (a) plain diffusers, one pipeline call per request (what a naive server does), and
  (b) atelier's DiffusionEngine: dynamic batching, bf16, channels_last, SDPA
      (and torch.compile with --compile),
side by side, plus the model FLOPs utilisation against the GPU's bf16 peak.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from atelier.engines.base import GenerationSpec  # noqa: E402
from atelier.engines.diffusion import DiffusionEngine, pick_device  # noqa: E402
from atelier.engines.diffusion.configs import build_pipeline  # noqa: E402

# Dense bf16 tensor-core peaks, FLOP/s (vendor data sheets).
PEAKS = {"H100": 989e12, "H200": 989e12, "A100": 312e12, "L40S": 362e12}


def peak_flops() -> float | None:
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    return next((peak for key, peak in PEAKS.items() if key in name), None)


def measure(run: Callable[[int], object], requests: int, concurrency: int) -> float:
    """Images per second of ``requests`` calls made by ``concurrency`` threads."""
    run(0)  # warm-up: kernels, allocator, compilation
    start = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(run, range(1, requests + 1)))
    return requests / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    gpu = torch.cuda.is_available()
    parser.add_argument("--arch", default="sd-turbo" if gpu else "tiny-sd")
    parser.add_argument("--size", type=int, default=512 if gpu else 256)
    parser.add_argument("--steps", default="1,4", help="denoising steps, comma-separated")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--requests", type=int, default=32 if gpu else 16)
    parser.add_argument("--compile", action="store_true", help="torch.compile the UNet in (b)")
    args = parser.parse_args()

    device, dtype = pick_device()
    # (a): the pipeline as diffusers users commonly run it: fp16 on a GPU, fp32 on a CPU.
    plain = build_pipeline(args.arch, dtype=torch.float16 if gpu else torch.float32)
    plain.to(device)
    plain.set_progress_bar_config(disable=True)
    plain_lock = threading.Lock()  # one pipeline object is not safe to call concurrently

    steps = [int(s) for s in args.steps.split(",")]

    def run_plain(i: int) -> object:
        with plain_lock:
            return plain(
                "a photo of a cat", num_inference_steps=engine.steps, guidance_scale=0.0,
                width=args.size, height=args.size,
                generator=torch.Generator(device).manual_seed(i),
            ).images  # fmt: skip

    engine = DiffusionEngine(
        {"recraftv3": copy.deepcopy(plain)}, steps=steps[0], max_batch=8,
        batch_wait_seconds=0.02, compile_unet=args.compile,
    )  # fmt: skip

    def run_engine(i: int) -> object:
        spec = GenerationSpec(
            prompt="a cat", model="recraftv3", style="realistic_image", substyle=None,
            width=args.size, height=args.size, seed=i,
        )  # fmt: skip
        return engine.generate(spec)

    peak = peak_flops()
    name = torch.cuda.get_device_name() if gpu else f"CPU ({os.cpu_count()} cores)"
    print(f"{args.arch} {args.size}x{args.size}, {name}; (a) runs in "
          f"{str(plain.dtype).removeprefix('torch.')}, (b) in {str(dtype).removeprefix('torch.')}"
          f"{', UNet compiled' if args.compile else ''}")  # fmt: skip
    print(f"{'steps':>5} {'GFLOP/img':>9} {'concurrency':>11} {'(a) img/s':>10} "
          f"{'(b) img/s':>10} {'b/a':>6} {'MFU (b)':>8}")  # fmt: skip
    for count in steps:
        engine.steps = count  # (a) runs as many steps as the engine
        with FlopCounterMode(display=False) as counter:
            run_plain(0)
        flops_per_image = counter.get_total_flops()
        for concurrency in (int(c) for c in args.concurrency.split(",")):
            a = statistics.median(measure(run_plain, args.requests, concurrency) for _ in range(2))
            b = statistics.median(measure(run_engine, args.requests, concurrency) for _ in range(2))
            mfu = f"{100 * b * flops_per_image / peak:7.1f}%" if peak else "    n/a"
            print(f"{count:>5} {flops_per_image / 1e9:>9.1f} {concurrency:>11} "
                  f"{a:>10.2f} {b:>10.2f} {b / a:>6.2f} {mfu:>8}", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
