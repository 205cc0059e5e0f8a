"""OpenAI's own image routes, so that client.images.edit / create_variation work:
POST /v1/images/edits and POST /v1/images/variations."""

from __future__ import annotations

from fastapi import APIRouter, Request

from atelier.api.deps import ServicesDep, UserDep, run_job
from atelier.api.forms import CheckedJsonRoute, multipart_post, read_form
from atelier.api.generations import generation_response
from atelier.api.schemas import (
    GenerateResponse,
    OpenAIEditRequest,
    OpenAIVariationRequest,
    VariateRequest,
)
from atelier.inputs import ImageSource

router = APIRouter(prefix="/v1/images", tags=["openai"], route_class=CheckedJsonRoute)


@multipart_post(router, "/edits", GenerateResponse, OpenAIEditRequest, ("image", "mask"))
async def edit(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    form = await read_form(request)
    form.check_no_other_files("image", "image[]", "mask")
    params = form.parse(OpenAIEditRequest)
    image = ImageSource("image", data=form.file("image", "image[]"))
    mask_data = form.optional_file("mask")
    mask = None if mask_data is None else ImageSource("mask", data=mask_data)
    generation = await run_job(
        request,
        services,
        "engine",
        services.editor.openai_edit,
        user.id,
        params.to_domain(),
        image,
        mask,
    )
    return generation_response(services, generation, params.response_format)


@multipart_post(router, "/variations", GenerateResponse, OpenAIVariationRequest, ("image",))
async def variations(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    form = await read_form(request)
    form.check_no_other_files("image")
    params = form.parse(OpenAIVariationRequest)
    variate = VariateRequest(
        size=params.size or "1024x1024",
        n=params.n,
        response_format=params.response_format,
        model=params.model,
    )
    image = ImageSource("image", data=form.file("image"))
    generation = await run_job(
        request, services, "engine", services.editor.variate, user.id, variate.to_domain(), image
    )
    return generation_response(services, generation, params.response_format)
