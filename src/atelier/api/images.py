"""GET /images/{name}: the public, signed, expiring image links."""

from __future__ import annotations

import time

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from atelier.api.deps import ServicesDep
from atelier.api.forms import CheckedJsonRoute

router = APIRouter(tags=["images"], route_class=CheckedJsonRoute)


@router.get("/images/{name}", response_class=Response)
async def serve_image(
    name: str, services: ServicesDep, expires: int | None = None, signature: str | None = None
) -> Response:
    now = time.time()
    expiry = services.signer.verify(name, expires, signature, now)
    seconds = max(0, int(expiry - now))
    if services.settings.storage_redirect:
        url = await run_in_threadpool(services.store.presigned_url, name, min(seconds, 3600))
        if url is not None:
            return RedirectResponse(url, status_code=307)
    image = await run_in_threadpool(services.store.read, name)  # the store may be S3: I/O
    return Response(
        image.data,
        media_type=image.media_type,
        headers={"Cache-Control": f"public, max-age={seconds}, immutable"},
    )
