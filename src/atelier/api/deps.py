"""Request dependencies: the app's services and the authenticated user."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from atelier.accounting.accounts import User
from atelier.errors import Unauthorized
from atelier.jobs import Pool
from atelier.services import Services

T = TypeVar("T")

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer <API token>")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def current_user(
    request: Request,
    services: Annotated[Services, Depends(get_services)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    known: User | None = getattr(request.state, "user", None)
    if known is not None:  # authenticated before its body was read (forms.CheckedJsonRoute)
        return known
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthorized("send your API token as 'Authorization: Bearer <token>'")
    user = await run_in_threadpool(services.accounts.authenticate, credentials.credentials)
    request.state.user = user  # the owner of the jobs this request runs (run_job)
    return user


async def authenticate(request: Request) -> User:
    """``current_user`` for a request whose dependencies have not run yet."""
    credentials = await _bearer(request)
    return await current_user(request, get_services(request), credentials)


async def run_job(
    request: Request,
    services: Services,
    pool: Pool,
    work: Callable[..., T],
    *args: Any,
    **kwargs: Any,
) -> T:
    """``work(*args, **kwargs)`` in one of the bounded job pools for the request's user;
    cancelled if the client goes away."""
    job = functools.partial(work, *args, **kwargs)
    owner: User = request.state.user  # every route that runs jobs authenticates first
    return await services.jobs.run(pool, job, request.is_disconnected, owner=owner.id)


ServicesDep = Annotated[Services, Depends(get_services)]
UserDep = Annotated[User, Depends(current_user)]


def check_billing(billing: Literal["api", "subscription"] | None = None) -> None:
    """Recraft's ``?billing=api|subscription``: accepted on paid endpoints; atelier bills every
    request to the caller's credits either way."""


BillingDep = Depends(check_billing)
