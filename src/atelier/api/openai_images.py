"""OpenAI's own image routes, so that client.images.edit / create_variation work:
POST /v1/images/edits (mask -> inpaint, else imageToImage), POST /v1/images/variations."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool

from atelier.api.deps import ServicesDep, UserDep
from atelier.api.forms import multipart_openapi, read_form
from atelier.api.generations import generation_response
from atelier.api.schemas import (
    GenerateResponse,
    OpenAIEditRequest,
    OpenAIVariationRequest,
    VariateRequest,
)
from atelier.editing import openai_mask
from atelier.generation import parse_size

router = APIRouter(prefix="/v1/images", tags=["openai"])


@router.post(
    "/edits",
    response_model=GenerateResponse,
    response_model_exclude_none=True,
    openapi_extra=multipart_openapi(OpenAIEditRequest, ("image", "mask")),
)
async def edit(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    form = await read_form(request)
    form.check_no_other_files("image", "image[]", "mask")
    params = form.parse(OpenAIEditRequest)
    image = form.file("image", "image[]")
    mask = form.optional_file("mask")
    size = None if params.size is None else parse_size(params.size)
    if mask is None:
        generation = await run_in_threadpool(
            services.editor.edit, user.id, "imageToImage", params, image, None, size
        )
    else:
        recraft_mask = await run_in_threadpool(openai_mask, mask)
        generation = await run_in_threadpool(
            services.editor.edit, user.id, "inpaint", params, image, recraft_mask, size
        )
    return generation_response(services, generation, params.response_format)


@router.post(
    "/variations",
    response_model=GenerateResponse,
    response_model_exclude_none=True,
    openapi_extra=multipart_openapi(OpenAIVariationRequest, ("image",)),
)
async def variations(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    form = await read_form(request)
    form.check_no_other_files("image")
    params = form.parse(OpenAIVariationRequest)
    variate = VariateRequest(
        size=params.size or "1024x1024", n=params.n, response_format=params.response_format
    )
    generation = await run_in_threadpool(
        services.editor.variate, user.id, variate, form.file("image")
    )
    return generation_response(services, generation, params.response_format)
