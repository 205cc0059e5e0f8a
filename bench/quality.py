"""Tool quality against plain baselines, on real photographs that ship in scikit-image.

Run with `make quality`. Each metric is printed beside its baselines, on the same inputs:

- crispUpscale (x2): each photo reduced to half size, then enlarged back, against bicubic and
  Lanczos; PSNR and SSIM to the original, on clean and on JPEG-compressed (q75) inputs.
- eraseRegion: holes cut into each photo (fixed seed) and filled, against OpenCV's Telea and
  Navier-Stokes (radius 3); PSNR inside the hole, PSNR of the 3-px ring just inside its edge,
  and the seam error (mean absolute difference of the gradient magnitude to the original's,
  in a 2-px band either side of the edge; lower is better).
"""

from __future__ import annotations

import argparse
import io
import statistics
from collections.abc import Callable

import cv2
import numpy as np
import skimage.data
from PIL import Image, ImageDraw
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from atelier.config import Settings
from atelier.tools.eraser import RegionEraser
from atelier.tools.upscaler import Upscaler

# The colour photographs scikit-image ships in its wheel (no download).
PHOTOS = ["astronaut", "chelsea", "coffee", "rocket", "motorcycle_left", "motorcycle_right",
          "hubble_deep_field", "immunohistochemistry", "retina"]  # fmt: skip


def photos(limit: int) -> dict[str, Image.Image]:
    found: dict[str, Image.Image] = {}
    for name in PHOTOS:
        loader = getattr(skimage.data, name, None)
        if loader is None:
            continue
        try:
            pixels = loader()
        except Exception:  # a data file that would need a download
            continue
        image = Image.fromarray(np.asarray(pixels)[..., :3]).convert("RGB")
        if image.width * image.height > 1_000_000:  # keep the run short
            scale = (1_000_000 / (image.width * image.height)) ** 0.5
            image = image.resize(
                (int(image.width * scale), int(image.height * scale)), Image.LANCZOS
            )
        # Even sizes: halving and doubling give the same size back.
        found[name] = image.crop((0, 0, image.width // 2 * 2, image.height // 2 * 2))
        if len(found) == limit:
            break
    return found


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(a, b, data_range=255))


def ssim(a: np.ndarray, b: np.ndarray) -> float:
    return float(structural_similarity(a, b, channel_axis=2, data_range=255))


def jpeg(image: Image.Image, quality: int = 75) -> Image.Image:
    """``image`` through a JPEG file, opened as an upload is (so it says it is a JPEG)."""
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    opened = Image.open(io.BytesIO(buffer.getvalue()))
    opened.load()
    return opened


def upscaling(images: dict[str, Image.Image]) -> None:
    upscaler = Upscaler.from_settings(Settings())
    methods: dict[str, Callable[[Image.Image], Image.Image]] = {
        "bicubic": lambda im: im.resize((im.width * 2, im.height * 2), Image.BICUBIC),
        "Lanczos": lambda im: im.resize((im.width * 2, im.height * 2), Image.LANCZOS),
        "crispUpscale": lambda im: upscaler.crisp(im, 2).convert("RGB"),
    }
    for variant in ("clean", "JPEG q75"):
        scores: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
        wins = 0
        for original in images.values():
            small = original.resize((original.width // 2, original.height // 2), Image.BICUBIC)
            if variant != "clean":
                small = jpeg(small)
            truth = np.asarray(original)
            for name, method in methods.items():
                out = np.asarray(method(small))
                scores[name].append((psnr(truth, out), ssim(truth, out)))
            wins += scores["crispUpscale"][-1][0] > scores["bicubic"][-1][0]
        print(f"crispUpscale x2, {variant} inputs, {len(images)} photos:")
        for name, values in scores.items():
            print(f"  {name:<13} PSNR {statistics.mean(v[0] for v in values):6.2f} dB   "
                  f"SSIM {statistics.mean(v[1] for v in values):.4f}")  # fmt: skip
        base = scores["bicubic"]
        ours = scores["crispUpscale"]
        gain = statistics.mean(o[0] - b[0] for o, b in zip(ours, base, strict=True))
        print(f"  crispUpscale vs bicubic: {gain:+.2f} dB, better on {wins} of {len(images)}")


def holes(size: tuple[int, int], seed: int) -> Image.Image:
    """A hole mask: three ellipses and a stroke, about 4 % of the image, away from the edges."""
    rng = np.random.default_rng(seed)
    width, height = size
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for _ in range(3):
        rx, ry = rng.uniform(0.03, 0.07) * width, rng.uniform(0.03, 0.07) * height
        cx, cy = rng.uniform(0.15, 0.85) * width, rng.uniform(0.15, 0.85) * height
        draw.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=255)
    points = [tuple(p) for p in rng.uniform(0.2, 0.8, (3, 2)) * (width, height)]
    draw.line(points, fill=255, width=max(3, width // 80))
    return mask


def bands(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The hole, the 3-px ring just inside its edge, and the 2-px band either side of it."""
    hole = mask > 0
    kernel = np.ones((3, 3), np.uint8)
    inner = cv2.erode(hole.astype(np.uint8), kernel, iterations=3) > 0
    ring = hole & ~inner
    outside = cv2.dilate(hole.astype(np.uint8), kernel, iterations=2) > 0
    inside = cv2.erode(hole.astype(np.uint8), kernel, iterations=2) > 0
    return hole, ring, outside & ~inside


def gradient(image: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)
    return np.hypot(cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1))


def erasing(images: dict[str, Image.Image]) -> None:
    eraser = RegionEraser.from_settings(Settings())

    def opencv(flag: int) -> Callable[[Image.Image, Image.Image], Image.Image]:
        def fill(image: Image.Image, mask: Image.Image) -> Image.Image:
            out = cv2.inpaint(np.asarray(image), np.asarray(mask), 3, flag)
            return Image.fromarray(out)

        return fill

    methods: dict[str, Callable[[Image.Image, Image.Image], Image.Image]] = {
        "Telea r3": opencv(cv2.INPAINT_TELEA),
        "NS r3": opencv(cv2.INPAINT_NS),
        "eraseRegion": lambda im, m: eraser.erase(im, m).convert("RGB"),
    }
    scores: dict[str, list[tuple[float, float, float]]] = {name: [] for name in methods}
    for seed, original in enumerate(images.values()):
        mask = holes(original.size, seed)
        hole, ring, seam = bands(np.asarray(mask))
        truth = np.asarray(original)
        truth_gradient = gradient(truth)
        for name, method in methods.items():
            out = np.asarray(method(original, mask))
            seam_error = float(np.abs(gradient(out) - truth_gradient)[seam].mean())
            scores[name].append((psnr(truth[hole], out[hole]), psnr(truth[ring], out[ring]),
                                 seam_error))  # fmt: skip
    print(f"eraseRegion, {len(images)} photos with holes of about 4 %:")
    for name, values in scores.items():
        print(f"  {name:<12} hole PSNR {statistics.mean(v[0] for v in values):6.2f} dB   "
              f"ring PSNR {statistics.mean(v[1] for v in values):6.2f} dB   "
              f"seam error {statistics.mean(v[2] for v in values):6.2f}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--only", choices=["upscale", "erase"])
    args = parser.parse_args()
    images = photos(args.photos)
    print(f"photographs: {', '.join(f'{n} {im.width}x{im.height}' for n, im in images.items())}")
    if args.only in (None, "upscale"):
        upscaling(images)
    if args.only in (None, "erase"):
        erasing(images)


if __name__ == "__main__":
    main()
