"""The image tools (multipart, or JSON with image URLs): vectorize, removeBackground,
crispUpscale, creativeUpscale, the deprecated clarityUpscale and generativeUpscale, and
eraseRegion. Each answers {"created", "credits", "image": {...}}."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from pydantic import BaseModel

from atelier.api.deps import BillingDep, ServicesDep, UserDep, run_job
from atelier.api.forms import CheckedJsonRoute, Endpoint, multipart_post, read_request
from atelier.api.generations import image_data
from atelier.api.schemas import EraseRequest, ToolRequest, ToolResponse, VectorizeRequest
from atelier.inputs import ImageSource
from atelier.requests import Delivery
from atelier.services import Services
from atelier.tools.toolbox import ToolResult

router = APIRouter(
    prefix="/v1/images", tags=["tools"], dependencies=[BillingDep], route_class=CheckedJsonRoute
)


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
    request: Request,
    services: Services,
    run: Callable[[ImageSource, ToolRequest], ToolResult],
    model: type[ToolRequest] = ToolRequest,
) -> ToolResponse:
    form = await read_request(request)
    form.check_no_other_files("file", "image")
    params = form.parse(model)
    image = form.image(params.image_url, "image", "file")
    result = await run_job(request, services, "tools", run, image, params)
    return _response(services, result, params.response_format)


def _delivered(
    tool: Callable[[str, ImageSource, Delivery], ToolResult], user_id: str
) -> Callable[[ImageSource, ToolRequest], ToolResult]:
    """A tool of the toolbox, called with the request's delivery options."""
    return lambda image, params: tool(user_id, image, params.delivery())


@_post("/vectorize", VectorizeRequest, ("image",))
async def vectorize(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    def run(image: ImageSource, params: ToolRequest) -> ToolResult:
        assert isinstance(params, VectorizeRequest)
        return services.toolbox.vectorize(user.id, image, params.options(), params.delivery())

    return await _tool(request, services, run, VectorizeRequest)


@_post("/removeBackground", ToolRequest, ("image",))
async def remove_background(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    return await _tool(request, services, _delivered(services.toolbox.remove_background, user.id))


@_post("/crispUpscale", ToolRequest, ("image",))
async def crisp_upscale(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    return await _tool(request, services, _delivered(services.toolbox.crisp_upscale, user.id))


@_post("/creativeUpscale", ToolRequest, ("image",))
async def creative_upscale(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    return await _tool(request, services, _delivered(services.toolbox.creative_upscale, user.id))


@_post("/clarityUpscale", ToolRequest, ("image",))
async def clarity_upscale(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    """Deprecated by Recraft; runs the creative upscaler at its own price key."""
    return await _tool(
        request,
        services,
        lambda image, p: services.toolbox.creative_upscale(
            user.id, image, p.delivery(), "clarity_upscale"
        ),
    )


@_post("/generativeUpscale", ToolRequest, ("image",))
async def generative_upscale(
    request: Request, user: UserDep, services: ServicesDep
) -> ToolResponse:
    """Deprecated by Recraft; runs the creative upscaler at its own price key."""
    return await _tool(
        request,
        services,
        lambda image, p: services.toolbox.creative_upscale(
            user.id, image, p.delivery(), "generative_upscale"
        ),
    )


@_post("/eraseRegion", EraseRequest, ("image", "mask"))
async def erase_region(request: Request, user: UserDep, services: ServicesDep) -> ToolResponse:
    form = await read_request(request)
    form.check_no_other_files("image", "file", "mask")
    params = form.parse(EraseRequest)
    image = form.image(params.image_url, "image", "file")
    mask = form.optional_image(params.mask_url, "mask")
    result = await run_job(
        request,
        services,
        "tools",
        services.toolbox.erase_region,
        user.id,
        image,
        mask,
        params.delivery(),
    )
    return _response(services, result, params.response_format)
