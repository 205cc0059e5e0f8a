"""The generative edits (multipart, or JSON with image URLs): imageToImage, inpaint,
replaceBackground, generateBackground, outpaint, variateImage."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel

from atelier.api.deps import BillingDep, ServicesDep, UserDep, run_job
from atelier.api.forms import CheckedJsonRoute, Endpoint, multipart_post, read_request
from atelier.api.generations import generation_response
from atelier.api.schemas import (
    GenerateResponse,
    ImageToImageRequest,
    MaskedTransformRequest,
    OutpaintRequest,
    TransformRequest,
    VariateRequest,
)
from atelier.inputs import ImageSource

P = TypeVar("P", bound=BaseModel)
router = APIRouter(
    prefix="/v1/images", tags=["edits"], dependencies=[BillingDep], route_class=CheckedJsonRoute
)


def _post(
    path: str, params: type[BaseModel], files: tuple[str, ...]
) -> Callable[[Endpoint], Endpoint]:
    return multipart_post(router, path, GenerateResponse, params, files)


async def _edit(
    request: Request,
    user: UserDep,
    services: ServicesDep,
    endpoint: str,
    model: type[TransformRequest],
) -> GenerateResponse:
    form = await read_request(request)
    form.check_no_other_files("image", "file", "mask")
    params = form.parse(model)
    image = form.image(params.image_url, "image", "file")
    mask_url = params.mask_url if isinstance(params, MaskedTransformRequest) else None
    mask = form.optional_image(mask_url, "mask")
    generation = await run_job(
        request,
        services,
        "engine",
        services.editor.edit,
        user.id,
        endpoint,
        params.to_domain(),
        image,
        mask,
    )
    return generation_response(services, generation, params.response_format)


@_post("/imageToImage", ImageToImageRequest, ("image",))
async def image_to_image(
    request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    return await _edit(request, user, services, "imageToImage", ImageToImageRequest)


@_post("/inpaint", MaskedTransformRequest, ("image", "mask"))
async def inpaint(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    return await _edit(request, user, services, "inpaint", MaskedTransformRequest)


@_post("/replaceBackground", TransformRequest, ("image",))
async def replace_background(
    request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    return await _edit(request, user, services, "replaceBackground", TransformRequest)


@_post("/generateBackground", MaskedTransformRequest, ("image", "mask"))
async def generate_background(
    request: Request, user: UserDep, services: ServicesDep
) -> GenerateResponse:
    return await _edit(request, user, services, "generateBackground", MaskedTransformRequest)


async def _one_image(request: Request, model: type[P]) -> tuple[P, ImageSource]:
    """The fields as ``model`` and the one input image (file part or image_url)."""
    form = await read_request(request)
    form.check_no_other_files("image", "file")
    params = form.parse(model)
    return params, form.image(getattr(params, "image_url", None), "image", "file")


@_post("/outpaint", OutpaintRequest, ("image",))
async def outpaint(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    params, image = await _one_image(request, OutpaintRequest)
    generation = await run_job(
        request, services, "engine", services.editor.outpaint, user.id, params.outpaint(), image
    )
    return generation_response(services, generation, params.response_format)


@_post("/variateImage", VariateRequest, ("image",))
async def variate_image(request: Request, user: UserDep, services: ServicesDep) -> GenerateResponse:
    params, image = await _one_image(request, VariateRequest)
    generation = await run_job(
        request, services, "engine", services.editor.variate, user.id, params.to_domain(), image
    )
    return generation_response(services, generation, params.response_format)
