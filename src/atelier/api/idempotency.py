"""ASGI middleware for the ``Idempotency-Key`` header on POST requests (see atelier.idempotency).

A keyed request is authenticated first, its body read (already capped by BodySizeLimit) and
hashed, and the key claimed for the user. The first request with a key runs to the end even if
its client goes away, so that a retry gets its response instead of paying again; requests
without a key are cancelled when their client leaves, as before.
"""

from __future__ import annotations

import asyncio
import hashlib

from fastapi.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atelier.api.errors import error_response
from atelier.errors import AtelierError, Unauthorized
from atelier.idempotency import StoredResponse, check_key
from atelier.services import Services

# How often a retry looks whether the request holding its key has finished.
WAIT_POLL_SECONDS = 0.1


class Idempotency:
    def __init__(self, app: ASGIApp, services: Services) -> None:
        self.app = app
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope["headers"]) if scope["type"] == "http" else {}
        raw_key = headers.get(b"idempotency-key")
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scope.get("method") != "POST" or raw_key is None or scheme.lower() != "bearer":
            await self.app(scope, receive, send)  # no key, or no token for the route to refuse
            return
        try:
            key = check_key(raw_key.decode("latin-1"))
            user = await run_in_threadpool(self.services.accounts.authenticate, token.strip())
        except Unauthorized:
            await self.app(scope, receive, send)  # the route answers 401 as always
            return
        except AtelierError as exc:
            await error_response(exc.status, exc.code, exc.message, exc.param)(scope, receive, send)
            return
        # The route's own authentication (api.deps.current_user) finds the user here.
        scope.setdefault("state", {})["user"] = user
        body = await _read_body(receive)
        if body is None:
            return  # the client left while sending
        keys = self.services.idempotency
        request_hash = _request_hash(scope, headers, body)
        try:
            while True:
                claim = await run_in_threadpool(keys.claim, user.id, key, request_hash)
                if claim.action != "wait":
                    break
                if await _disconnected_within(receive, WAIT_POLL_SECONDS):
                    return
        except AtelierError as exc:
            await error_response(exc.status, exc.code, exc.message, exc.param)(scope, receive, send)
            return
        if claim.action == "replay":
            assert claim.stored is not None
            await _send_stored(claim.stored, send)
            return

        captured = _Capture(send)
        try:
            await self.app(scope, _replay(body), captured.send)
        except BaseException:
            await run_in_threadpool(keys.release, user.id, key)
            raise
        if 200 <= captured.status < 300:
            stored = StoredResponse(captured.status, captured.content_type, b"".join(captured.body))
            await run_in_threadpool(keys.finish, user.id, key, stored)
        else:
            await run_in_threadpool(keys.release, user.id, key)


class _Capture:
    """Passes a response on to the client and keeps a copy of it."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.status = 500
        self.content_type = "application/json"
        self.body: list[bytes] = []

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            for name, value in message.get("headers", []):
                if name.lower() == b"content-type":
                    self.content_type = value.decode("latin-1")
        elif message["type"] == "http.response.body":
            self.body.append(message.get("body", b""))
        await self._send(message)  # a client that left is simply not written to


async def _read_body(receive: Receive) -> bytes | None:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    """The body once; then never a disconnect, so the job is not cancelled with its client."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.Event().wait()  # only ever awaited under a cancel scope (disconnect checks)
        raise AssertionError("unreachable")

    return receive


def _request_hash(scope: Scope, headers: dict[bytes, bytes], body: bytes) -> str:
    """What makes two requests the same: method, path, query, content type and body. A
    multipart body's boundary is random per send (an SDK's retry picks a new one): left out."""
    content_type = headers.get(b"content-type", b"")
    media_type, _, params = content_type.partition(b";")
    for param in params.split(b";"):
        name, _, value = param.strip().partition(b"=")
        if name.lower() == b"boundary" and value:
            body = body.replace(value.strip(b'"'), b"")
    digest = hashlib.sha256()
    for part in (scope["method"].encode(), scope["path"].encode(), scope["query_string"]):
        digest.update(part + b"\0")
    digest.update(media_type.strip().lower() + b"\0")
    digest.update(body)
    return digest.hexdigest()


async def _disconnected_within(receive: Receive, seconds: float) -> bool:
    try:
        message = await asyncio.wait_for(receive(), seconds)
    except TimeoutError:
        return False
    return bool(message["type"] == "http.disconnect")


async def _send_stored(stored: StoredResponse, send: Send) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": stored.status,
            "headers": [
                (b"content-type", stored.content_type.encode("latin-1")),
                (b"content-length", str(len(stored.body)).encode()),
                (b"idempotent-replayed", b"true"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": stored.body})
