"""The image tools (multipart): vectorize, removeBackground, crispUpscale, creativeUpscale,
eraseRegion. Each answers {"created", "credits", "image": {...}}."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from atelier.api.deps import ServicesDep, UserDep
from atelier.api.forms import Endpoint, multipart_post, read_form
from atelier.api.generations import image_data
from atelier.api.schemas import ToolRequest, ToolResponse, VectorizeRequest
from atelier.services import Services
from atelier.tools import ToolResult

router = APIRouter(prefix="/v1/images", tags=["tools"])


def _post(
    path: str, params: type[BaseModel], files: tuple[str, ...]
) -> Callable[[Endpoint], Endpoint]:
    return multipart_post(router, path, ToolResponse, params, files)


def _response(services: Services, result: ToolResult, response_format: str | None) -> ToolResponse:
    return ToolResponse(
        created=result.created,
        credits=result.credits,
        image=image_data(services, result.image, response_format),
    )


async def _tool(
    request: Request, user: UserDep, services: ServicesDep, run: Callable[..., ToolResult]
) -> ToolResponse:
    form = await read_form(request)
    form.check_no_other_files("file", "image")
    params = form.parse(ToolRequest)
    result = await run_in_threadpool(run, user.id, form.file("file", "image"))
    return _response(services, result, params.response_format)


@_post("/vectorize", VectorizeRequest, ("file",))
async def vectorize(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    form = await read_form(request)
    form.check_no_other_files("file", "image")
    params = form.parse(VectorizeRequest)
    result = await run_in_threadpool(
        services.toolbox.vectorize, user.id, form.file("file", "image"), params
    )
    return _response(services, result, params.response_format)


@_post("/removeBackground", ToolRequest, ("file",))
async def remove_background(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    return await _tool(request, user, services, services.toolbox.remove_background)


@_post("/crispUpscale", ToolRequest, ("file",))
async def crisp_upscale(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    return await _tool(request, user, services, services.toolbox.crisp_upscale)


@_post("/creativeUpscale", ToolRequest, ("file",))
async def creative_upscale(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    return await _tool(request, user, services, services.toolbox.creative_upscale)


@_post("/eraseRegion", ToolRequest, ("image", "mask"))
async def erase_region(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    form = await read_form(request)
    form.check_no_other_files("image", "file", "mask")
    params = form.parse(ToolRequest)
    result = await run_in_threadpool(
        services.toolbox.erase_region,
        user.id,
        form.file("image", "file"),
        form.optional_file("mask"),
    )
    return _response(services, result, params.response_format)
