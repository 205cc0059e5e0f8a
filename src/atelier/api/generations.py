"""POST /v1/images/generations."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from atelier.api.deps import ServicesDep, UserDep
from atelier.api.schemas import GenerateRequest, GenerateResponse, ImageData
from atelier.generation import Generation
from atelier.services import Services

router = APIRouter(prefix="/v1/images", tags=["images"])


def image_data(services: Services, generation: Generation, response_format: str) -> list[ImageData]:
    if response_format == "b64_json":
        return [ImageData(image_id=i.stored.id, b64_json=i.b64) for i in generation.images]
    return [
        ImageData(image_id=i.stored.id, url=services.signer.url(i.stored.name, i.stored.expires))
        for i in generation.images
    ]


@router.post("/generations", response_model=GenerateResponse, response_model_exclude_none=True)
async def generate(body: GenerateRequest, user: UserDep, services: ServicesDep) -> GenerateResponse:
    generation = await run_in_threadpool(services.generator.generate, user.id, body)
    return GenerateResponse(
        created=generation.created,
        credits=generation.credits,
        data=image_data(services, generation, body.response_format or "url"),
    )
