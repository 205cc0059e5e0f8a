"""Each image tool on one 1024x1024 image: endpoint latency vs. the library in-process.

Run with `make bench`. For every tool the baseline is what a script using the library on a
file would do (decode the upload, call the library, encode the result); the endpoint adds
HTTP, auth, validation, credits and storage. Target ratio: <= 1.15. Then the peak RSS of
removeBackground and crispUpscale on the same input, each in a fresh process (target <= 1.5 GB),
and a burst of 16 concurrent removeBackground calls on a live server: its peak and settled RSS,
and /v1/users/me latency while every tool slot is busy.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from harness import live_server, percentile
from PIL import Image, ImageDraw, ImageFilter

from atelier.catalog import IMAGE_LIMITS, SMALL_IMAGE_LIMITS
from atelier.config import Settings
from atelier.engines.base import RasterImage, VectorImage
from atelier.imaging.encoding import encode_artifact
from atelier.tools.eraser import RegionEraser
from atelier.tools.matting import BackgroundRemover
from atelier.tools.upscaler import Upscaler
from atelier.tools.vectorizer import vectorize
from atelier.uploads import open_image, open_mask

SIZE = 1024
BURST_CLIENTS = 16


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_image() -> Image.Image:
    """A figure on a gradient wall with a few flat shapes: something every tool can work on."""
    image = Image.linear_gradient("L").resize((SIZE, SIZE)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((60, 60, 300, 220), fill=(240, 200, 40))
    draw.ellipse((410, 120, 610, 360), fill=(205, 160, 130))
    draw.rounded_rectangle((330, 350, 690, 1100), radius=60, fill=(40, 70, 140))
    return image.filter(ImageFilter.GaussianBlur(1.5))


def test_mask() -> Image.Image:
    mask = Image.new("L", (SIZE, SIZE), 0)
    ImageDraw.Draw(mask).rectangle((50, 50, 310, 230), fill=255)
    return mask


def timed(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3, help="runs per fast tool (median)")
    parser.add_argument("--port", type=int, default=8732)
    parser.add_argument("--burst-only", action="store_true", help="only the 16-call burst")
    args = parser.parse_args()
    if args.burst_only:
        burst(args.port + 1, png(test_image()))
        return

    settings = Settings()
    image_bytes, mask_bytes = png(test_image()), png(test_mask())
    remover = BackgroundRemover(settings.matting_model_path)
    upscaler, eraser = Upscaler(tile=settings.upscale_tile), RegionEraser()

    def raster(
        make: Callable[[Image.Image], Image.Image], small: bool = False
    ) -> Callable[[], object]:
        limits = SMALL_IMAGE_LIMITS if small else IMAGE_LIMITS
        return lambda: encode_artifact(RasterImage(make(open_image(image_bytes, "file", limits))))

    def vector() -> object:
        image = open_image(image_bytes, "file", IMAGE_LIMITS)
        return encode_artifact(VectorImage(vectorize(image), image.width, image.height))

    def erase() -> object:
        image = open_image(image_bytes, "image", SMALL_IMAGE_LIMITS)
        mask = open_mask(mask_bytes, "mask", SMALL_IMAGE_LIMITS, image.size)
        return encode_artifact(RasterImage(eraser.erase(image, mask)))

    tools: list[tuple[str, Callable[[], object], dict[str, bytes], int]] = [
        ("vectorize", vector, {"file": image_bytes}, args.repeat),
        ("removeBackground", raster(remover.remove), {"file": image_bytes}, args.repeat),
        ("crispUpscale", raster(upscaler.crisp, small=True), {"file": image_bytes}, args.repeat),
        ("creativeUpscale", raster(upscaler.creative), {"file": image_bytes}, 1),
        ("eraseRegion", erase, {"image": image_bytes, "mask": mask_bytes}, args.repeat),
    ]
    print(f"each tool on one {SIZE}x{SIZE} PNG; median seconds")
    print(f"{'tool':<18}{'in-process':>12}{'endpoint':>12}{'ratio':>8}")
    worst = 0.0
    with (
        live_server(args.port) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {server.token}"}, timeout=900
        ) as http,
    ):
        for name, direct, files, repeat in tools:
            direct()  # warm-up: loads models once, as the server does on its first call

            def endpoint(name: str = name, files: dict[str, bytes] = files) -> None:
                parts = {key: (f"{key}.png", data, "image/png") for key, data in files.items()}
                http.post(f"/v1/images/{name}", files=parts).raise_for_status()

            endpoint()
            local, remote = timed(direct, repeat), timed(endpoint, repeat)
            worst = max(worst, remote / local)
            print(f"{name:<18}{local:>12.3f}{remote:>12.3f}{remote / local:>8.2f}")
    print(f"worst endpoint/in-process ratio {worst:.2f} (target <= 1.15): "
          + ("OK" if worst <= 1.15 else "OVER TARGET"))  # fmt: skip

    for tool in ("removeBackground", "crispUpscale"):
        peak = peak_rss_mb(tool, image_bytes)
        verdict = "OK" if peak <= 1536 else "OVER TARGET"
        print(f"peak RSS of {tool} on {SIZE}x{SIZE}: {peak:.0f} MB (target <= 1536 MB): {verdict}")
    burst(args.port + 1, image_bytes)


def rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


def burst(port: int, image_bytes: bytes, clients: int = BURST_CLIENTS) -> None:
    """A fresh server, warmed up by one removeBackground; then ``clients`` concurrent calls.
    Reports the server's peak RSS during the burst, its RSS after it against the level before
    it (targets: <= 1.5 GB; back within 20 %), and GET /v1/users/me latency meanwhile, with
    every tool slot busy, against the same call on the idle server."""
    with live_server(port) as server:
        headers = {"Authorization": f"Bearer {server.token}"}
        files = {"image": ("i.png", image_bytes, "image/png")}
        with httpx.Client(base_url=server.url, headers=headers, timeout=900) as http:
            http.post("/v1/images/removeBackground", files=files).raise_for_status()
            idle = [
                timed(lambda: http.get("/v1/users/me").raise_for_status(), 1) for _ in range(20)
            ]
        before, peak, busy = rss_mb(server.pid), 0.0, []

        def call(_: int) -> int:
            with httpx.Client(base_url=server.url, headers=headers, timeout=900) as client:
                return client.post("/v1/images/removeBackground", files=files).status_code

        with (
            ThreadPoolExecutor(clients) as pool,
            httpx.Client(base_url=server.url, headers=headers, timeout=60) as me,
        ):
            calls = [pool.submit(call, i) for i in range(clients)]
            while not all(c.done() for c in calls):
                peak = max(peak, rss_mb(server.pid))
                started = time.perf_counter()
                me.get("/v1/users/me").raise_for_status()
                busy.append(time.perf_counter() - started)
                time.sleep(0.05)  # sampling interval of the RSS probe
            statuses = [c.result() for c in calls]
        after = rss_mb(server.pid)
    ok = statuses.count(200)
    print(
        f"{clients} concurrent removeBackground: {ok} x 200; RSS before {before:.0f} MB, "
        f"peak {peak:.0f} MB (target <= 1536: {'OK' if peak <= 1536 else 'OVER TARGET'}), "
        f"after {after:.0f} MB ({after / before:.2f}x; target <= 1.20: "
        f"{'OK' if after <= before * 1.2 else 'OVER TARGET'})"
    )
    busy_ms, idle_ms = statistics.median(busy) * 1000, statistics.median(idle) * 1000
    print(
        f"GET /v1/users/me with every tool slot busy: median {busy_ms:.1f} ms, p95 "
        f"{percentile(busy, 0.95) * 1000:.1f} ms; idle median {idle_ms:.1f} ms "
        f"({busy_ms / idle_ms:.1f}x)"
    )


_RSS_PROBE = """
import io, json, sys
from PIL import Image
from atelier.config import Settings
tool, path = sys.argv[1], sys.argv[2]
image = Image.open(path)
if tool == "removeBackground":
    from atelier.tools.matting import BackgroundRemover
    BackgroundRemover(Settings().matting_model_path).remove(image)
else:
    from atelier.tools.upscaler import Upscaler
    Upscaler(tile=Settings().upscale_tile).crisp(image)
# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec.
status = open("/proc/self/status").read().split("VmHWM:")[1]
print(json.dumps(int(status.split()[0]) / 1024))
"""


def peak_rss_mb(tool: str, image_bytes: bytes) -> float:
    """Peak resident memory of one run of ``tool`` in a fresh process, imports included."""
    path = Path(f"/tmp/atelier-bench-{tool}.png")
    path.write_bytes(image_bytes)
    result = subprocess.run(
        [sys.executable, "-c", _RSS_PROBE, tool, str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return float(json.loads(result.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
