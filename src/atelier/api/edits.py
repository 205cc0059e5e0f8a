"""The generative edits (multipart): imageToImage, inpaint, replaceBackground,
generateBackground, variateImage."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from atelier.api.deps import ServicesDep, UserDep
from atelier.api.forms import multipart_openapi, read_form
from atelier.api.generations import generation_response
from atelier.api.schemas import (
    GenerateResponse,
    GenerationParams,
    ImageToImageRequest,
    VariateRequest,
)

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
router = APIRouter(prefix="/v1/images", tags=["edits"])


def _post(
    path: str, model: type[BaseModel], files: tuple[str, ...]
) -> Callable[[Endpoint], Endpoint]:
    return router.post(
        path,
        response_model=GenerateResponse,
        response_model_exclude_none=True,
        openapi_extra=multipart_openapi(model, files),
    )


async def _edit(
    request: Request,
    user: UserDep,
    services: ServicesDep,
    endpoint: str,
    model: type[GenerationParams],
    with_mask: bool,
) -> GenerateResponse:
    form = await read_form(request)
    form.check_no_other_files("image", "file", "mask")
    params = form.parse(model)
    image = form.file("image", "file")
    mask = form.optional_file("mask") if with_mask else None
    generation = await run_in_threadpool(
        services.editor.edit, user.id, endpoint, params, image, mask
    )
    return generation_response(services, generation, params.response_format)


@_post("/imageToImage", ImageToImageRequest, ("image",))
async def image_to_image(
    request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    return await _edit(request, user, services, "imageToImage", ImageToImageRequest, False)


@_post("/inpaint", GenerationParams, ("image", "mask"))
async def inpaint(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    return await _edit(request, user, services, "inpaint", GenerationParams, True)


@_post("/replaceBackground", GenerationParams, ("image",))
async def replace_background(
    request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    return await _edit(request, user, services, "replaceBackground", GenerationParams, False)


@_post("/generateBackground", GenerationParams, ("image", "mask"))
async def generate_background(
    request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    return await _edit(request, user, services, "generateBackground", GenerationParams, True)


@_post("/variateImage", VariateRequest, ("image",))
async def variate_image(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    form = await read_form(request)
    form.check_no_other_files("image", "file")
    params = form.parse(VariateRequest)
    image = form.file("image", "file")
    generation = await run_in_threadpool(services.editor.variate, user.id, params, image)
    return generation_response(services, generation, params.response_format)
