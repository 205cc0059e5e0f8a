"""The generative edits (multipart): imageToImage, inpaint, replaceBackground,
generateBackground, variateImage."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from atelier.api.deps import ServicesDep, UserDep
from atelier.api.forms import Endpoint, multipart_post, read_form
from atelier.api.generations import generation_response
from atelier.api.schemas import (
    GenerateResponse,
    GenerationParams,
    ImageToImageRequest,
    VariateRequest,
)

router = APIRouter(prefix="/v1/images", tags=["edits"])


def _post(
    path: str, params: type[BaseModel], files: tuple[str, ...]
) -> Callable[[Endpoint], Endpoint]:
    return multipart_post(router, path, GenerateResponse, params, files)


async def _edit(
    request: Request,
    user: UserDep,
    services: ServicesDep,
    endpoint: str,
    model: type[GenerationParams],
) -> GenerateResponse:
    form = await read_form(request)
    form.check_no_other_files("image", "file", "mask")
    params = form.parse(model)
    image = form.file("image", "file")
    generation = await run_in_threadpool(
        services.editor.edit, user.id, endpoint, params, image, form.optional_file("mask")
    )
    return generation_response(services, generation, params.response_format)


@_post("/imageToImage", ImageToImageRequest, ("image",))
async def image_to_image(
    request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    return await _edit(request, user, services, "imageToImage", ImageToImageRequest)


@_post("/inpaint", GenerationParams, ("image", "mask"))
async def inpaint(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    return await _edit(request, user, services, "inpaint", GenerationParams)


@_post("/replaceBackground", GenerationParams, ("image",))
async def replace_background(
    request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    return await _edit(request, user, services, "replaceBackground", GenerationParams)


@_post("/generateBackground", GenerationParams, ("image", "mask"))
async def generate_background(
    request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    return await _edit(request, user, services, "generateBackground", GenerationParams)


@_post("/variateImage", VariateRequest, ("image",))
async def variate_image(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    form = await read_form(request)
    form.check_no_other_files("image", "file")
    params = form.parse(VariateRequest)
    image = form.file("image", "file")
    generation = await run_in_threadpool(services.editor.variate, user.id, params, image)
    return generation_response(services, generation, params.response_format)
