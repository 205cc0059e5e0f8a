"""What every result goes through after the engine, for every engine: the palette pull, the
layout's words and SVG tracing an engine does not render itself; then the upscale option and
NSFW scoring a request asks for."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from PIL import Image

from atelier.engines.base import (
    RGB,
    Artifact,
    GenerationEngine,
    GenerationSpec,
    RasterImage,
    VectorImage,
)
from atelier.errors import AtelierError
from atelier.imaging.text_layout import draw_text_layout
from atelier.requests import Delivery
from atelier.tools.base import Upscaling
from atelier.tools.nsfw import NsfwClassifier
from atelier.tools.vectorizer import VectorizeOptions, vectorize

# Engines that do not render palettes themselves: colours asked for are named in the prompt,
# which models follow loosely; then every pixel is moved this fraction of the way to its
# nearest palette colour.
PALETTE_PULL = 0.35
# Vector styles from engines that give raster images: traced with this many colours at most.
VECTOR_COLORS = 12
# The pixel counts the upscale option aims at (Recraft: "upscale4mp", "upscale16mp").
UPSCALE_TARGETS = {"upscale4mp": 4_000_000, "upscale16mp": 16_000_000}


class NsfwBlocked(AtelierError):
    """block_nsfw was asked and a result scored at or above the threshold."""

    status = 422
    code = "nsfw_blocked"


class Finishing:
    """Upscales and scores results as a request's Delivery asks (priced by Prices.finishing)."""

    def __init__(
        self,
        upscaler: Upscaling,
        classifier: NsfwClassifier,
        nsfw_threshold: float,
    ) -> None:
        self.upscaler = upscaler
        self.classifier = classifier
        self.nsfw_threshold = nsfw_threshold

    def finish(self, artifact: Artifact, delivery: Delivery) -> tuple[Artifact, float | None]:
        """The artifact upscaled as asked, and its NSFW score when one is asked for.

        Vector results are neither upscaled (SVG scales by itself) nor scored (the classifier
        sees pixels); their score is None.
        """
        if not isinstance(artifact, RasterImage):
            return artifact, None
        if delivery.upscale:
            artifact = RasterImage(self._upscaled(artifact.image, delivery.upscale))
        if not delivery.scores:
            return artifact, None
        score = self.classifier.score(artifact.image)
        if delivery.block_nsfw and score >= self.nsfw_threshold:  # the exact score decides
            raise NsfwBlocked(
                f"a result was blocked as NSFW (score {score:.2f}, threshold "
                f"{self.nsfw_threshold}); nothing was charged; change the prompt",
                param="block_nsfw",
            )
        return artifact, round(score, 4)  # reported to 4 decimals

    def _upscaled(self, image: Image.Image, mode: str) -> Image.Image:
        pixels = image.width * image.height
        target = UPSCALE_TARGETS[mode]
        if pixels >= 0.9 * target:
            return image  # already that large (a Pro model's 2K images for upscale4mp)
        scale = 2 if math.sqrt(target / pixels) <= 2.5 else 4
        return self.upscaler.crisp(image, scale=scale)


def finish_generated(
    engine: GenerationEngine, spec: GenerationSpec, artifacts: list[Artifact]
) -> list[Artifact]:
    """Text-to-image results completed alike for every engine: what ``engine`` does not render
    itself (``GenerationEngine.renders``) is applied to its raster images here."""
    targets = spec.output_palette
    renders = engine.renders_for(spec)
    results: list[Artifact] = []
    for artifact in artifacts:
        if not isinstance(artifact, RasterImage):
            results.append(artifact)
            continue
        image = artifact.image
        changed = False
        if targets and not spec.vector and "palette" not in renders:
            image = pull_toward_palette(image, targets)  # vector output is snapped instead
            changed = True
        if spec.text_layout and not spec.no_text and "text_layout" not in renders:
            # Words are drawn after generation, exactly where the layout puts them.
            draw_text_layout(image, spec.text_layout, spec.palette)
            changed = True
        if spec.vector:
            options = VectorizeOptions.for_palette(targets, colors_without=VECTOR_COLORS)
            results.append(VectorImage(vectorize(image, options), image.width, image.height))
        else:
            # Unchanged, it keeps what the engine received it as (RasterImage.encoded).
            results.append(RasterImage(image) if changed else artifact)
    return results


def finish_edited(spec: GenerationSpec, images: list[Image.Image]) -> list[Artifact]:
    """Edit results (engines edit pixels): vector styles are traced, held to their palette."""
    if not spec.vector:
        return [RasterImage(image) for image in images]
    options = VectorizeOptions.for_palette(spec.output_palette)
    return [VectorImage(vectorize(im, options), im.width, im.height) for im in images]


def pull_toward_palette(
    image: Image.Image, palette: Sequence[RGB], amount: float = PALETTE_PULL
) -> Image.Image:
    """``image`` with each pixel moved ``amount`` of the way to its nearest palette colour."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32).reshape(-1, 3)
    colors = np.asarray(palette, dtype=np.float32)
    # |p - c|^2 without materialising every (pixel, colour, channel) difference.
    distances = (colors**2).sum(1) - 2 * pixels @ colors.T
    nearest = colors[distances.argmin(1)]
    moved = np.clip(np.rint(pixels + amount * (nearest - pixels)), 0, 255).astype(np.uint8)
    return Image.fromarray(moved.reshape(image.height, image.width, 3))
