"""Tool quality against plain baselines, on real photographs that ship in scikit-image.

Run with `make quality`. Each metric is printed beside its baselines, on the same inputs:

- crispUpscale (x2 and x4): each photo reduced to a half or a quarter, then enlarged back,
  against bicubic and Lanczos; PSNR and SSIM to the original, on clean and on JPEG (q75)
  inputs.
- eraseRegion: holes cut into each photo (fixed seed) and filled, against OpenCV's Telea and
  Navier-Stokes (radius 3); PSNR inside the hole, PSNR of the 3-px ring just inside its edge,
  and the seam error (mean absolute difference of the gradient magnitude to the original's,
  in a 2-px band either side of the edge; lower is better).
- vectorize: flat art (the scikit-image logo, OpenMoji emoji from the emosvg wheel), bi-level
  art (scikit-image's horse, the emoji's black outlines) and photographs, traced and rasterised
  again by resvg; SSIM to the input and the number of shapes, against vtracer's defaults and,
  for bi-level art, potrace (potracer, its pure-Python port).
- removeBackground: OpenMoji objects (exact alpha, rendered by resvg) composited over texture
  photographs and over the photographs; IoU of the cut-out with the object and the mean
  alpha error, against GrabCut given the object's bounding box.

`make quality` installs the extra `quality` (resvg-py, potracer, emosvg) for these inputs.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import io
import statistics
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import potrace
import resvg_py
import skimage.data
import vtracer
from PIL import Image, ImageDraw
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from atelier.config import Settings
from atelier.tools.eraser import RegionEraser
from atelier.tools.matting import BackgroundRemover
from atelier.tools.upscaler import Upscaler
from atelier.tools.vectorizer import vectorize

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


def enlarged(image: Image.Image, factor: int, resample: int) -> Image.Image:
    return image.resize((image.width * factor, image.height * factor), resample)


def upscaling(images: dict[str, Image.Image]) -> None:
    upscaler = Upscaler.from_settings(Settings())
    for factor, variant in ((2, "clean"), (2, "JPEG q75"), (4, "clean"), (4, "JPEG q75")):
        methods: dict[str, Callable[[Image.Image], Image.Image]] = {
            "bicubic": functools.partial(enlarged, factor=factor, resample=Image.BICUBIC),
            "Lanczos": functools.partial(enlarged, factor=factor, resample=Image.LANCZOS),
            "crispUpscale": functools.partial(upscaler.crisp, scale=factor),
        }
        scores: dict[str, list[tuple[float, float]]] = {name: [] for name in methods}
        wins = 0
        for photo in images.values():
            # A size the factor divides: reducing and enlarging give the same size back.
            original = photo.crop((0, 0, photo.width // factor * factor,
                                   photo.height // factor * factor))  # fmt: skip
            size = (original.width // factor, original.height // factor)
            small = original.resize(size, Image.BICUBIC)
            if variant != "clean":
                small = jpeg(small)
            truth = np.asarray(original)
            for name, method in methods.items():
                out = np.asarray(method(small).convert("RGB"))
                scores[name].append((psnr(truth, out), ssim(truth, out)))
            wins += scores["crispUpscale"][-1][0] > scores["bicubic"][-1][0]
        print(f"crispUpscale x{factor}, {variant} inputs, {len(images)} photos:")
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


# --- vectorize ------------------------------------------------------------------------------


def openmoji_dir() -> Path:
    """OpenMoji's colour SVGs (CC BY-SA 4.0) as the emosvg wheel ships them; found without
    importing emosvg, which would need cairo."""
    spec = importlib.util.find_spec("emosvg")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("emosvg is missing: run `make quality`, which installs it")
    return Path(next(iter(spec.submodule_search_locations))) / "resources" / "openmoji-svg-color"


def rendered(svg: str, width: int, height: int, background: str | None = "#ffffff") -> Image.Image:
    """`svg` rasterised by resvg (anti-aliased) at width x height, over `background`."""
    png = resvg_py.svg_to_bytes(svg_string=svg, width=width, height=height, background=background)
    image = Image.open(io.BytesIO(bytes(png)))
    return image.convert("RGB" if background else "RGBA")


def emoji(count: int, size: int = 512) -> list[Image.Image]:
    """`count` OpenMoji spread over the whole set (fixed choice), on white."""
    files = sorted(openmoji_dir().glob("*.svg"))
    chosen = files[:: max(1, len(files) // count)][:count]
    return [rendered(path.read_text(), size, size) for path in chosen]


def logo() -> Image.Image:
    art = Image.fromarray(skimage.data.logo()).convert("RGBA")
    flat = Image.new("RGBA", art.size, "white")
    flat.alpha_composite(art)
    return flat.convert("RGB")


def vtracer_defaults(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return str(vtracer.convert_raw_image_to_svg(buffer.getvalue(), img_format="png"))


def potrace_svg(image: Image.Image) -> str:
    """Potrace's outlines of the dark pixels (its defaults: turdsize 2, alphamax 1, optimised
    curves), as one even-odd path."""
    curves = potrace.Bitmap(image.convert("L")).trace()
    data = []
    for curve in curves:
        data.append(f"M{curve.start_point.x:.2f},{curve.start_point.y:.2f}")
        for segment in curve.segments:
            end = segment.end_point
            if segment.is_corner:
                data.append(f"L{segment.c.x:.2f},{segment.c.y:.2f}L{end.x:.2f},{end.y:.2f}")
            else:
                c1, c2 = segment.c1, segment.c2
                data.append(f"C{c1.x:.2f},{c1.y:.2f} {c2.x:.2f},{c2.y:.2f} {end.x:.2f},{end.y:.2f}")
        data.append("Z")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{image.width}" height="{image.height}">'
        f'<path d="{"".join(data)}" fill="#000000" fill-rule="evenodd"/></svg>'
    )


def bilevel(image: Image.Image) -> Image.Image:
    """Black where `image` is dark, white elsewhere."""
    return image.convert("L").point(lambda v: 0 if v < 128 else 255).convert("RGB")


def shapes_in(svg: str) -> int:
    """Shapes drawn: <path> elements, or for potrace's single path its outlines (M)."""
    paths = svg.count("<path")
    return svg.count("M") if paths == 1 and "evenodd" in svg else paths


def vectorizing(images: dict[str, Image.Image]) -> None:
    art = [logo(), *emoji(15)]
    horse = Image.fromarray(~skimage.data.horse()).convert("RGB")  # black horse on white
    sets = {
        "scikit-image logo": ([art[0]], False),
        "OpenMoji (15)": (art[1:], False),
        "bi-level: horse + 6 OpenMoji outlines": ([horse, *map(bilevel, emoji(6))], True),
        f"photographs ({min(4, len(images))})": (list(images.values())[:4], False),
    }
    for title, (inputs, two_colours) in sets.items():
        methods: dict[str, Callable[[Image.Image], str]] = {
            "vtracer defaults": vtracer_defaults,
            "vectorize": vectorize,
        }
        if two_colours:
            methods["potrace"] = potrace_svg
        print(f"vectorize, {title}:")
        base = 0.0
        for name, method in methods.items():
            scores, shapes = [], []
            for image in inputs:
                svg = method(image)
                traced = np.asarray(rendered(svg, image.width, image.height))
                scores.append(ssim(np.asarray(image), traced))
                shapes.append(shapes_in(svg))
            count = statistics.mean(shapes)
            base = base or count
            print(f"  {name:<17} SSIM {statistics.mean(scores):.4f}   shapes {count:8.1f}"
                  f"  (x{count / base:.2f})")  # fmt: skip


# --- removeBackground ----------------------------------------------------------------------

# Single objects from OpenMoji (their Unicode code points).
OBJECTS = ["1F34E", "1F34C", "1F353", "1F415", "1F408", "1F697", "1F3B8", "1F6B2", "1F332",
           "1F451", "1F4F7", "2615", "1F45F", "1F9F8"]  # fmt: skip


def textures(images: dict[str, Image.Image]) -> dict[str, Image.Image]:
    """Backgrounds with no subject of their own: scikit-image's texture photographs (brick,
    grass, gravel) and the photographs among `images` that are all texture."""
    found = {name: Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
             for name in ("brick", "grass", "gravel")}  # fmt: skip
    found.update(
        {n: im for n, im in images.items() if n in ("hubble_deep_field", "immunohistochemistry")}
    )
    return found


def composites(backgrounds: list[Image.Image]) -> list[tuple[Image.Image, np.ndarray]]:
    """Each object over a background (in turn), half its height, off centre by a fixed amount;
    with the object's exact alpha in the composite."""
    made = []
    for i, code in enumerate(OBJECTS):
        background = backgrounds[i % len(backgrounds)].copy()
        side = background.height // 2
        subject = rendered((openmoji_dir() / f"{code}.svg").read_text(), side, side, None)
        x = (background.width - side) // 2 + (i % 3 - 1) * background.width // 8
        y = (background.height - side) // 2 + (i % 2) * background.height // 10
        layer = Image.new("RGBA", background.size, (0, 0, 0, 0))
        layer.paste(subject, (x, y))
        composite = background.convert("RGBA")
        composite.alpha_composite(layer)
        made.append((composite.convert("RGB"), np.asarray(layer.getchannel("A"))))
    return made


def grabcut(image: Image.Image, truth: np.ndarray) -> np.ndarray:
    """OpenCV's GrabCut given the object's bounding box grown by 5 px (five iterations)."""
    ys, xs = np.nonzero(truth >= 128)
    left, top = max(0, int(xs.min()) - 5), max(0, int(ys.min()) - 5)
    right, bottom = min(image.width, int(xs.max()) + 6), min(image.height, int(ys.max()) + 6)
    mask = np.zeros(truth.shape, np.uint8)
    models = (np.zeros((1, 65)), np.zeros((1, 65)))
    pixels = cv2.cvtColor(np.asarray(image), cv2.COLOR_RGB2BGR)
    cv2.grabCut(pixels, mask, (left, top, right - left, bottom - top), *models, 5,
                cv2.GC_INIT_WITH_RECT)  # fmt: skip
    return np.where((mask == cv2.GC_FGD) | (mask == cv2.GC_PR_FGD), 255, 0).astype(np.uint8)


def background_removal(images: dict[str, Image.Image]) -> None:
    remover = BackgroundRemover.from_settings(Settings())
    methods: dict[str, Callable[[Image.Image, np.ndarray], np.ndarray]] = {
        "GrabCut (box)": grabcut,
        "removeBackground": lambda image, _: np.asarray(remover.alpha(image)),
    }
    scenes = {
        "over textures (the object is the one subject)": list(textures(images).values()),
        "over the photographs (their own subject competes)": list(images.values()),
    }
    for title, backgrounds in scenes.items():
        pairs = composites(backgrounds)
        print(f"removeBackground, {len(pairs)} OpenMoji objects {title}:")
        for name, method in methods.items():
            ious, errors = [], []
            for image, truth in pairs:
                alpha = method(image, truth)
                found, real = alpha >= 128, truth >= 128
                ious.append((found & real).sum() / (found | real).sum())
                errors.append(np.abs(alpha.astype(float) - truth).mean() / 255)
            print(f"  {name:<17} IoU {statistics.mean(ious):.4f} (worst {min(ious):.4f})   "
                  f"mean alpha error {statistics.mean(errors):.4f}")  # fmt: skip


TOOLS = {"upscale": upscaling, "erase": erasing, "vectorize": vectorizing,
         "background": background_removal}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--photos", type=int, default=10)
    parser.add_argument("--only", choices=sorted(TOOLS))
    args = parser.parse_args()
    images = photos(args.photos)
    print(f"photographs: {', '.join(f'{n} {im.width}x{im.height}' for n, im in images.items())}")
    for name, measure in TOOLS.items():
        if args.only in (None, name):
            measure(images)


if __name__ == "__main__":
    main()
