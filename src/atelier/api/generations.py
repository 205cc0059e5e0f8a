"""Text-to-image: POST /v1/images/generations (in the Recraft, AI/ML API and DALL-E-format
dialects; JSON or multipart), /generations/raster, /generations/vector, /explore and
/explore/similar."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from atelier.api.deps import BillingDep, ServicesDep, UserDep, run_job
from atelier.api.dialects import Dialect, parse_generation
from atelier.api.forms import CheckedJsonRoute, read_request
from atelier.api.schemas import (
    AimlGenerateRequest,
    AimlImage,
    AimlResponse,
    DalleGenerateRequest,
    ExploreRequest,
    ExploreSimilarRequest,
    Features,
    GenerateRequest,
    GenerateResponse,
    ImageData,
)
from atelier.delivery import DeliveredImage
from atelier.generation import Generation, Output
from atelier.inputs import ImageSource
from atelier.services import Services

router = APIRouter(
    prefix="/v1/images", tags=["images"], dependencies=[BillingDep], route_class=CheckedJsonRoute
)


def image_data(services: Services, image: DeliveredImage, response_format: str | None) -> ImageData:
    features = None if image.nsfw_score is None else Features(nsfw_score=image.nsfw_score)
    common: dict[str, Any] = {
        "image_id": image.image_id,
        "revised_prompt": image.revised_prompt,
        "features": features,
    }
    if response_format == "b64_json":
        return ImageData(b64_json=image.b64, **common)
    return ImageData(url=image.url(services.signer), **common)


def generation_response(
    services: Services, generation: Generation, response_format: str | None
) -> GenerateResponse:
    return GenerateResponse(
        created=generation.created,
        credits=generation.credits,
        data=[image_data(services, image, response_format) for image in generation.images],
        style_id=generation.style_id,
    )


_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        GenerateRequest.model_json_schema(),
                        AimlGenerateRequest.model_json_schema(),
                        DalleGenerateRequest.model_json_schema(),
                    ]
                }
            },
            "multipart/form-data": {
                "schema": {
                    **GenerateRequest.model_json_schema(),
                    "description": "the Recraft fields, plus style_references image files",
                }
            },
        },
    }
}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": GenerateResponse, "description": "Recraft and DALL-E-format bodies"},
    201: {"model": AimlResponse, "description": "AI/ML API bodies (model recraft-v3)"},
}


async def _generate(
    request: Request, user: UserDep, services: ServicesDep, force: Output | None
) -> JSONResponse:
    form = await read_request(request)
    form.check_no_other_files("style_references")
    references = [
        ImageSource(f"style_references[{i}]", data=data)
        for i, data in enumerate(form.file_lists.get("style_references", []))
    ]
    call = parse_generation(form.fields, recraft_only=bool(force or references))
    if call.image_url is not None:  # DALL-E format: image-to-image of the prompt's image URL
        source = ImageSource("prompt", url=call.image_url)
        generation = await run_job(
            request, services, "engine", services.editor.edit, user.id, "imageToImage",
            call.request, source, None, call.extra_sizes,
        )  # fmt: skip
    else:
        generation = await run_job(
            request, services, "engine", services.generator.generate, user.id, call.request,
            force=force, extra_sizes=call.extra_sizes, references=references,
        )  # fmt: skip
    if call.dialect is Dialect.AIML:
        images = [
            AimlImage(
                url=i.url(services.signer),
                content_type=i.encoded.media_type,
                file_name=i.name,
                file_size=len(i.encoded.data),
            )
            for i in generation.images
        ]
        return JSONResponse(AimlResponse(images=images).model_dump(), status_code=201)
    # The dialect has validated the body, response_format included.
    response = generation_response(services, generation, form.fields.get("response_format"))
    return JSONResponse(response.model_dump(exclude_none=True))


@router.post("/generations", response_model=None, responses=_RESPONSES, openapi_extra=_BODY_DOC)
async def generate(request: Request, user: UserDep, services: ServicesDep) -> JSONResponse:
    """Text-to-image in any of the three dialects (see the README's dialect table)."""
    return await _generate(request, user, services, None)


@router.post("/generations/raster", response_model=None, responses=_RESPONSES,
             openapi_extra=_BODY_DOC)  # fmt: skip
async def generate_raster(request: Request, user: UserDep, services: ServicesDep) -> JSONResponse:
    """Text-to-image whose output is raster whatever the model id says."""
    return await _generate(request, user, services, "raster")


@router.post("/generations/vector", response_model=None, responses=_RESPONSES,
             openapi_extra=_BODY_DOC)  # fmt: skip
async def generate_vector(request: Request, user: UserDep, services: ServicesDep) -> JSONResponse:
    """Text-to-image whose output is SVG."""
    return await _generate(request, user, services, "vector")


@router.post("/explore", response_model=GenerateResponse, response_model_exclude_none=True)
async def explore(
    body: ExploreRequest, request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    """A set of diverse images for one prompt (Recraft V4 Explore by default)."""
    generation = await run_job(
        request, services, "engine", services.generator.explore, user.id, body.to_domain()
    )
    return generation_response(services, generation, body.response_format)


@router.post("/explore/similar", response_model=GenerateResponse, response_model_exclude_none=True)
async def explore_similar(
    body: ExploreSimilarRequest, request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    """More images like one of the caller's own images, as close as ``similarity`` (1-5)."""
    generation = await run_job(
        request, services, "engine", services.editor.explore_similar, user.id, body.to_domain()
    )
    return generation_response(services, generation, body.response_format)
