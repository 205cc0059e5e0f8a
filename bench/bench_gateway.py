"""Gateway mode's added latency: the same requests sent to an upstream atelier directly and
through a gateway atelier in front of it (re-hosting on), side by side in one run.

Run with `make bench`. Per request, p50 and p99 of each, for a 1024x1024 generation and a
vectorize of a 1024x1024 PNG. Target: the gateway adds at most 5 % or 15 ms, whichever is
larger.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from collections.abc import Callable

import httpx
from harness import live_server, percentile
from PIL import Image, ImageDraw


def art() -> bytes:
    image = Image.new("RGB", (1024, 1024), (245, 240, 230))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.ellipse((60 * i, 40 * i, 60 * i + 300, 40 * i + 260), fill=(20 * i, 90, 200 - 10 * i))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def timed(
    send: Callable[[httpx.Client], httpx.Response], client: httpx.Client, repeat: int
) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = send(client)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, response.text
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--port", type=int, default=8741)
    args = parser.parse_args()
    image = art()
    requests: dict[str, Callable[[httpx.Client], httpx.Response]] = {
        "generation 1024x1024": lambda http: http.post(
            "/v1/images/generations",
            json={"prompt": "a lighthouse", "model": "recraftv3", "size": "1024x1024"},
        ),
        "vectorize 1024x1024": lambda http: http.post(
            "/v1/images/vectorize", files={"image": ("art.png", image, "image/png")}
        ),
    }
    with live_server(args.port) as upstream:
        routes = {"*": {"url": upstream.url, "key_env": "BENCH_UPSTREAM_KEY"}}
        env = {"ATELIER_UPSTREAMS": json.dumps(routes), "BENCH_UPSTREAM_KEY": upstream.token}
        with live_server(args.port + 1, extra_env=env) as gateway:
            direct = httpx.Client(
                base_url=upstream.url, headers={"Authorization": f"Bearer {upstream.token}"},
                timeout=120,
            )  # fmt: skip
            through = httpx.Client(
                base_url=gateway.url, headers={"Authorization": f"Bearer {gateway.token}"},
                timeout=120,
            )  # fmt: skip
            print(f"{'request':<22} {'':>8} {'p50':>9} {'p99':>9}")
            worst = []
            for name, send in requests.items():
                for client in (direct, through):  # warm both paths
                    timed(send, client, 3)
                # Interleaved rounds, so that both see the same machine.
                base: list[float] = []
                ours: list[float] = []
                for _ in range(args.repeat // 10):
                    base += timed(send, direct, 10)
                    ours += timed(send, through, 10)
                for label, values in (("direct", base), ("gateway", ours)):
                    p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
                    print(f"{name:<22} {label:>8} {p50 * 1000:7.1f}ms {p99 * 1000:7.1f}ms")
                for q in (0.5, 0.99):
                    added = percentile(ours, q) - percentile(base, q)
                    allowed = max(0.05 * percentile(base, q), 0.015)
                    worst.append(added <= allowed)
                    print(f"{'':<22} {'added':>8} p{round(q * 100)}: {added * 1000:+.1f} ms "
                          f"({added / percentile(base, q) * 100:+.1f} %; allowed "
                          f"{allowed * 1000:.1f} ms)")  # fmt: skip
            print("gateway overhead:", "OK" if all(worst) else "OVER TARGET")


if __name__ == "__main__":
    main()
