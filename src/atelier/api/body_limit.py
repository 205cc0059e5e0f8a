"""ASGI middleware that refuses request bodies over a size cap while they are being read.

JSON bodies have a smaller cap of their own (``max_json_bytes``, 1 MB) unless they carry images
as data: URLs, which may take them up to the cap of uploads: past the JSON cap, a body in
which no ``data:`` has appeared yet is refused there and then, before anything parses it."""

from __future__ import annotations

import asyncio
import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atelier.errors import PayloadTooLarge, RequestTimeout

# After refusing, we read and discard at most this many times the cap so that the client
# gets to see our 413 instead of a reset connection; beyond it we just close.
_DRAIN_FACTOR = 8


_DATA_URL = b"data:"


class BodySizeLimit:
    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        max_json_bytes: int | None = None,
        timeout_seconds: float | None = None,
    ) -> None:
        """``timeout_seconds``: the whole body must have arrived this long after it began."""
        self.app = app
        self.max_bytes = max_bytes
        self.max_json_bytes = max_bytes if max_json_bytes is None else max_json_bytes
        self.timeout_seconds = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._drain(receive)
            await self._refuse(send)
            return

        content_type = dict(scope["headers"]).get(b"content-type", b"")
        is_json = content_type.split(b";")[0].strip().lower() == b"application/json"
        received = 0
        started = False
        seen_data_url = False
        tail = b""  # the last bytes of the previous chunk: "data:" may span two chunks

        deadline: float | None = None
        body_done = False

        async def timed_receive() -> Message:
            nonlocal deadline, body_done
            if body_done or self.timeout_seconds is None:
                return await receive()  # after the body: only disconnect checks, never limited
            loop = asyncio.get_running_loop()
            deadline = deadline or loop.time() + self.timeout_seconds
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - loop.time()))
            except TimeoutError:
                raise RequestTimeout(
                    f"the request body did not arrive within {self.timeout_seconds:g} s"
                ) from None
            body_done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def limited_receive() -> Message:
            nonlocal received, seen_data_url, tail
            message = await timed_receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > self.max_bytes:
                    raise PayloadTooLarge(self._message())
                if is_json and not seen_data_url:
                    seen_data_url = _DATA_URL in tail + chunk
                    tail = chunk[-(len(_DATA_URL) - 1) :]
                    if received > self.max_json_bytes and not seen_data_url:
                        raise PayloadTooLarge(
                            f"the JSON body is larger than {self.max_json_bytes} bytes; images "
                            "in JSON bodies go in data: or http(s) URLs (or send multipart)"
                        )
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except PayloadTooLarge as exc:
            if started:
                raise
            await self._drain(receive)
            await self._refuse(send, exc.message)
        except RequestTimeout as exc:
            if started:
                raise
            await self._refuse(send, exc.message, RequestTimeout)

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes; send smaller files"

    async def _drain(self, receive: Receive) -> None:
        drained = 0
        while drained <= self.max_bytes * _DRAIN_FACTOR:
            message = await receive()
            if message["type"] != "http.request" or not message.get("more_body", False):
                return
            drained += len(message.get("body", b""))

    async def _refuse(
        self,
        send: Send,
        message: str | None = None,
        error: type[PayloadTooLarge | RequestTimeout] = PayloadTooLarge,
    ) -> None:
        body = json.dumps(
            {"code": error.code, "message": message or self._message(), "param": None}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": error.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
