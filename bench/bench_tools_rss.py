"""Peak memory and time of the editing tools (upscale, vectorize, erase) on a 1024x1024 image.

Run with `.venv/bin/python bench/bench_tools_rss.py [--size 1024] [--threads N] [--tile 256]`.
Each tool runs in a fresh subprocess, so its peak RSS (the kernel's VmHWM, which includes the
interpreter and imported libraries) is its own; the RSS before the run is shown for reference.
Target: crisp upscale of 1024x1024 peaks at <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

TOOLS = ("crisp", "crisp4", "creative", "vectorize", "erase")


def test_image(size: int) -> Image.Image:
    """A photo-like picture: shapes with edges, texture and soft shading."""
    rng = np.random.default_rng(0)
    image = Image.new("RGB", (size, size), (70, 130, 190))
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, r = (int(v) for v in rng.integers(0, size, 3) // (1, 1, 6))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=colour)
    noise = rng.normal(0, 8, (size, size, 3))
    pixels = np.clip(np.asarray(image, np.float64) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGB").filter(ImageFilter.GaussianBlur(1))


def rss_mib(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS now, VmHWM peak) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def run_one(tool: str, size: int, threads: int | None, tile: int) -> dict[str, float | str]:
    """Run one tool in this process; called in the child."""
    from atelier.engines.eraser import RegionEraser
    from atelier.engines.upscaler import Upscaler
    from atelier.engines.vectorizer import VectorizeOptions, vectorize

    image = test_image(size)
    upscaler = Upscaler(threads=threads, tile=tile)
    mask = Image.new("L", image.size, 0)
    ImageDraw.Draw(mask).ellipse((size // 3, size // 3, size // 2, size // 2), fill=255)
    actions = {
        "crisp": lambda: upscaler.crisp(image).size,
        "crisp4": lambda: upscaler.crisp(image, scale=4).size,
        "creative": lambda: upscaler.creative(image).size,
        "vectorize": lambda: len(vectorize(image, VectorizeOptions(color_reduction=32))),
        "erase": lambda: RegionEraser().erase(image, mask).size,
    }
    before = rss_mib("VmRSS")
    start = time.perf_counter()
    result = actions[tool]()
    seconds = time.perf_counter() - start
    return {
        "tool": tool,
        "seconds": seconds,
        "rss_before_mib": before,
        "peak_rss_mib": rss_mib("VmHWM"),
        "result": str(result),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--tile", type=int, default=256)
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child, args.size, args.threads, args.tile)))
        return
    print(f"{args.size}x{args.size} input, tile {args.tile}, threads {args.threads or 'all'}")
    for tool in args.tools.split(","):
        command = [sys.executable, __file__, "--child", tool, "--size", str(args.size)]
        command += ["--tile", str(args.tile)]
        if args.threads:
            command += ["--threads", str(args.threads)]
        line = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        row = json.loads(line.strip().splitlines()[-1])
        print(
            f"{row['tool']:<10} {row['seconds']:8.2f} s   peak RSS {row['peak_rss_mib']:7.0f} MiB"
            f"   (before run {row['rss_before_mib']:5.0f} MiB)   -> {row['result']}"
        )


if __name__ == "__main__":
    main()
