"""Generation throughput through HTTP vs. the same engine+encode in-process, side by side.

Run with `make bench`. Prints generations/s and p50/p99 latency at concurrency 8 for 1024x1024
PNG (a) through a live server over HTTP and (b) engine+encode called in this process, plus
/healthz requests/s, and the server overhead ratio (target: HTTP costs <= 10% more than (b)).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
from harness import live_server, percentile

from atelier.engines.base import GenerationSpec
from atelier.engines.preview import PreviewEngine
from atelier.imaging.encoding import encode_artifact

PROMPTS = ["a red fox in snow", "race car on a track", "mountain lake at dawn", "city skyline"]


def report(name: str, seconds: float, latencies: list[float]) -> float:
    rate = len(latencies) / seconds
    print(
        f"{name:<34} {rate:8.1f}/s   p50 {1000 * percentile(latencies, 0.5):7.1f} ms"
        f"   p99 {1000 * percentile(latencies, 0.99):7.1f} ms   (n={len(latencies)})"
    )
    return rate


def in_process(requests: int, concurrency: int) -> float:
    engine = PreviewEngine()

    def one(i: int) -> float:
        start = time.perf_counter()
        spec = GenerationSpec(
            prompt=PROMPTS[i % len(PROMPTS)], model="recraftv3", style="any", substyle=None,
            width=1024, height=1024, seed=i,
        )  # fmt: skip
        for artifact in engine.generate(spec):
            encode_artifact(artifact, "png")
        return time.perf_counter() - start

    one(0)  # warm-up (font loading, first allocations)
    with ThreadPoolExecutor(concurrency) as pool:
        start = time.perf_counter()
        latencies = list(pool.map(one, range(requests)))
        elapsed = time.perf_counter() - start
    return report("engine+encode in-process", elapsed, latencies)


async def over_http(url: str, token: str, requests: int, concurrency: int) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=120) as http:

        async def run(make: object, count: int) -> tuple[float, list[float]]:
            queue = list(range(count))
            latencies: list[float] = []

            async def worker() -> None:
                while queue:
                    i = queue.pop()
                    start = time.perf_counter()
                    response = await make(http, i)  # type: ignore[operator]
                    response.raise_for_status()
                    latencies.append(time.perf_counter() - start)

            start = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(concurrency)))
            return time.perf_counter() - start, latencies

        def generate(client: httpx.AsyncClient, i: int) -> object:
            return client.post(
                "/v1/images/generations",
                json={"prompt": PROMPTS[i % len(PROMPTS)], "random_seed": i, "style": "any"},
            )

        def health(client: httpx.AsyncClient, i: int) -> object:
            return client.get("/healthz")

        await run(generate, concurrency)  # warm-up
        gen_rate = report("generations over HTTP", *await run(generate, requests))
        health_rate = report("/healthz over HTTP", *await run(health, requests * 10))
        return gen_rate, health_rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=96)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--workers-only", action="store_true", help="only --workers 2 vs 1")
    args = parser.parse_args()
    if not args.workers_only:
        overhead(args)
    workers(args)


def workers(args: argparse.Namespace) -> None:
    """The same load on `serve --workers 1` and `--workers 2`, side by side."""
    rates = {}
    for count in (1, 2):
        with live_server(args.port + count, workers=count) as server:
            print(f"--workers {count}:")
            rates[count] = asyncio.run(
                over_http(server.url, server.token, args.requests, args.concurrency)
            )
    gen = rates[2][0] / rates[1][0]
    health = rates[2][1] / rates[1][1]
    print(f"--workers 2 vs 1: generations/s x{gen:.2f} (target >= 1.5 on 2 cores), "
          f"/healthz req/s x{health:.2f}")  # fmt: skip


def overhead(args: argparse.Namespace) -> None:
    with live_server(args.port) as server:
        print(f"1024x1024 PNG, concurrency {args.concurrency}, {os.cpu_count()} CPUs")
        engine_rate = in_process(args.requests, args.concurrency)
        http_rate, _ = asyncio.run(
            over_http(server.url, server.token, args.requests, args.concurrency)
        )
    extra = engine_rate / http_rate - 1
    verdict = "OK" if extra <= 0.10 else "OVER TARGET"
    print(f"server overhead: {100 * extra:+.1f}% of engine+encode time (target <= 10%): {verdict}")


if __name__ == "__main__":
    main()
