"""POST /v1/images/generations, in the Recraft, AI/ML API and DALL-E-format dialects."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from atelier.api.deps import ServicesDep, UserDep
from atelier.api.schemas import (
    AimlGenerateRequest,
    AimlImage,
    AimlResponse,
    DalleGenerateRequest,
    GenerateRequest,
    GenerateResponse,
    ImageData,
)
from atelier.dialects import Dialect
from atelier.generation import DeliveredImage, Generation
from atelier.services import Services

router = APIRouter(prefix="/v1/images", tags=["images"])


def image_data(services: Services, image: DeliveredImage, response_format: str | None) -> ImageData:
    if response_format == "b64_json":
        return ImageData(image_id=image.stored.id, b64_json=image.b64)
    url = services.signer.url(image.stored.name, image.stored.expires)
    return ImageData(image_id=image.stored.id, url=url)


def generation_response(
    services: Services, generation: Generation, response_format: str | None
) -> GenerateResponse:
    return GenerateResponse(
        created=generation.created,
        credits=generation.credits,
        data=[image_data(services, image, response_format) for image in generation.images],
    )


@router.post(
    "/generations",
    response_model=None,
    responses={
        200: {"model": GenerateResponse, "description": "Recraft and DALL-E-format bodies"},
        201: {"model": AimlResponse, "description": "AI/ML API bodies (model recraft-v3)"},
    },
    openapi_extra={
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
                }
            },
        }
    },
)
async def generate(
    body: Annotated[dict[str, Any], Body()], user: UserDep, services: ServicesDep
) -> JSONResponse:
    """Text-to-image in any of the three dialects (see the README's dialect table)."""
    dialect, generation = await run_in_threadpool(services.dialects.generate, user.id, body)
    if dialect is Dialect.AIML:
        images = [
            AimlImage(
                url=services.signer.url(i.stored.name, i.stored.expires),
                content_type=i.encoded.media_type,
                file_name=i.stored.name,
                file_size=len(i.encoded.data),
            )
            for i in generation.images
        ]
        return JSONResponse(AimlResponse(images=images).model_dump(), status_code=201)
    # The dialect has validated the body, response_format included.
    response = generation_response(services, generation, body.get("response_format"))
    return JSONResponse(response.model_dump(exclude_none=True))
