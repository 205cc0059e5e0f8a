"""Prompt enhancement: POST /v1/prompts/enhance."""

from __future__ import annotations

from fastapi import APIRouter, Request

from atelier.api.deps import BillingDep, ServicesDep, UserDep, run_job
from atelier.api.forms import CheckedJsonRoute
from atelier.api.schemas import Strict

router = APIRouter(
    prefix="/v1/prompts", tags=["prompt"], dependencies=[BillingDep], route_class=CheckedJsonRoute
)


class EnhancePromptRequest(Strict):
    prompt: str


class EnhancePromptResponse(Strict):
    enhanced_prompt: str
    credits: int


@router.post("/enhance", response_model=EnhancePromptResponse)
async def enhance_prompt(
    body: EnhancePromptRequest, request: Request, user: UserDep, services: ServicesDep
) -> EnhancePromptResponse:
    # A thread: the LLM backend blocks on its upstream for up to its timeout.
    result = await run_job(
        request, services, "tools", services.prompts.enhance, user.id, body.prompt
    )
    return EnhancePromptResponse(enhanced_prompt=result.prompt, credits=result.credits)
