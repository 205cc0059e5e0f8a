"""The image tools: vectorize, removeBackground, crisp/creative upscale (and the deprecated
clarity/generative upscales), eraseRegion. One image in, one image out, one price per call."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from PIL import Image

from atelier import catalog
from atelier.api.schemas import ToolRequest, VectorizeRequest
from atelier.engines.base import Artifact, RasterImage, VectorImage
from atelier.engines.eraser import RegionEraser
from atelier.engines.matting import BackgroundRemover
from atelier.engines.upscaler import Upscaler
from atelier.engines.vectorizer import VectorizeOptions, vectorize
from atelier.errors import InvalidRequest
from atelier.generation import DeliveredImage, Delivery, ImageGenerator
from atelier.inputs import ImageInputs, ImageSource
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
        inputs: ImageInputs,
        remover: BackgroundRemover,
        upscaler: Upscaler,
        eraser: RegionEraser,
    ) -> None:
        self.generator = generator
        self.inputs = inputs
        self.remover = remover
        self.upscaler = upscaler
        self.eraser = eraser

    def _open(self, source: ImageSource, limits: catalog.ImageLimits) -> Image.Image:
        return open_image(self.inputs.read(source), source.field, limits)

    def vectorize(self, user_id: str, source: ImageSource, req: VectorizeRequest) -> ToolResult:
        options = vectorize_options(req)  # a bad combination is refused before any reading
        image = self._open(source, catalog.IMAGE_LIMITS)
        return self._run(
            user_id,
            "vectorization",
            req,
            lambda: VectorImage(vectorize(image, options), image.width, image.height),
        )

    def remove_background(self, user_id: str, source: ImageSource, req: ToolRequest) -> ToolResult:
        image = self._open(source, catalog.IMAGE_LIMITS)
        return self._run(
            user_id, "background_removal", req, lambda: RasterImage(self.remover.remove(image))
        )

    def crisp_upscale(self, user_id: str, source: ImageSource, req: ToolRequest) -> ToolResult:
        image = self._open(source, catalog.SMALL_IMAGE_LIMITS)
        return self._run(
            user_id, "crisp_upscale", req, lambda: RasterImage(self.upscaler.crisp(image))
        )

    def creative_upscale(
        self,
        user_id: str,
        source: ImageSource,
        req: ToolRequest,
        price_key: str = "creative_upscale",
    ) -> ToolResult:
        """creativeUpscale; the deprecated clarityUpscale and generativeUpscale run it too."""
        image = self._open(source, catalog.IMAGE_LIMITS)
        size = creative_input_size(image.width, image.height)
        if size != image.size:
            image = image.resize(size, Image.Resampling.LANCZOS)
        return self._run(
            user_id, price_key, req, lambda: RasterImage(self.upscaler.creative(image))
        )

    def erase_region(
        self, user_id: str, source: ImageSource, mask: ImageSource | None, req: object
    ) -> ToolResult:
        if mask is None:
            raise InvalidRequest(
                "mask is required: send it as a file part named 'mask' (or mask_url)", "mask"
            )
        image = self._open(source, catalog.SMALL_IMAGE_LIMITS)
        opened = open_mask(
            self.inputs.read(mask), mask.field, catalog.SMALL_IMAGE_LIMITS, image.size
        )
        return self._run(
            user_id, "erase_region", req, lambda: RasterImage(self.eraser.erase(image, opened))
        )

    def _run(
        self, user_id: str, price_key: str, req: object, make: Callable[[], Artifact]
    ) -> ToolResult:
        units = self.generator.prices[price_key]
        delivery = Delivery.of(req)
        [delivered] = self.generator.charge_and_deliver(
            user_id, units, price_key, 1, delivery, lambda: [make()]
        )
        return ToolResult(
            int(time.time()), units + self.generator.finishing.price(delivery, 1), delivered
        )


RECRAFT_VECTORIZE_FIELDS = {
    "svg_compression", "limit_num_shapes", "max_num_shapes", "return_gradients",
    "shape_stacking", "small_shape_filter", "strict_color_palette", "color_reduction",
}  # fmt: skip
# atelier's older option names, still taken where they do not clash with Recraft's.
OLD_STACKING = {"stacked": "hierarchical", "cutout": "cut_out"}


def vectorize_options(req: VectorizeRequest) -> VectorizeOptions:
    """Recraft's vectorize fields (and atelier's older names) as tracing options."""
    fields = req.model_dump(include=RECRAFT_VECTORIZE_FIELDS, exclude_none=True)
    if req.stacking is not None:
        if req.shape_stacking not in (None, OLD_STACKING[req.stacking]):
            raise InvalidRequest(
                "stacking and shape_stacking disagree; send shape_stacking", "stacking"
            )
        fields["shape_stacking"] = OLD_STACKING[req.stacking]
    if req.filter_speckle is not None and req.small_shape_filter is not None:
        raise InvalidRequest(
            "filter_speckle and small_shape_filter both set the speckle filter; send one",
            "filter_speckle",
        )
    try:
        options = VectorizeOptions.from_recraft(**fields)
    except ValueError as exc:
        param = "max_num_shapes" if "max_num_shapes" in str(exc) else "strict_color_palette"
        raise InvalidRequest(str(exc), param) from None
    if req.filter_speckle is not None:
        options = replace(options, filter_speckle=req.filter_speckle)
    return options


def creative_input_size(width: int, height: int) -> tuple[int, int]:
    """The input size creativeUpscale works from so that its x4 output stays within the cap."""
    reduction = (catalog.CREATIVE_UPSCALE_MAX_OUTPUT_PIXELS / (16 * width * height)) ** 0.5
    if reduction >= 1:
        return (width, height)
    return (max(1, int(width * reduction)), max(1, int(height * reduction)))
