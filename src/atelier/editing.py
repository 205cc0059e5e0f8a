"""Generative edits of an input image: imageToImage, inpaint, replace/generate background,
variateImage. Same rules, prices and credits as generation; the engine does the pixels."""

from __future__ import annotations

import time
from collections.abc import Callable

from PIL import Image, ImageOps

from atelier import catalog
from atelier.api.schemas import (
    GenerationParams,
    ImageToImageRequest,
    OpenAIEditRequest,
    VariateRequest,
)
from atelier.engines.base import Artifact, EditSpec, GenerationSpec, RasterImage, VectorImage
from atelier.engines.matting import BackgroundRemover
from atelier.engines.vectorizer import VectorizeOptions, vectorize
from atelier.errors import InvalidRequest
from atelier.generation import Generation, ImageGenerator, parse_size
from atelier.uploads import check_mask, open_image, open_mask

# How far a variation moves from its input: enough to differ, little enough to be recognisable.
VARIATION_STRENGTH = 0.35


def openai_mask(mask: Image.Image) -> Image.Image:
    """An OpenAI-style mask (transparent where to edit) as a Recraft mask (white where to edit).

    A mask without transparency is taken as Recraft's kind and left for ``check_mask`` to judge.
    """
    if "A" not in mask.getbands() and not (mask.mode == "P" and "transparency" in mask.info):
        return mask
    alpha = mask.convert("RGBA").getchannel("A")
    return alpha.point(lambda value: 255 if value == 0 else 0)


class ImageEditor:
    def __init__(self, generator: ImageGenerator, remover: BackgroundRemover) -> None:
        self.generator = generator
        self.remover = remover

    def edit(
        self,
        user_id: str,
        endpoint: str,
        req: GenerationParams,
        image_data: bytes,
        mask_data: bytes | None = None,
        size: tuple[int, int] | None = None,
    ) -> Generation:
        """One of catalog.EDITS, from uploads; those whose mask is "upload" need ``mask_data``.

        The output has the input's size unless ``size`` asks otherwise (imageToImage only).
        """
        needs_mask = catalog.EDITS[endpoint].mask == "upload"
        if needs_mask and mask_data is None:
            raise InvalidRequest("mask is required: send it as a file part named 'mask'", "mask")
        image = open_image(image_data, "image", catalog.IMAGE_LIMITS)
        mask = (
            open_mask(mask_data, "mask", catalog.IMAGE_LIMITS, image.size)
            if needs_mask and mask_data is not None
            else None
        )
        return self._edit(user_id, endpoint, req, image, mask, size)

    def openai_edit(
        self, user_id: str, req: OpenAIEditRequest, image_data: bytes, mask_data: bytes | None
    ) -> Generation:
        """OpenAI's images.edit: an inpaint where a mask is transparent, else imageToImage."""
        size = None if req.size is None else parse_size(req.size)
        image = open_image(image_data, "image", catalog.IMAGE_LIMITS)
        if mask_data is None:
            return self._edit(user_id, "imageToImage", req, image, None, size)
        uploaded = open_image(mask_data, "mask", catalog.IMAGE_LIMITS)
        mask = check_mask(openai_mask(uploaded), "mask", image.size)
        return self._edit(user_id, "inpaint", req, image, mask, size)

    def _edit(
        self,
        user_id: str,
        endpoint: str,
        req: GenerationParams,
        image: Image.Image,
        mask: Image.Image | None,
        size: tuple[int, int] | None,
    ) -> Generation:
        edit = catalog.EDITS[endpoint]
        if size is not None and size != image.size and edit.operation != "image_to_image":
            raise InvalidRequest("masked edits keep the image's size; leave size out", "size")
        spec = self.generator.plan(user_id, req, size or image.size, models=("recraftv3",))
        price = self.generator.prices[edit.price_key_for(spec.vector)]
        strength = req.strength if isinstance(req, ImageToImageRequest | OpenAIEditRequest) else 1.0

        def make() -> list[Image.Image]:
            edit_mask = mask
            if edit.mask == "matting":
                # Everything that is not the matted subject is background to regenerate.
                edit_mask = ImageOps.invert(self.remover.alpha(image))
            return self.generator.engine.edit(
                EditSpec(edit.operation, spec, image, edit_mask, strength)
            )

        return self._run(user_id, spec, price * spec.n, endpoint, req.image_format, make)

    def variate(self, user_id: str, req: VariateRequest, image_data: bytes) -> Generation:
        size = parse_size(req.size)
        image = open_image(image_data, "image", catalog.IMAGE_LIMITS)
        seed = req.random_seed if req.random_seed is not None else req.seed
        params = GenerationParams(
            prompt="a variation of the input image", n=req.n, random_seed=seed
        )
        spec = self.generator.plan(user_id, params, size, models=("recraftv3",))

        def make() -> list[Image.Image]:
            edit = EditSpec("variate", spec, image, None, VARIATION_STRENGTH)
            return self.generator.engine.edit(edit)

        price = self.generator.prices["variation"] * spec.n
        return self._run(user_id, spec, price, "variateImage", req.image_format, make)

    def _run(
        self,
        user_id: str,
        spec: GenerationSpec,
        units: int,
        reason: str,
        image_format: str | None,
        make: Callable[[], list[Image.Image]],
    ) -> Generation:
        def artifacts() -> list[Artifact]:
            if spec.vector:  # edits work on pixels; vector styles are traced afterwards
                options = VectorizeOptions.for_palette(spec.output_palette)
                return [VectorImage(vectorize(im, options), im.width, im.height) for im in make()]
            return [RasterImage(im) for im in make()]

        delivered = self.generator.charge_and_deliver(
            user_id, units, reason, spec.n, image_format, artifacts
        )
        return Generation(int(time.time()), units, delivered)
