"""GET /images/{name}: the public, signed, expiring image links."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.responses import FileResponse

from atelier.api.deps import ServicesDep
from atelier.api.forms import CheckedJsonRoute

router = APIRouter(tags=["images"], route_class=CheckedJsonRoute)


@router.get("/images/{name}", response_class=FileResponse)
async def serve_image(
    name: str, services: ServicesDep, expires: int | None = None, signature: str | None = None
) -> FileResponse:
    now = time.time()
    expiry = services.signer.verify(name, expires, signature, now)
    image = services.store.open(name)
    return FileResponse(
        image.path,
        media_type=image.media_type,
        headers={"Cache-Control": f"public, max-age={max(0, int(expiry - now))}, immutable"},
    )
