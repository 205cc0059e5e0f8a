"""Peak memory and speed of removeBackground's matting engine on one image.

Usage: .venv/bin/python bench/bench_matting_rss.py [--size 1024] [--runs 3] [--model PATH]

The measurement runs in a fresh child process, so that ru_maxrss (the peak resident set
size) covers only Python, the imports, the ONNX session and the removals themselves.
Target (issue): at most 1.5 GB for a 1024x1024 image.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux (bytes on macOS, where this bench is not run).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(model: Path, size: int, runs: int, threads: int | None) -> None:
    import numpy as np
    from PIL import Image

    from atelier.engines.matting import BackgroundRemover

    rng = np.random.default_rng(0)
    # A textured backdrop with a bright square: realistic work for the model and the
    # resizes, though the memory does not depend on the content.
    pixels = rng.integers(60, 120, (size, size, 3), dtype=np.uint8)
    pixels[size // 4 : 3 * size // 4, size // 4 : 3 * size // 4] = (230, 90, 40)
    image = Image.fromarray(pixels)
    after_imports = peak_rss_mb()

    remover = BackgroundRemover(model, threads=threads)
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        cutout = remover.remove(image)
        seconds.append(time.perf_counter() - start)
    assert cutout.size == (size, size) and cutout.mode == "RGBA"
    report = {
        "size": size,
        "runs": runs,
        "first_s": round(seconds[0], 3),  # includes loading the model
        "best_s": round(min(seconds[1:] or seconds), 3),
        "rss_after_imports_mb": round(after_imports, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
    print(json.dumps(report))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=REPO_ROOT / "models" / "isnet.onnx")
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.model, args.size, args.runs, args.threads)
        return 0

    command = [sys.executable, __file__, "--child", "--model", str(args.model)]
    command += ["--size", str(args.size), "--runs", str(args.runs)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return result.returncode
    report = json.loads(result.stdout.strip().splitlines()[-1])
    print(
        f"removeBackground {report['size']}x{report['size']}: "
        f"peak RSS {report['peak_rss_mb']:.0f} MB "
        f"(after imports {report['rss_after_imports_mb']:.0f} MB), "
        f"first call {report['first_s']:.2f} s (with model load), "
        f"then {report['best_s']:.2f} s per image"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
