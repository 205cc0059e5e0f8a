"""Custom styles: POST/GET/DELETE /v1/styles."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from atelier.api.deps import ServicesDep, UserDep
from atelier.api.forms import require_form
from atelier.api.schemas import Color, StyleCreated, StyleList, StyleOut
from atelier.catalog import CUSTOM_STYLE_BASES
from atelier.errors import InvalidRequest
from atelier.styles import MAX_REFERENCE_IMAGES, Style

router = APIRouter(prefix="/v1/styles", tags=["styles"])


def _out(style: Style) -> StyleOut:
    return StyleOut(
        id=style.id,
        style=style.style,
        colors=[Color(rgb=list(c)) for c in style.palette],
        images=style.images,
        created=style.created,
    )


@router.post(
    "",
    response_model=StyleCreated,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["style"],
                        "properties": {
                            "style": {"type": "string", "enum": list(CUSTOM_STYLE_BASES)},
                            "file": {"type": "string", "format": "binary"},
                        },
                        "description": "style plus 1-5 image files under any field names",
                    }
                }
            }
        }
    },
)
async def create_style(request: Request, user: UserDep, services: ServicesDep) -> StyleCreated:
    require_form(request, "the style and its images")
    async with request.form(max_files=MAX_REFERENCE_IMAGES + 1, max_fields=32) as form:
        style = form.get("style")
        files = [value for _, value in form.multi_items() if isinstance(value, UploadFile)]
        if len(files) > MAX_REFERENCE_IMAGES:
            raise InvalidRequest(f"upload at most {MAX_REFERENCE_IMAGES} images", "files")
        contents = [await f.read() for f in files]
    created = await run_in_threadpool(
        services.styles.create, user.id, style if isinstance(style, str) else None, contents
    )
    return StyleCreated(id=created.id)


@router.get("", response_model=StyleList)
async def list_styles(user: UserDep, services: ServicesDep) -> StyleList:
    styles = await run_in_threadpool(services.styles.list, user.id)
    return StyleList(styles=[_out(s) for s in styles])


@router.get("/{style_id}", response_model=StyleOut)
async def get_style(style_id: str, user: UserDep, services: ServicesDep) -> StyleOut:
    return _out(await run_in_threadpool(services.styles.get, user.id, style_id))


@router.delete("/{style_id}", response_model=StyleCreated)
async def delete_style(style_id: str, user: UserDep, services: ServicesDep) -> StyleCreated:
    await run_in_threadpool(services.styles.delete, user.id, style_id)
    return StyleCreated(id=style_id)
