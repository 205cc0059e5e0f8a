"""The served OpenAPI document, completed: the schemas that request bodies written by hand
(multipart forms, JSON bodies with image URLs) define under ``$defs`` moved to
``components/schemas`` where their references point, and every error a route can answer
documented with the one error envelope (FastAPI's generated 422 never happens here: request
problems are 400s)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["code", "message", "param"],
    "properties": {
        "code": {"type": "string", "description": "What went wrong, for programs"},
        "message": {"type": "string", "description": "What went wrong and how to fix it"},
        "param": {"type": "string", "nullable": True, "description": "The field at fault"},
    },
}
ERRORS = {
    "400": "The request is invalid: the field named in `param` says what to fix",
    "401": "No valid API token (send Authorization: Bearer <token>)",
    "402": "The balance does not cover the request's price",
    "403": "Not allowed (a forged or altered image URL; a style that is not yours to delete)",
    "404": "No such resource (or it is not yours, or it expired)",
    "409": "The Idempotency-Key was used with a different request",
    "413": "The request body is too large",
    "429": "Too many images in the rate-limit window, or too many jobs at once (Retry-After)",
    "500": "The server failed; the error is logged",
    "502": "An upstream the request needs (a prompt-enhancing LLM) failed",
    "503": "The server is busy, or a model is unavailable (Retry-After when busy)",
    "504": "The job ran past its time limit; nothing was charged",
}
# Routes served without a token.
_PUBLIC = ("/healthz", "/status", "/ping", "/v1/models", "/images/{name}")


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    statuses = ["500"]
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.append("400")
    if path not in _PUBLIC:
        statuses.append("401")
    if method == "post":
        statuses += ["400", "409", "413", "402", "404", "429", "503", "504"]
        if path == "/v1/prompts/enhance":
            statuses.append("502")
    if "{" in path:
        statuses.append("404")
    if path == "/images/{name}" or (path.startswith("/v1/styles/") and method == "delete"):
        statuses.append("403")
    return sorted(set(statuses))


def _hoist_defs(node: Any, schemas: dict[str, Any]) -> Any:
    """``node`` with every ``$defs`` moved into ``schemas`` and its references re-pointed."""
    if isinstance(node, dict):
        for name, schema in node.pop("$defs", {}).items():
            schemas.setdefault(name, _hoist_defs(schema, schemas))
        return {
            key: (
                value.replace("#/$defs/", "#/components/schemas/")
                if key == "$ref" and isinstance(value, str)
                else _hoist_defs(value, schemas)
            )
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_hoist_defs(item, schemas) for item in node]
    return node


def complete_openapi(app: FastAPI) -> dict[str, Any]:
    """The document FastAPI generates, completed (see the module's docstring); built once."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    doc["paths"] = _hoist_defs(doc["paths"], schemas)
    components["schemas"] = _hoist_defs(schemas, schemas)
    components["schemas"]["Error"] = ERROR_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(name, None)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status in _statuses(path, method, operation):
                responses[status] = {"description": ERRORS[status], "content": error}
    app.openapi_schema = doc
    return doc
