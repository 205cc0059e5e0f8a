"""The one error envelope: every failure becomes {"code", "message", "param"} JSON here."""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import Scope

from atelier.errors import AtelierError

log = logging.getLogger("atelier")


def error_response(status: int, code: str, message: str, param: str | None = None) -> JSONResponse:
    return JSONResponse({"code": code, "message": message, "param": param}, status_code=status)


def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AtelierError)
    response = error_response(exc.status, exc.code, exc.message, exc.param)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


_FIELD = re.compile(r"^(?:\d+|[a-z_][a-z0-9_]*)$")


def _param(loc: tuple[int | str, ...]) -> str | None:
    # Union members appear in the location as tags ("literal[...]", class names): not fields.
    parts = [
        str(p) for p in loc if p not in ("body", "query", "path", "header") and _FIELD.match(str(p))
    ]
    if not parts:
        return None
    text = parts[0]
    for part in parts[1:]:
        text += f"[{part}]" if part.isdigit() else f".{part}"
    return text


def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if not errors:
        return error_response(400, "invalid_request", "the request body is not valid")
    first = errors[0]
    param = _param(tuple(first.get("loc", ())))
    if first.get("type") == "json_invalid":
        return error_response(400, "invalid_json", "the request body is not valid JSON")
    message = f"{param}: {first.get('msg')}" if param else str(first.get("msg"))
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return error_response(400, "invalid_request", message, param)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if isinstance(exc.__cause__, AtelierError):
        # FastAPI wraps errors raised while it reads a body (the size limit, parse_json's
        # checks) in a 400 of its own; ours says what really happened.
        return _domain_error(request, exc.__cause__)
    codes = {404: "not_found", 405: "method_not_allowed"}
    code = codes.get(exc.status_code, "invalid_request" if exc.status_code < 500 else "error")
    response = error_response(exc.status_code, code, str(exc.detail))
    response.headers.update(exc.headers or {})  # a 405's Allow, for one
    return response


def unexpected_error(scope: Scope, exc: Exception) -> JSONResponse:
    """The 500 of an error nobody expected: logged with its traceback, never shown."""
    log.exception("unexpected error on %s %s", scope["method"], scope["path"], exc_info=exc)
    return error_response(500, "internal_error", "the server failed; the error has been logged")


def register_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AtelierError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    # Unexpected errors are answered by api.observability.Observability (see unexpected_error).
