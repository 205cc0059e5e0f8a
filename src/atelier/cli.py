"""The `atelier` command: serve, and admin of users, tokens and credits (JSON on stdout)."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from atelier.accounting.accounts import Accounts
from atelier.accounting.ledger import Ledger, usage
from atelier.config import Settings
from atelier.database import Database
from atelier.errors import AtelierError
from atelier.migrations import SchemaMismatch, ensure_current
from atelier.storage.blobs import open_blob_store
from atelier.storage.images import ImageStore


def _emit(payload: object) -> None:
    click.echo(json.dumps(payload))


def _fail(code: str, message: str) -> None:
    click.echo(json.dumps({"code": code, "message": message}), err=True)
    sys.exit(1)


def _settings(**overrides: Any) -> Settings:
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        _fail("invalid_settings", str(exc))
        raise  # unreachable; keeps type checkers content


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="ATELIER_DATA_DIR",
    help="Data directory (env ATELIER_DATA_DIR; default ./var)",
)
engine_option = click.option(
    "--engine",
    envvar="ATELIER_ENGINE",
    help="Generation engine: preview, diffusers or module:Class",
)


def _database(settings: Settings, migrate: bool = False) -> Database:
    """The configured database, its schema checked (an empty one is created)."""
    db = Database(settings.database)
    try:
        ensure_current(db, migrate=migrate)
    except SchemaMismatch as exc:
        _fail("schema_outdated", str(exc))
    return db


def admin_command(func: Callable[..., object]) -> Callable[..., None]:
    """Adds --data-dir, opens the database, prints the result as JSON, errors to stderr."""

    @data_dir_option
    @functools.wraps(func)
    def wrapper(data_dir: Path | None, **kwargs: Any) -> None:
        settings = _settings(data_dir=data_dir)
        db = _database(settings)
        try:
            _emit(func(Accounts(db), Ledger(db), **kwargs))
        except AtelierError as exc:
            _fail(exc.code, exc.message)

    return wrapper


@click.group()
def main() -> None:
    """atelier: a self-hosted server of the Recraft image API."""


@main.command()
@data_dir_option
@click.option("--host", envvar="ATELIER_HOST", help="Interface to listen on (127.0.0.1)")
@click.option("--port", type=int, envvar="ATELIER_PORT", help="Port to listen on (8000)")
@click.option("--public-url", envvar="ATELIER_PUBLIC_URL", help="Base of image URLs")
@engine_option
@click.option(
    "--workers", type=int, envvar="ATELIER_WORKERS", help="Server processes on one port (1)"
)
@click.option("--migrate", is_flag=True, help="Upgrade the database's schema first if it is older")
@click.option(
    "--ray",
    "ray_address",
    envvar="ATELIER_RAY_ADDRESS",
    help="Run engines and tools on this Ray cluster's Serve (local: start one here)",
)
@click.option("--log-level", default="info", show_default=True)
def serve(
    data_dir: Path | None,
    host: str | None,
    port: int | None,
    public_url: str | None,
    engine: str | None,
    workers: int | None,
    migrate: bool,
    ray_address: str | None,
    log_level: str,
) -> None:
    """Start the HTTP server."""
    import uvicorn

    from atelier.app import SETTINGS_VARIABLE, create_app, http_protocol
    from atelier.logs import log_config

    settings = _settings(
        data_dir=data_dir, host=host, port=port, public_url=public_url, engine=engine,
        workers=workers, ray_address=ray_address,
    )  # fmt: skip
    if migrate:
        _database(settings, migrate=True).close()
    try:
        # Built here even with several workers: bad settings, engines or an old schema stop
        # `serve` at once with a clear message, not each worker in a restart loop.
        app = create_app(settings)
    except AtelierError as exc:
        _fail(exc.code, exc.message)
    except LookupError as exc:  # unknown engine name, or its packages missing
        _fail("invalid_settings", str(exc))
    except SchemaMismatch as exc:
        _fail("schema_outdated", str(exc))
    target: Any = app
    if settings.workers > 1:
        # Each worker builds its own app (uvicorn's factory) from the same settings; this
        # process only supervises them, so the app checked above is let go.
        del app
        target = "atelier.app:app_from_environment"
        if settings.ray_address == "local":
            # The workers join the Ray instance this process started, not one each.
            from atelier.ray_serve.clients import cluster_address

            settings = settings.model_copy(update={"ray_address": cluster_address()})
        os.environ[SETTINGS_VARIABLE] = settings.model_dump_json()
    uvicorn.run(
        target,
        factory=settings.workers > 1,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        http=http_protocol(settings),
        log_config=log_config(log_level, settings.log_format),
        timeout_keep_alive=int(settings.keep_alive_seconds),
        # SIGTERM: stop accepting, give in-flight requests this long; what is still running
        # then is cancelled and its credit hold released.
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )


@main.command()
@data_dir_option
@engine_option
def models(data_dir: Path | None, engine: str | None) -> None:
    """List the models the configured engine serves and whether their weights load."""
    from atelier.engines.registry import engine_class

    settings = _settings(data_dir=data_dir, engine=engine)
    try:
        report = engine_class(settings.engine).check_models(settings)
    except LookupError as exc:
        _fail("invalid_settings", str(exc))
    _emit(report)
    if not all(row.get("loads") for row in report):
        sys.exit(1)


@main.group()
def users() -> None:
    """Manage users."""


@users.command("create")
@click.option("--email", required=True)
@click.option("--name")
@click.option("--credits", type=int, default=0, show_default=True)
@admin_command
def users_create(
    accounts: Accounts, ledger: Ledger, email: str, name: str | None, credits: int
) -> dict[str, object]:
    """Create a user and its first API token."""
    user = accounts.create_user(email, name, credits)
    return {**user.to_dict(), "token": accounts.create_token(user.id)}


@main.group()
def tokens() -> None:
    """Manage API tokens."""


@tokens.command("create")
@click.option("--email", required=True)
@admin_command
def tokens_create(accounts: Accounts, ledger: Ledger, email: str) -> dict[str, object]:
    """Another token for an existing user (same balance)."""
    return {"token": accounts.create_token(accounts.by_email(email).id)}


@tokens.command("revoke")
@click.option("--token", required=True)
@admin_command
def tokens_revoke(accounts: Accounts, ledger: Ledger, token: str) -> dict[str, object]:
    """Revoke a token; requests with it get 401 from now on."""
    accounts.revoke_token(token)
    return {"revoked": True}


@main.group()
def credits() -> None:
    """Manage credit balances."""


@credits.command("add")
@click.option("--email", required=True)
@click.option("--amount", type=int, required=True)
@admin_command
def credits_add(accounts: Accounts, ledger: Ledger, email: str, amount: int) -> dict[str, object]:
    """Add units to a user's balance."""
    return {"credits": ledger.add_credits(accounts.by_email(email).id, amount)}


@credits.command("usage")
@click.option("--email", help="One user (default: every user)")
@admin_command
def credits_usage(accounts: Accounts, ledger: Ledger, email: str | None) -> list[dict[str, object]]:
    """Units charged per user and per model or tool, beside what upstreams charged for the
    same work (gateway mode), and the margin."""
    return usage(ledger.db, email)


@main.group()
def images() -> None:
    """Stored images (those kept with expire=false stay until deleted here)."""


@images.command("delete")
@click.option("--id", "image_id", required=True, help="The image_id an API answer gave")
@data_dir_option
def images_delete(image_id: str, data_dir: Path | None) -> None:
    settings = _settings(data_dir=data_dir)
    blobs = open_blob_store(settings.storage_url, "images", settings.images_dir)
    store = ImageStore(_database(settings), blobs, 1)
    try:
        store.delete(image_id)
    except AtelierError as exc:
        _fail(exc.code, exc.message)
    _emit({"deleted": image_id})


@main.group()
def db() -> None:
    """The database's schema (ATELIER_DATABASE_URL; default: SQLite in the data dir)."""


@db.command("upgrade")
@data_dir_option
def db_upgrade(data_dir: Path | None) -> None:
    """Apply the migrations the database lacks (an empty one gets the whole schema)."""
    from atelier import migrations

    database = Database(_settings(data_dir=data_dir).database)
    try:
        before, after = migrations.upgrade(database)
    except migrations.SchemaMismatch as exc:
        _fail("schema_outdated", str(exc))
    _emit({"database": repr(database), "from": before, "to": after})


@db.command("status")
@data_dir_option
def db_status(data_dir: Path | None) -> None:
    """Show the database's schema revision and the one this atelier needs."""
    from atelier import migrations

    database = Database(_settings(data_dir=data_dir).database)
    current, head = migrations.current(database), migrations.head()
    _emit({"database": repr(database), "current": current, "head": head, "ok": current == head})


if __name__ == "__main__":
    main()
