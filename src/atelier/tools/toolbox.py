"""The image tools: vectorize, removeBackground, crisp/creative upscale (and the deprecated
clarity/generative upscales), eraseRegion. One image in, one image out, one price per call."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from PIL import Image

from atelier import catalog
from atelier.delivery import DeliveredImage, Deliveries
from atelier.engines.base import Artifact, RasterImage, VectorImage
from atelier.errors import InvalidRequest
from atelier.inputs import ImageInputs, ImageSource
from atelier.prices import Prices
from atelier.requests import Delivery
from atelier.tools.base import Erasing, Matting, Tool, Upscaling, Vectorizing
from atelier.tools.vectorizer import VectorizeOptions

T = TypeVar("T")


@dataclass(frozen=True)
class ToolResult:
    created: int
    credits: int
    image: DeliveredImage


class Toolbox:
    def __init__(
        self,
        prices: Prices,
        deliveries: Deliveries,
        inputs: ImageInputs,
        remover: Matting,
        upscaler: Upscaling,
        eraser: Erasing,
        vectorizer: Vectorizing,
    ) -> None:
        self.prices = prices
        self.deliveries = deliveries
        self.inputs = inputs
        self.remover = remover
        self.upscaler = upscaler
        self.eraser = eraser
        self.vectorizer = vectorizer

    def vectorize(
        self, user_id: str, source: ImageSource, options: VectorizeOptions, delivery: Delivery
    ) -> ToolResult:
        return self._run(
            user_id, "vectorization", delivery,
            self._opener(source, catalog.IMAGE_LIMITS, self.vectorizer),
            lambda image: VectorImage(
                self.vectorizer.vectorize(image, options), image.width, image.height
            ),
        )  # fmt: skip

    def remove_background(
        self, user_id: str, source: ImageSource, delivery: Delivery
    ) -> ToolResult:
        return self._run(
            user_id, "background_removal", delivery,
            self._opener(source, catalog.IMAGE_LIMITS, self.remover),
            lambda image: RasterImage(self.remover.remove(image)),
        )  # fmt: skip

    def crisp_upscale(self, user_id: str, source: ImageSource, delivery: Delivery) -> ToolResult:
        return self._run(
            user_id, "crisp_upscale", delivery,
            self._opener(source, catalog.SMALL_IMAGE_LIMITS, self.upscaler),
            lambda image: RasterImage(self.upscaler.crisp(image)),
        )  # fmt: skip

    def creative_upscale(
        self,
        user_id: str,
        source: ImageSource,
        delivery: Delivery,
        price_key: str = "creative_upscale",
    ) -> ToolResult:
        """creativeUpscale; the deprecated clarityUpscale and generativeUpscale run it too."""

        def read() -> Image.Image:
            image = self.inputs.open(source, catalog.IMAGE_LIMITS)
            size = creative_input_size(image.width, image.height)
            return image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)

        return self._run(
            user_id, price_key, delivery, read,
            lambda image: RasterImage(self.upscaler.creative(image)),
        )  # fmt: skip

    def erase_region(
        self, user_id: str, source: ImageSource, mask: ImageSource | None, delivery: Delivery
    ) -> ToolResult:
        if mask is None:
            raise InvalidRequest(
                "mask is required: send it as a file part named 'mask' (or mask_url)", "mask"
            )

        def read() -> tuple[Image.Image, Image.Image]:
            image = self.inputs.open(source, catalog.SMALL_IMAGE_LIMITS)
            return image, self.inputs.open_mask(mask, catalog.SMALL_IMAGE_LIMITS, image.size)

        return self._run(
            user_id, "erase_region", delivery, read,
            lambda pair: RasterImage(self.eraser.erase(*pair)),
        )  # fmt: skip

    def _opener(
        self, source: ImageSource, limits: catalog.ImageLimits, tool: Tool
    ) -> Callable[[], Image.Image]:
        return lambda: self.inputs.open(source, limits, decode=tool.decodes_input)

    def _run(
        self,
        user_id: str,
        price_key: str,
        delivery: Delivery,
        read: Callable[[], T],
        make: Callable[[T], Artifact],
    ) -> ToolResult:
        """Credits and rate limit first (a request that would be refused reads no image), then
        ``read`` the inputs, then deliver what ``make`` makes of them."""
        units = self.prices[price_key]
        self.deliveries.precheck(user_id, units, 1, delivery)
        inputs = read()
        delivered = self.deliveries.deliver(
            user_id, units, price_key, 1, delivery, lambda: [make(inputs)]
        )
        return ToolResult(int(time.time()), delivered.units, delivered.images[0])


def creative_input_size(width: int, height: int) -> tuple[int, int]:
    """The input size creativeUpscale works from so that its x4 output stays within the cap."""
    reduction = (catalog.CREATIVE_UPSCALE_MAX_OUTPUT_PIXELS / (16 * width * height)) ** 0.5
    if reduction >= 1:
        return (width, height)
    return (max(1, int(width * reduction)), max(1, int(height * reduction)))
