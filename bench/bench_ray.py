"""Tools on Ray Serve vs in process, side by side in one run.

Run with `make bench` (or alone). On a local Ray instance: (1) removeBackground (the ISNet
model) on one 1024x1024 image, in process and through its Serve deployment, asked in turn:
the latency ratio (target <= 1.1); (2) the same tool at concurrency 8 on one replica and on
two: the throughput ratio.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ThreadPoolExecutor

from bench_tools import test_image
from harness import percentile

from atelier.config import Settings
from atelier.engines.registry import create_matting
from atelier.tools.base import Matting


def remote_matting(app: str, replicas: int) -> Matting:
    from atelier.ray_serve.clients import connect

    deployments = {
        "generation": {"ray_actor_options": {"num_cpus": 0.1}},
        "upscaling": {"ray_actor_options": {"num_cpus": 0.1}},
        "erasing": {"ray_actor_options": {"num_cpus": 0.1}},
        "vectorizing": {"ray_actor_options": {"num_cpus": 0.1}},
        "matting": {"num_replicas": replicas, "ray_actor_options": {"num_cpus": 0.5}},
    }
    settings = Settings(ray_address="auto", ray_app=app, ray_deployments=deployments)
    return connect(settings).matting


def main() -> None:
    import ray

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=8)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    ray.init(num_cpus=max(4, os.cpu_count() or 1), include_dashboard=False, log_to_driver=False)
    image = test_image()
    local = create_matting(Settings())
    one = remote_matting("bench-one", 1)
    local.remove(image), one.remove(image)  # warm-up: models loaded on both sides
    latencies: dict[str, list[float]] = {"in process": [], "on Ray Serve": []}
    for _ in range(args.requests):
        for name, tool in (("in process", local), ("on Ray Serve", one)):
            start = time.perf_counter()
            tool.remove(image)
            latencies[name].append(time.perf_counter() - start)
    print(f"removeBackground, 1024x1024, one at a time, asked in turn ({os.cpu_count()} CPUs):")
    for name, values in latencies.items():
        print(f"  {name:<14} p50 {1000 * percentile(values, 0.5):7.1f} ms   "
              f"p90 {1000 * percentile(values, 0.9):7.1f} ms   (n={len(values)})")  # fmt: skip
    ratio = percentile(latencies["on Ray Serve"], 0.5) / percentile(latencies["in process"], 0.5)
    verdict = "OK" if ratio <= 1.1 else "OVER TARGET"
    print(f"on Ray Serve vs in process: p50 latency x{ratio:.2f} (target <= 1.1): {verdict}")

    two = remote_matting("bench-two", 2)
    two.remove(image), two.remove(image)  # warm-up: a request to each replica, likely
    rates = {}
    for name, tool in (("1 replica", one), ("2 replicas", two)):
        with ThreadPoolExecutor(args.concurrency) as pool:
            start = time.perf_counter()
            list(pool.map(lambda _, tool=tool: tool.remove(image), range(args.requests)))
            rates[name] = args.requests / (time.perf_counter() - start)
        print(f"  {name:<11} {rates[name]:5.2f} images/s at concurrency {args.concurrency}")
    print(f"2 matting replicas vs 1: images/s x{rates['2 replicas'] / rates['1 replica']:.2f}")
    ray.shutdown()


if __name__ == "__main__":
    main()
