"""The image tools: vectorize, removeBackground, crispUpscale, creativeUpscale, eraseRegion.
One image in, one image out, one price per call."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from atelier import catalog
from atelier.api.schemas import VectorizeRequest
from atelier.engines.base import Artifact, RasterImage, VectorImage
from atelier.engines.eraser import RegionEraser
from atelier.engines.matting import BackgroundRemover
from atelier.engines.upscaler import Upscaler
from atelier.engines.vectorizer import VectorizeOptions, vectorize
from atelier.errors import InvalidRequest
from atelier.generation import DeliveredImage, ImageGenerator
from atelier.uploads import open_image, open_mask


@dataclass(frozen=True)
class ToolResult:
    created: int
    credits: int
    image: DeliveredImage


class Toolbox:
    def __init__(
        self,
        generator: ImageGenerator,
        remover: BackgroundRemover,
        upscaler: Upscaler,
        eraser: RegionEraser,
    ) -> None:
        self.generator = generator
        self.remover = remover
        self.upscaler = upscaler
        self.eraser = eraser

    def vectorize(self, user_id: str, data: bytes, req: VectorizeRequest) -> ToolResult:
        image = open_image(data, "file", catalog.IMAGE_LIMITS)
        asked = req.model_dump(include={"color_reduction", "filter_speckle", "stacking"})
        options = VectorizeOptions(**{k: v for k, v in asked.items() if v is not None})
        return self._run(
            user_id,
            "vectorization",
            lambda: VectorImage(vectorize(image, options), image.width, image.height),
        )

    def remove_background(self, user_id: str, data: bytes) -> ToolResult:
        image = open_image(data, "file", catalog.IMAGE_LIMITS)
        return self._run(
            user_id, "background_removal", lambda: RasterImage(self.remover.remove(image))
        )

    def crisp_upscale(self, user_id: str, data: bytes) -> ToolResult:
        image = open_image(data, "file", catalog.SMALL_IMAGE_LIMITS)
        return self._run(user_id, "crisp_upscale", lambda: RasterImage(self.upscaler.crisp(image)))

    def creative_upscale(self, user_id: str, data: bytes) -> ToolResult:
        image = open_image(data, "file", catalog.IMAGE_LIMITS)
        size = creative_input_size(image.width, image.height)
        if size != image.size:
            image = image.resize(size, Image.Resampling.LANCZOS)
        return self._run(
            user_id, "creative_upscale", lambda: RasterImage(self.upscaler.creative(image))
        )

    def erase_region(self, user_id: str, data: bytes, mask_data: bytes | None) -> ToolResult:
        if mask_data is None:
            raise InvalidRequest("mask is required: send it as a file part named 'mask'", "mask")
        image = open_image(data, "image", catalog.SMALL_IMAGE_LIMITS)
        mask = open_mask(mask_data, "mask", catalog.SMALL_IMAGE_LIMITS, image.size)
        return self._run(
            user_id, "erase_region", lambda: RasterImage(self.eraser.erase(image, mask))
        )

    def _run(self, user_id: str, price_key: str, make: Callable[[], Artifact]) -> ToolResult:
        units = self.generator.prices[price_key]
        [delivered] = self.generator.charge_and_deliver(
            user_id, units, price_key, 1, "png", lambda: [make()]
        )
        return ToolResult(int(time.time()), units, delivered)


def creative_input_size(width: int, height: int) -> tuple[int, int]:
    """The input size creativeUpscale works from so that its x4 output stays within the cap."""
    reduction = (catalog.CREATIVE_UPSCALE_MAX_OUTPUT_PIXELS / (16 * width * height)) ** 0.5
    if reduction >= 1:
        return (width, height)
    return (max(1, int(width * reduction)), max(1, int(height * reduction)))
