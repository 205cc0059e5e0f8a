"""create_app: wires settings, services, routers, middleware and error handlers together."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from collections.abc import AsyncIterator

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from atelier import __version__
from atelier.api import (
    colors,
    edits,
    generations,
    images,
    openai_images,
    prompts,
    studio,
    styles,
    system,
    tools,
    users,
)
from atelier.api.body_limit import BodySizeLimit
from atelier.api.connections import HeaderTimeoutProtocol
from atelier.api.errors import register_error_handlers
from atelier.api.idempotency import Idempotency
from atelier.api.observability import Observability
from atelier.api.openapi_doc import complete_openapi
from atelier.config import Settings
from atelier.errors import Conflict
from atelier.services import Services, build_services
from atelier.storage.files import write_private

log = logging.getLogger("atelier")


def bootstrap_local_user(services: Services) -> str | None:
    """On a fresh data dir, create the local user and save its token; returns the token."""
    settings = services.settings
    if not settings.bootstrap_email or services.db.query_one("SELECT 1 FROM users LIMIT 1"):
        return None
    try:
        user = services.accounts.create_user(
            settings.bootstrap_email, "Local user", settings.bootstrap_credits
        )
    except Conflict:  # a CLI call created it at the same moment
        return None
    token = services.accounts.create_token(user.id)
    path = settings.local_token_path
    write_private(path, (token + "\n").encode())
    return token


def sweep_once(services: Services) -> bool:
    """Expired images, idempotency keys and rate-limit events, and holds whose process died;
    done by one server process at a time (a lease in the database). Returns whether this one
    did it."""
    interval = services.settings.sweep_interval_seconds
    if not services.db.take_lease("sweep", services.ledger.owner, 2 * interval):
        return False
    services.store.sweep()
    services.idempotency.sweep()
    services.rate_limiter.sweep()
    released = services.ledger.release_abandoned()
    if released:
        log.warning("released %d credit holds whose server stopped renewing them", released)
    return True


async def _sweep_forever(services: Services) -> None:
    while True:
        await asyncio.sleep(services.settings.sweep_interval_seconds)
        try:
            await run_in_threadpool(sweep_once, services)
        except Exception:  # the sweep must outlive a bad moment (disk, lock); log and go on
            log.exception("sweep failed")


async def _renew_leases_forever(services: Services) -> None:
    """Tell the other processes on the database that this one's holds are alive."""
    while True:
        await asyncio.sleep(services.ledger.lease_seconds / 3)
        try:
            await run_in_threadpool(services.ledger.renew_leases)
        except Exception:  # a busy database now and then; the next round renews
            log.exception("renewing credit-hold leases failed")


# `atelier serve --workers N` hands each worker process the settings it was given this way.
SETTINGS_VARIABLE = "ATELIER_SETTINGS_JSON"


def http_protocol(settings: Settings) -> str:
    """uvicorn's ``http`` for this process: its protocol, with the settings' header limit."""
    HeaderTimeoutProtocol.header_timeout_seconds = settings.header_timeout_seconds
    return "atelier.api.connections:HeaderTimeoutProtocol"


def app_from_environment() -> FastAPI:
    """The app of one worker process of `atelier serve --workers N` (a uvicorn factory)."""
    settings = Settings(**json.loads(os.environ[SETTINGS_VARIABLE]))
    http_protocol(settings)  # the worker's own class: the supervisor's setting is not inherited
    return create_app(settings)


def create_app(settings: Settings) -> FastAPI:
    services = build_services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        released = services.ledger.release_abandoned()
        if released:
            log.warning("released %d credit holds left by a process that died", released)
        token = bootstrap_local_user(services)
        if token:
            print(
                f"Created local user {settings.bootstrap_email}; API token (also in "
                f"{settings.local_token_path}):\n  {token}",
                flush=True,
            )
        background = [
            asyncio.create_task(_sweep_forever(services)),
            asyncio.create_task(_renew_leases_forever(services)),
        ]
        yield
        for task in background:
            task.cancel()
        services.jobs.shutdown()
        # Past the shutdown grace period uvicorn cancelled what was still running; its jobs'
        # threads cannot be stopped, and the process may exit before they end.
        released = services.ledger.release_open()
        if released:
            log.warning("released %d credit holds of jobs cut off by the shutdown", released)

    app = FastAPI(
        title="atelier",
        version=__version__,
        description="A self-hosted server of the Recraft image API.",
        lifespan=lifespan,
    )
    app.state.services = services
    app.openapi = lambda: complete_openapi(app)  # type: ignore[method-assign]
    register_error_handlers(app)
    for module in (
        generations,
        edits,
        tools,
        openai_images,
        styles,
        users,
        images,
        system,
        prompts,
        colors,
        studio,
    ):
        app.include_router(module.router)
    app.mount("/studio/", studio.static_files(), name="studio")
    # Middleware added last runs first: the size cap sees a body before idempotency reads it.
    app.add_middleware(Idempotency, services=services)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        max_json_bytes=settings.max_json_bytes,
        timeout_seconds=settings.body_timeout_seconds,
    )
    app.add_middleware(Observability, metrics=services.metrics)  # outermost: sees every answer
    return app
