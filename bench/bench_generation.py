"""Generation throughput through HTTP vs. the same engine+encode in-process, side by side.

Run with `make bench`. Prints generations/s and p50/p99 latency at concurrency 8 for 1024x1024
PNG (a) through a live server over HTTP and (b) engine+encode called in this process, plus
/healthz requests/s, and the server overhead ratio (target: HTTP costs <= 10% more than (b));
the latency of one generation on PostgreSQL + S3 vs SQLite + a local folder (target <= 1.2);
and `serve --workers 2` vs `--workers 1`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
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
    parser.add_argument(
        "--backends-only", action="store_true", help="only PostgreSQL + S3 vs SQLite + folder"
    )
    args = parser.parse_args()
    if args.backends_only:
        backends(args)
        return
    if not args.workers_only:
        overhead(args)
        backends(args)
    workers(args)


def backends(args: argparse.Namespace) -> None:
    """One 1024x1024 preview generation at a time on SQLite + a local folder and on PostgreSQL
    + S3 (moto's server), the two servers running side by side and asked in turn."""
    import logging

    from moto.server import ThreadedMotoServer

    from atelier.testing import postgres

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per S3 request

    pg = postgres.start()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port + 10, verbose=False)
    moto.start()
    s3 = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{args.port + 10}", "AWS_ACCESS_KEY_ID": "bench",
          "AWS_SECRET_ACCESS_KEY": "bench", "AWS_REGION": "us-east-1"}  # fmt: skip
    boto3.client("s3", endpoint_url=s3["AWS_ENDPOINT_URL"], region_name="us-east-1",
                 aws_access_key_id="bench", aws_secret_access_key="bench",
                 ).create_bucket(Bucket="bench")  # fmt: skip
    shared = {**s3, "ATELIER_DATABASE_URL": pg.new_database(),
              "ATELIER_STORAGE_URL": "s3://bench/atelier"}  # fmt: skip
    latencies: dict[str, list[float]] = {"sqlite+local": [], "postgresql+s3": []}
    try:
        with (
            live_server(args.port + 20) as local,
            live_server(args.port + 21, extra_env=shared) as remote,
        ):
            servers = {"sqlite+local": local, "postgresql+s3": remote}
            clients = {
                name: httpx.Client(base_url=server.url, timeout=120,
                                   headers={"Authorization": f"Bearer {server.token}"})
                for name, server in servers.items()
            }  # fmt: skip
            for i in range(-4, args.requests // 2):  # the first four of each: warm-up
                for name, client in clients.items():
                    body = {
                        "prompt": PROMPTS[i % len(PROMPTS)],
                        "random_seed": i + 4,
                        "style": "any",
                    }
                    start = time.perf_counter()
                    client.post("/v1/images/generations", json=body).raise_for_status()
                    if i >= 0:
                        latencies[name].append(time.perf_counter() - start)
    finally:
        moto.stop()
        pg.stop()
    print("1024x1024 preview generation, one at a time, the two servers asked in turn:")
    p50 = {}
    for name, values in latencies.items():
        p50[name] = percentile(values, 0.5)
        print(f"  {name:<16} p50 {1000 * p50[name]:7.1f} ms   p90 "
              f"{1000 * percentile(values, 0.9):7.1f} ms   (n={len(values)})")  # fmt: skip
    ratio = p50["postgresql+s3"] / p50["sqlite+local"]
    verdict = "OK" if ratio <= 1.2 else "OVER TARGET"
    print(f"PostgreSQL + S3 vs SQLite + local: p50 latency x{ratio:.2f} (target <= 1.2): {verdict}")


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
