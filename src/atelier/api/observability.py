"""What operators see of each request: an X-Request-Id (the client's, or a new one) on every
response and in every log line written while the request is served, and the request's count
and latency in the Prometheus metrics (labelled by route template, never by raw path)."""

from __future__ import annotations

import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from atelier.api.errors import unexpected_error
from atelier.logs import request_id
from atelier.metrics import Metrics

# A client's id is kept if it is a sane token; anything else gets a fresh one.
_CLIENT_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class Observability:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _CLIENT_ID.match(given) else uuid.uuid4().hex
        # Not reset afterwards: each request runs in a task of its own, whose context ends
        # with it, and the log lines of its last moments must still carry the id.
        request_id.set(rid)
        status = 500
        responded = False
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status = message["status"]
                responded = True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if responded:
                raise  # too late for an error response: the connection is closed
            # The one place unexpected errors become a 500 (inside this middleware, so that
            # the response and the log line carry the request id).
            await unexpected_error(scope, exc)(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(template, method, str(status)).inc()
            self.metrics.request_seconds.labels(template, method).observe(
                time.perf_counter() - started
            )
