"""Generative edits of an input image: imageToImage, inpaint, replace/generate background,
outpaint, variateImage and explore/similar. Same rules, prices and credits as generation; the
engine does the pixels."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from PIL import Image, ImageOps

from atelier import catalog
from atelier.delivery import Deliveries
from atelier.engines.base import Artifact, EditSpec, GenerationEngine
from atelier.errors import InvalidRequest
from atelier.finishing import finish_edited
from atelier.generation import Generation, ImageGenerator, Plan, parse_size
from atelier.inputs import ImageInputs, ImageSource
from atelier.prices import Prices
from atelier.requests import (
    Delivery,
    ExploreSimilarRequest,
    GenerationRequest,
    OutpaintRequest,
    VariationRequest,
)
from atelier.storage.images import ImageStore
from atelier.tools.base import Matting
from atelier.uploads import check_mask, open_image

# How far a variation moves from its input: enough to differ, little enough to be recognisable.
VARIATION_STRENGTH = 0.35
# explore/similar: similarity 1 (loosely related) .. 5 (nearly the same) as img2img strength.
SIMILARITY_STRENGTH = {1: 0.8, 2: 0.65, 3: 0.5, 4: 0.35, 5: 0.2}
MAX_OUTPAINT_SIDE = 4096
# What outpaint generates when the request has no prompt (Recraft's clients send "").
OUTPAINT_PROMPT = "the surroundings of the image, continued seamlessly"
# Before a size is known (it is the input image's), plans are made at this placeholder size.
_PENDING = (1, 1)


def openai_mask(mask: Image.Image) -> Image.Image:
    """An OpenAI-style mask (transparent where to edit) as a Recraft mask (white where to edit).

    A mask without transparency is taken as Recraft's kind and left for ``check_mask`` to judge.
    """
    if "A" not in mask.getbands() and not (mask.mode == "P" and "transparency" in mask.info):
        return mask
    alpha = mask.convert("RGBA").getchannel("A")
    return alpha.point(lambda value: 255 if value == 0 else 0)


class ImageEditor:
    """Edits plan with the generator's catalog rules, run on its engine, and deliver through
    the one delivery path."""

    def __init__(
        self,
        generator: ImageGenerator,
        engine: GenerationEngine,
        prices: Prices,
        deliveries: Deliveries,
        store: ImageStore,
        inputs: ImageInputs,
        remover: Matting,
    ) -> None:
        self.generator = generator
        self.engine = engine
        self.prices = prices
        self.deliveries = deliveries
        self.store = store
        self.inputs = inputs
        self.remover = remover

    def edit(
        self,
        user_id: str,
        endpoint: str,
        req: GenerationRequest,
        image: ImageSource,
        mask: ImageSource | None = None,
        extra_sizes: tuple[tuple[int, int], ...] = (),
    ) -> Generation:
        """One of catalog.EDITS; those whose mask is "upload" need ``mask``.

        The output has the input's size unless ``req.size`` asks otherwise (imageToImage
        only; ``extra_sizes`` are sizes a dialect accepts besides the model's). Every cheap
        check runs before an image is fetched or decoded.
        """
        edit = catalog.EDITS[endpoint]
        if edit.mask == "upload" and mask is None:
            raise InvalidRequest(
                "mask is required: send it as a file part named 'mask' (or mask_url)", "mask"
            )
        if req.size is not None and edit.operation != "image_to_image":
            raise InvalidRequest("masked edits keep the image's size; leave size out", "size")
        plan = self.generator.plan(user_id, req, _PENDING)
        asked = None if req.size is None else parse_size(req.size, plan.model, extra_sizes)
        self._precheck(user_id, plan, self.prices.edit(edit, plan.spec.vector), req.delivery)
        picture = self.inputs.open(image, catalog.IMAGE_LIMITS)
        opened_mask = None
        if edit.mask == "upload" and mask is not None:
            opened_mask = self.inputs.open_mask(mask, catalog.IMAGE_LIMITS, picture.size)
        return self._edit(user_id, endpoint, req, plan, picture, opened_mask, asked)

    def openai_edit(
        self,
        user_id: str,
        req: GenerationRequest,
        image: ImageSource,
        mask: ImageSource | None,
    ) -> Generation:
        """OpenAI's images.edit: an inpaint where a mask is transparent, else imageToImage."""
        endpoint = "imageToImage" if mask is None else "inpaint"
        plan = self.generator.plan(user_id, req, _PENDING)
        asked = None if req.size is None else parse_size(req.size, plan.model)
        if mask is not None and asked is not None:
            raise InvalidRequest("masked edits keep the image's size; leave size out", "size")
        price = self.prices.edit(catalog.EDITS[endpoint], plan.spec.vector)
        self._precheck(user_id, plan, price, req.delivery)
        picture = self.inputs.open(image, catalog.IMAGE_LIMITS)
        opened_mask = None
        if mask is not None:
            uploaded = self.inputs.open(mask, catalog.IMAGE_LIMITS)
            opened_mask = check_mask(openai_mask(uploaded), mask.field, picture.size)
        return self._edit(user_id, endpoint, req, plan, picture, opened_mask, asked)

    def _edit(
        self,
        user_id: str,
        endpoint: str,
        req: GenerationRequest,
        plan: Plan,
        image: Image.Image,
        mask: Image.Image | None,
        size: tuple[int, int] | None,
    ) -> Generation:
        edit = catalog.EDITS[endpoint]
        spec = _sized(plan, size or image.size).spec
        price = self.prices.edit(edit, spec.vector)
        strength = req.strength if req.strength is not None else 1.0

        def make() -> list[Image.Image]:
            edit_mask = mask
            if edit.mask == "matting":
                # Everything that is not the matted subject is background to regenerate.
                edit_mask = ImageOps.invert(self.remover.alpha(image))
            return self.engine.edit(EditSpec(edit.operation, spec, image, edit_mask, strength))

        return self._run(user_id, plan, price * spec.n, endpoint, req.delivery, make)

    def outpaint(self, user_id: str, req: OutpaintRequest, image: ImageSource) -> Generation:
        """The image on a larger canvas whose new area the engine fills (an inpaint of it)."""
        margins = (req.expand_left, req.expand_top, req.expand_right, req.expand_bottom)
        ways = [
            name
            for name, given in (
                ("expand_*", any(m is not None for m in margins)),
                ("size", req.size is not None),
                ("zoom_out_percentage", req.zoom_out_percentage is not None),
            )
            if given
        ]
        if len(ways) != 1:
            raise InvalidRequest(
                "say how to extend the image with exactly one of: expand_top/bottom/left/right, "
                "size, or zoom_out_percentage" + (f" (got {', '.join(ways)})" if ways else ""),
                param="expand_top" if not ways else ways[1].rstrip("*").rstrip("_"),
            )
        generation = req.generation
        if not generation.prompt.strip():
            generation = replace(generation, prompt=OUTPAINT_PROMPT)
        plan = self.generator.plan(user_id, generation, _PENDING)
        target = None if req.size is None else parse_size(req.size, plan.model)
        self._precheck(user_id, plan, self.prices.outpaint(plan.spec.vector), generation.delivery)
        picture = self.inputs.open(image, catalog.IMAGE_LIMITS)
        w, h = picture.size
        if target is not None:
            if target[0] < w or target[1] < h:
                raise InvalidRequest(
                    f"size {target[0]}x{target[1]} is smaller than the image ({w}x{h}); "
                    "outpainting only grows it",
                    param="size",
                )
            left, top = (target[0] - w) // 2, (target[1] - h) // 2
            canvas = target
        elif req.zoom_out_percentage is not None:
            scale = 1 + req.zoom_out_percentage / 100
            canvas = (round(w * scale), round(h * scale))
            left, top = (canvas[0] - w) // 2, (canvas[1] - h) // 2
        else:
            left, top, right, bottom = (m or 0 for m in margins)
            canvas = (w + left + right, h + top + bottom)
        if canvas == (w, h):
            raise InvalidRequest("the new canvas is the image's own size; extend it", "expand_top")
        if max(canvas) > MAX_OUTPAINT_SIDE:
            raise InvalidRequest(
                f"the outpainted image would be {canvas[0]}x{canvas[1]}; it may be at most "
                f"{MAX_OUTPAINT_SIDE} px on a side",
                param=ways[0].rstrip("*").rstrip("_") if ways[0] != "expand_*" else "expand_top",
            )
        extended, mask = _extended(picture, canvas, (left, top))
        spec = _sized(plan, canvas).spec
        price = self.prices.outpaint(spec.vector)

        def make() -> list[Image.Image]:
            return self.engine.edit(EditSpec("inpaint", spec, extended, mask, 1.0))

        return self._run(user_id, plan, price * spec.n, "outpaint", generation.delivery, make)

    def variate(self, user_id: str, req: VariationRequest, image: ImageSource) -> Generation:
        params = GenerationRequest(
            prompt="a variation of the input image", n=req.n, random_seed=req.seed, model=req.model
        )
        plan = self.generator.plan(user_id, params, req.size)
        self._precheck(user_id, plan, self.prices["variation"], req.delivery)
        picture = self.inputs.open(image, catalog.IMAGE_LIMITS)
        units = self.prices["variation"] * plan.spec.n
        return self._variations(
            user_id, plan, picture, VARIATION_STRENGTH, units, "variateImage", req.delivery
        )

    def explore_similar(self, user_id: str, req: ExploreSimilarRequest) -> Generation:
        """More images like one of the user's own, as close as ``similarity`` asks."""
        model = self.generator.model(catalog.EXPLORE_MODEL)
        count = catalog.EXPLORE_IMAGES
        units = self.prices.generation(model, vector=False) * count
        self.deliveries.precheck(user_id, units, count, req.delivery)
        data, extension = self.store.read_own(user_id, req.source_image_id, "source_image_id")
        if extension == "svg":
            raise InvalidRequest(
                "explore/similar starts from raster images; this source image is SVG",
                param="source_image_id",
            )
        picture = open_image(data, "source_image_id", catalog.IMAGE_LIMITS)
        params = GenerationRequest(
            prompt="an image like the source image",
            n=catalog.EXPLORE_IMAGES,
            model=catalog.EXPLORE_MODEL,
        )
        plan = self.generator.plan(user_id, params, picture.size)
        strength = SIMILARITY_STRENGTH[req.similarity]
        units = self.generator.price(plan)  # the explore model's price per image
        return self._variations(
            user_id, plan, picture, strength, units, "explore_similar", req.delivery
        )

    def _precheck(self, user_id: str, plan: Plan, price: int, delivery: Delivery) -> None:
        """Credits and rate limit for ``plan.spec.n`` images at ``price``, before any input
        image is read (see Deliveries.precheck)."""
        self.deliveries.precheck(user_id, price * plan.spec.n, plan.spec.n, delivery)

    def _variations(
        self,
        user_id: str,
        plan: Plan,
        picture: Image.Image,
        strength: float,
        units: int,
        reason: str,
        delivery: Delivery,
    ) -> Generation:
        spec = plan.spec

        def make() -> list[Image.Image]:
            return self.engine.edit(EditSpec("variate", spec, picture, None, strength))

        return self._run(user_id, plan, units, reason, delivery, make)

    def _run(
        self,
        user_id: str,
        plan: Plan,
        units: int,
        reason: str,
        delivery: Delivery,
        make: Callable[[], list[Image.Image]],
    ) -> Generation:
        spec = plan.spec

        def artifacts() -> list[Artifact]:
            return finish_edited(spec, make())  # edits work on pixels; SVG is traced after

        delivered = self.deliveries.deliver(user_id, units, reason, spec.n, delivery, artifacts)
        return Generation(int(time.time()), delivered.units, delivered.images)


def _sized(plan: Plan, size: tuple[int, int]) -> Plan:
    return replace(plan, spec=replace(plan.spec, width=size[0], height=size[1]))


def _extended(
    image: Image.Image, canvas: tuple[int, int], offset: tuple[int, int]
) -> tuple[Image.Image, Image.Image]:
    """``image`` on a ``canvas``-sized image at ``offset``, the new area filled by stretching
    its edge pixels outwards (a neutral start for the engine), and the mask of the new area."""
    rgb = image.convert("RGB")
    left, top = offset
    right, bottom = canvas[0] - left - rgb.width, canvas[1] - top - rgb.height
    extended = ImageOps.expand(rgb, border=(left, top, right, bottom))
    # Edge stretch: each border strip repeats the nearest row or column of the image.
    if left:
        extended.paste(rgb.crop((0, 0, 1, rgb.height)).resize((left, rgb.height)), (0, top))
    if right:
        strip = rgb.crop((rgb.width - 1, 0, rgb.width, rgb.height)).resize((right, rgb.height))
        extended.paste(strip, (left + rgb.width, top))
    if top:
        row = extended.crop((0, top, canvas[0], top + 1)).resize((canvas[0], top))
        extended.paste(row, (0, 0))
    if bottom:
        y = top + rgb.height - 1
        row = extended.crop((0, y, canvas[0], y + 1)).resize((canvas[0], bottom))
        extended.paste(row, (0, top + rgb.height))
    mask = Image.new("L", canvas, 255)
    mask.paste(0, (left, top, left + rgb.width, top + rgb.height))
    return extended, mask
