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
from collections.abc import Sequence
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
from atelier.generation import Generation, ImageGenerator, Output
from atelier.inputs import ImageInputs, ImageSource


class Dialect(enum.Enum):
    RECRAFT = "recraft"
    AIML = "aimlapi"
    DALLE = "dalle"


ACCEPTED_FORMS = (
    "accepted bodies: Recraft {prompt, model (GET /v1/models), size, n, style, substyle, "
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
    known = catalog.MODELS.keys() | catalog.THIRD_PARTY_MODELS
    if model is not None and model not in known:
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
        self,
        generator: ImageGenerator,
        editor: ImageEditor,
        fetcher: ImageFetcher,
        inputs: ImageInputs,
    ) -> None:
        self.generator = generator
        self.editor = editor
        self.fetcher = fetcher
        self.inputs = inputs

    def generate(
        self,
        user_id: str,
        body: dict[str, Any],
        force: Output | None = None,
        references: Sequence[ImageSource] = (),
    ) -> tuple[Dialect, Generation]:
        """Validate ``body`` in its dialect's terms and generate; the caller shapes the answer.

        ``force`` is the output of /generations/raster or /vector (Recraft dialect only);
        ``references`` are uploaded style reference images.
        """
        dialect = Dialect.RECRAFT if force or references else detect_dialect(body)
        if dialect is Dialect.AIML:
            req = aiml_to_recraft(validate_as(AimlGenerateRequest, body))
            return dialect, self.generator.generate(user_id, req)
        if dialect is Dialect.DALLE:
            return dialect, self._dalle(user_id, validate_as(DalleGenerateRequest, body))
        req = validate_as(GenerateRequest, body)
        style_id = self._inline_style(user_id, req, references, force)
        return dialect, self.generator.generate(user_id, req, force=force, style_id=style_id)

    def _inline_style(
        self,
        user_id: str,
        req: GenerateRequest,
        references: Sequence[ImageSource],
        force: Output | None,
    ) -> str | None:
        """A style made from the request's style references (uploads or URLs), if any."""
        urls = req.style_reference_urls or []
        if not references and not urls:
            return None
        if references and urls:
            raise InvalidRequest(
                "send style_references as files or style_reference_urls, not both",
                "style_reference_urls",
            )
        if req.style_id is not None or req.style is not None:
            raise InvalidRequest(
                "style references make the request's style; leave style and style_id out",
                param="style_id" if req.style_id is not None else "style",
            )
        sources = list(references) or [
            ImageSource(f"style_reference_urls[{i}]", url=url) for i, url in enumerate(urls)
        ]
        if len(sources) > catalog.MAX_STYLE_IMAGES:
            raise InvalidRequest(
                f"send at most {catalog.MAX_STYLE_IMAGES} style references; got {len(sources)}",
                param="style_references",
            )
        # Everything that costs nothing is checked before any image is fetched or decoded.
        model = self.generator.model(req.model, catalog.DEFAULT_STYLE_REFERENCE_MODEL)
        variant = model.variant(force) if force and model.output not in ("any", force) else None
        model = variant or model
        images = [(source.field, self.inputs.read(source)) for source in sources]
        return self.generator.styles.create_inline(user_id, images, model=model.id).id

    def _dalle(self, user_id: str, req: DalleGenerateRequest) -> Generation:
        sizes = catalog.DALLE_EXTRA_SIZES
        url, prompt = find_image_url(req.prompt)
        params = GenerateRequest(
            prompt=prompt,
            model=req.model,
            size=req.size,
            n=req.n,
            response_format=req.response_format,
        )
        if url is None:
            return self.generator.generate(user_id, params, extra_sizes=sizes)
        if not prompt:
            raise InvalidRequest("the prompt needs words besides the image URL", "prompt")
        # Check everything that costs nothing before fetching anything.
        plan = self.generator.plan(user_id, params, req.size, extra_sizes=sizes)
        size = None if req.size is None else (plan.spec.width, plan.spec.height)
        image = self.fetcher.fetch(url)
        edit = ImageToImageRequest(
            prompt=prompt, n=req.n, response_format=req.response_format, strength=URL_EDIT_STRENGTH
        )
        source = ImageSource("image", data=image)
        return self.editor.edit(user_id, "imageToImage", edit, source, size=size)
