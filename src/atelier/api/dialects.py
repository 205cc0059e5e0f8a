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
from dataclasses import dataclass
from typing import Any

from atelier import catalog
from atelier.api.schemas import (
    AimlGenerateRequest,
    Color,
    Controls,
    DalleGenerateRequest,
    GenerateRequest,
    validate_as,
)
from atelier.catalog import Size
from atelier.errors import InvalidRequest
from atelier.fetching import find_image_url
from atelier.requests import GenerationRequest


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
    if model is not None and not isinstance(model, str):
        raise InvalidRequest("model must be a string: a model id such as recraftv3", "model")
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


def aiml_to_recraft(req: AimlGenerateRequest) -> GenerationRequest:
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
    ).to_domain()


@dataclass(frozen=True)
class GenerationCall:
    """What a /generations body asks for, in domain terms.

    ``image_url``: the DALL-E format's image URL found in the prompt, which makes the call an
    image-to-image of that image. ``extra_sizes``: sizes the dialect takes besides the model's.
    """

    dialect: Dialect
    request: GenerationRequest
    image_url: str | None = None
    extra_sizes: tuple[Size, ...] = ()


def parse_generation(body: dict[str, Any], recraft_only: bool = False) -> GenerationCall:
    """Validate ``body`` in its dialect's terms. ``recraft_only``: /generations/raster and
    /vector, and bodies with uploaded style references, speak Recraft's dialect only."""
    dialect = Dialect.RECRAFT if recraft_only else detect_dialect(body)
    if dialect is Dialect.AIML:
        return GenerationCall(dialect, aiml_to_recraft(validate_as(AimlGenerateRequest, body)))
    if dialect is Dialect.DALLE:
        return _dalle(validate_as(DalleGenerateRequest, body))
    return GenerationCall(dialect, validate_as(GenerateRequest, body).to_domain())


def _dalle(req: DalleGenerateRequest) -> GenerationCall:
    url, prompt = find_image_url(req.prompt)
    if url is not None and not prompt:
        raise InvalidRequest("the prompt needs words besides the image URL", "prompt")
    request = GenerationRequest(
        prompt=prompt,
        model=req.model,
        size=req.size,
        n=req.n or 1,
        strength=None if url is None else URL_EDIT_STRENGTH,
    )
    return GenerationCall(Dialect.DALLE, request, url, catalog.DALLE_EXTRA_SIZES)
