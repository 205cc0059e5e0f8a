"""POST /v1/images/generations."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from atelier.api.deps import ServicesDep, UserDep
from atelier.api.schemas import GenerateRequest, GenerateResponse, ImageData
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


@router.post("/generations", response_model=GenerateResponse, response_model_exclude_none=True)
async def generate(body: GenerateRequest, user: UserDep, services: ServicesDep) -> GenerateResponse:
    generation = await run_in_threadpool(services.generator.generate, user.id, body)
    return generation_response(services, generation, body.response_format)
