"""Health, metrics and model listing: GET /healthz, /status, /ping, /metrics, /v1/models."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from atelier import catalog
from atelier.api.deps import ServicesDep
from atelier.api.forms import CheckedJsonRoute

router = APIRouter(tags=["system"], route_class=CheckedJsonRoute)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/status")
async def status() -> dict[str, bool]:
    # Recraft's SystemStatus. An engine whose weights do not load stops the server at start,
    # so a server that answers can generate.
    return {"service": True, "generation": True}


@router.get("/ping")
async def ping() -> dict[str, str]:
    return {}


@router.get("/metrics", include_in_schema=False)
async def metrics(services: ServicesDep) -> Response:
    """Prometheus metrics (text exposition format); see atelier.metrics."""
    return Response(generate_latest(services.metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/v1/models")
async def list_models(services: ServicesDep) -> dict[str, object]:
    """Recraft's ListModels shape (id, name, created, description, modalities, pricing in USD
    per image) for every model this deployment's engine serves, plus the engine's fields."""
    engine = services.engine
    stats = engine.stats()  # one reading for every row
    prices = services.prices
    candidates = (*catalog.MODEL_LIST, *catalog.OPERATOR_MODELS.values())
    served = [m for m in candidates if engine.serving_id(m) is not None]
    rows = [
        {
            "id": model.id,
            "name": model.name,
            "created": catalog.RELEASED[model.price_family],
            "description": f"{model.name}: {_output_words[model.output]}"
            + (" (deprecated)" if model.deprecated else ""),
            "input_modalities": ["text", "image"],
            "output_modalities": ["image"],
            "pricing": {"image": _usd(prices.generation(model, _vector(model)))},
        }
        for model in served
    ]
    if engine.serving_id(catalog.MODELS["recraftv3"]) is not None:
        v3 = next(row for row in rows if row["id"] == "recraftv3")
        rows += [
            {**v3, "id": model_id, "name": model_id, "description": description}
            for model_id, description in catalog.DIALECT_MODELS.items()
        ]
    for row in rows:
        row.update(
            object="model",
            owned_by="atelier",
            engine=engine.name,
            engine_description=engine.description,
            engine_stats=stats,
        )
    return {"object": "list", "data": rows}


_output_words = {
    "any": "raster or vector images, as the style says",
    "raster": "raster images",
    "vector": "vector (SVG) images",
}


def _vector(model: catalog.Model) -> bool:
    return model.output == "vector"


def _usd(units: int) -> str:
    """API units as Recraft bills them (1,000 units = USD 1), in dollars."""
    return f"{units / 1000:.3f}".rstrip("0").rstrip(".") if units else "0"
