"""The three dialects of POST /v1/images/generations: Recraft's own, the AI/ML API's
(model "recraft-v3") and the DALL-E-format re-seller's (model "recraftv3", DALL-E fields only).

Which one a body speaks is decided from its model id and its fields (README, "Dialects"):
  model "recraft-v3"                            -> AI/ML API
  AI/ML-only fields without model "recraft-v3"  -> 400, ambiguous
  model "recraftv3" and only DALL-E fields      -> DALL-E format
  anything else                                 -> Recraft
"""

from __future__ import annotations

import enum
from typing import Any

from atelier import catalog
from atelier.api.schemas import (
    AimlGenerateRequest,
    Color,
    Controls,
    DalleGenerateRequest,
    GenerateRequest,
    ImageToImageRequest,
    validate_as,
)
from atelier.editing import ImageEditor
from atelier.errors import InvalidRequest
from atelier.fetching import ImageFetcher, find_image_url
from atelier.generation import Generation, ImageGenerator, parse_size


class Dialect(enum.Enum):
    RECRAFT = "recraft"
    AIML = "aimlapi"
    DALLE = "dalle"


ACCEPTED_FORMS = (
    "accepted bodies: Recraft {prompt, model: recraftv3|recraftv2, size, n, style, substyle, "
    "style_id, controls, ...}; AI/ML API {model: 'recraft-v3', prompt, image_size, style, "
    "colors, num_images, style_id}; DALL-E format {model: 'recraftv3', prompt, size, "
    "response_format, n}"
)
DALLE_FIELDS = frozenset({"model", "prompt", "size", "response_format", "n", "user"})
AIML_ONLY_FIELDS = frozenset({"image_size", "num_images", "colors"})
RECRAFT_ONLY_FIELDS = frozenset(GenerateRequest.model_fields) - frozenset(
    AimlGenerateRequest.model_fields
)
# How far image-to-image from a prompt's URL moves from the image: the prompt describes a
# change to that image, so keep its composition.
URL_EDIT_STRENGTH = 0.5


def detect_dialect(body: dict[str, Any]) -> Dialect:
    model, fields = body.get("model"), frozenset(body)
    if model == catalog.AIML_MODEL:
        mixed = sorted(fields & RECRAFT_ONLY_FIELDS)
        if mixed:
            raise InvalidRequest(
                f"model 'recraft-v3' is the AI/ML API dialect, which has no {mixed}; "
                + ACCEPTED_FORMS,
                param=mixed[0],
            )
        return Dialect.AIML
    if fields & AIML_ONLY_FIELDS:
        field = sorted(fields & AIML_ONLY_FIELDS)[0]
        raise InvalidRequest(
            f"{field} belongs to the AI/ML API dialect, which needs model 'recraft-v3'; "
            + ACCEPTED_FORMS,
            param=field,
        )
    if model is not None and model not in catalog.MODELS:
        raise InvalidRequest(f"model {model!r} is unknown; " + ACCEPTED_FORMS, param="model")
    if model == "recraftv3" and fields <= DALLE_FIELDS:
        return Dialect.DALLE
    return Dialect.RECRAFT


def aiml_to_recraft(req: AimlGenerateRequest) -> GenerateRequest:
    size = req.image_size or "square_hd"
    width, height = (
        catalog.AIML_SIZE_PRESETS[size]
        if isinstance(size, str)
        else catalog.nearest_size(size.width, size.height)
    )
    prompt_bytes = len(req.prompt.encode("utf-8"))
    if prompt_bytes > catalog.MAX_PROMPT_BYTES:
        raise InvalidRequest(
            f"prompt is {prompt_bytes} bytes; Recraft V3 takes at most "
            f"{catalog.MAX_PROMPT_BYTES} bytes (the AI/ML API documents 4000 characters, but "
            "the model's own limit applies)",
            param="prompt",
        )
    style, _, substyle = (req.style or "").partition("/")
    colors = [Color(rgb=[c.r, c.g, c.b]) for c in req.colors or []]
    return GenerateRequest(
        prompt=req.prompt,
        model="recraftv3",
        n=req.num_images,
        style=style or None,
        substyle=substyle or None,
        style_id=req.style_id,
        size=f"{width}x{height}",
        controls=Controls(colors=colors) if colors else None,
        image_format="webp",  # what the AI/ML API serves for raster images
    )


class DialectGenerator:
    def __init__(
        self, generator: ImageGenerator, editor: ImageEditor, fetcher: ImageFetcher
    ) -> None:
        self.generator = generator
        self.editor = editor
        self.fetcher = fetcher

    def generate(self, user_id: str, body: dict[str, Any]) -> tuple[Dialect, Generation]:
        """Validate ``body`` in its dialect's terms and generate; the caller shapes the answer."""
        dialect = detect_dialect(body)
        if dialect is Dialect.AIML:
            req = aiml_to_recraft(validate_as(AimlGenerateRequest, body))
            return dialect, self.generator.generate(user_id, req)
        if dialect is Dialect.DALLE:
            return dialect, self._dalle(user_id, validate_as(DalleGenerateRequest, body))
        return dialect, self.generator.generate(user_id, validate_as(GenerateRequest, body))

    def _dalle(self, user_id: str, req: DalleGenerateRequest) -> Generation:
        sizes = catalog.SIZES + catalog.DALLE_EXTRA_SIZES
        url, prompt = find_image_url(req.prompt)
        params = GenerateRequest(
            prompt=prompt,
            model=req.model,
            size=req.size,
            n=req.n,
            response_format=req.response_format,
        )
        if url is None:
            return self.generator.generate(user_id, params, sizes)
        size = None if req.size is None else parse_size(req.size, sizes)
        if not prompt:
            raise InvalidRequest("the prompt needs words besides the image URL", "prompt")
        # Check everything that costs nothing before fetching anything.
        self.generator.plan(user_id, params, size or catalog.DEFAULT_SIZE)
        image = self.fetcher.fetch(url)
        edit = ImageToImageRequest(
            prompt=prompt, n=req.n, response_format=req.response_format, strength=URL_EDIT_STRENGTH
        )
        return self.editor.edit(user_id, "imageToImage", edit, image, size=size)
