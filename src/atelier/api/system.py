"""Health and model listing: GET /healthz, GET /v1/models."""

from __future__ import annotations

from fastapi import APIRouter

from atelier import catalog
from atelier.api.deps import ServicesDep

router = APIRouter(tags=["system"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/v1/models")
async def list_models(services: ServicesDep) -> dict[str, object]:
    engine = services.generator.engine
    stats = engine.stats()  # one reading for every row
    return {
        "object": "list",
        "data": [
            {
                "id": model_id,
                "object": "model",
                "owned_by": "atelier",
                "description": description,
                "engine": engine.name,
                "engine_description": engine.description,
                "engine_stats": stats,
            }
            for model_id, description in catalog.LISTED_MODELS.items()
        ],
    }
