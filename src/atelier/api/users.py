"""GET /v1/users/me."""

from __future__ import annotations

from fastapi import APIRouter

from atelier.api.deps import UserDep
from atelier.api.forms import CheckedJsonRoute
from atelier.api.schemas import UserOut

router = APIRouter(prefix="/v1/users", tags=["users"], route_class=CheckedJsonRoute)


@router.get("/me", response_model=UserOut)
async def me(user: UserDep) -> UserOut:
    return UserOut(id=user.id, credits=user.credits, email=user.email, name=user.name)
