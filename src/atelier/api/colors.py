"""Palette optimisation: POST /v1/colors/optimize."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import ConfigDict, Field

from atelier.api.deps import BillingDep, ServicesDep, UserDep, run_job
from atelier.api.forms import CheckedJsonRoute
from atelier.api.schemas import Strict

router = APIRouter(
    prefix="/v1/colors", tags=["colors"], dependencies=[BillingDep], route_class=CheckedJsonRoute
)


class ColorHexAndWeight(Strict):
    hex: str
    weight: float | None = None


class OptimizeColorsRequest(Strict):
    colors: list[ColorHexAndWeight]
    num_colors_limit: int


class ColorMapping(Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    # `from` is a Python keyword: the field is named source and spelled "from" on the wire.
    source: str = Field(alias="from")
    to: str


class OptimizeColorsResponse(Strict):
    mapping: list[ColorMapping]
    credits: int


@router.post("/optimize", response_model=OptimizeColorsResponse)
async def optimize_colors(
    body: OptimizeColorsRequest, request: Request, user: UserDep, services: ServicesDep
) -> OptimizeColorsResponse:
    result = await run_job(
        request,
        services,
        "tools",
        services.palettes.optimize,
        user.id,
        [(c.hex, c.weight) for c in body.colors],
        body.num_colors_limit,
    )
    return OptimizeColorsResponse(
        mapping=[ColorMapping(source=a, to=b) for a, b in result.mapping],
        credits=result.credits,
    )
