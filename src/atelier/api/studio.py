"""The web studio: its static files at /studio/ (the root redirects there) and GET /v1/catalog,
the models, styles, sizes and prices it builds its controls from."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from atelier import catalog, offering
from atelier.api.deps import ServicesDep
from atelier.api.forms import CheckedJsonRoute

router = APIRouter(route_class=CheckedJsonRoute)


@router.get("/v1/catalog", tags=["system"])
async def get_catalog(services: ServicesDep) -> dict[str, Any]:
    """atelier's own: what this deployment serves, with its prices in effect (no token)."""
    engine = services.engine
    served = [m for m in catalog.MODEL_LIST if engine.serving_id(m) is not None]
    return offering.describe(served, services.prices, services.settings.max_upload_bytes)


@router.get("/", include_in_schema=False)
@router.get("/studio", include_in_schema=False)
async def to_studio() -> RedirectResponse:
    # The studio's files refer to each other relatively, so its address ends with a slash.
    return RedirectResponse("/studio/", status_code=307)


# Browsers ask every origin for /favicon.ico (for /docs, image URLs, ...): a small mark.
_FAVICON = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">'
    '<rect width="16" height="16" rx="3" fill="#1d4ed8"/>'
    '<circle cx="8" cy="8" r="4" fill="#fff"/></svg>'
)


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    return Response(
        _FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )


def static_files() -> StaticFiles:
    """The studio's HTML, CSS and JavaScript modules, shipped in the package (no build step)."""
    return StaticFiles(packages=[("atelier", "studio")], html=True)
