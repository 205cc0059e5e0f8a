"""A small HTTP proxy in the test process, in front of the upstream atelier, that injects the
faults a gateway must survive: slow answers, 429s with Retry-After, 500s, garbage, dropped
connections. Tests switch its mode; it counts what it was asked."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


@dataclass
class Faults:
    """What the proxy does with the next requests: ``mode`` for ``times`` requests (None:
    all), then passes them through."""

    mode: str = "pass"  # pass | slow | 429 | 500 | garbage | drop
    times: int | None = None
    delay: float = 0.0
    retry_after: str = "1"
    requests: list[str] = field(default_factory=list)  # "METHOD path" of each request seen
    bodies: list[bytes] = field(default_factory=list)  # and its body
    in_flight: int = 0
    most_in_flight: int = 0  # the most requests it was answering at once
    lock: threading.Lock = field(default_factory=threading.Lock)

    def set(self, mode: str, times: int | None = None, **options: object) -> None:
        with self.lock:
            self.mode, self.times = mode, times
            for name, value in options.items():
                setattr(self, name, value)

    def next_mode(self, request: str, body: bytes = b"") -> str:
        with self.lock:
            self.requests.append(request)
            self.bodies.append(body)
            mode = self.mode
            if self.times is not None:
                self.times -= 1
                if self.times <= 0:
                    self.mode, self.times = "pass", None
            return mode


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.faults = Faults()
        self._client = httpx.Client(base_url=upstream, timeout=120)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _relay(self) -> None:
                faults = proxy.faults
                with faults.lock:
                    faults.in_flight += 1
                    faults.most_in_flight = max(faults.most_in_flight, faults.in_flight)
                try:
                    self._answer()
                finally:
                    with faults.lock:
                        faults.in_flight -= 1

            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                mode = proxy.faults.next_mode(f"{self.command} {self.path}", body)
                if mode == "drop":
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if mode == "500":
                    return self._send(500, b'{"code": "error", "message": "boom"}')
                if mode == "garbage":
                    return self._send(200, b"<html>not json</html>", "text/html")
                if mode == "429":
                    return self._send(
                        429,
                        b'{"code": "rate_limit_exceeded", "message": "slow down"}',
                        headers={"Retry-After": proxy.faults.retry_after},
                    )
                if mode == "slow":
                    time.sleep(proxy.faults.delay)  # the fault itself: an upstream that is late
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "content-length", "connection")
                }
                answer = proxy._client.request(
                    self.command, self.path, content=body, headers=headers
                )
                self._send(
                    answer.status_code,
                    answer.content,
                    answer.headers.get("content-type", "application/json"),
                )

            def _send(
                self,
                status: int,
                body: bytes,
                content_type: str = "application/json",
                headers: dict[str, str] | None = None,
            ) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the gateway gave up waiting (a timeout test)

            do_GET = do_POST = do_DELETE = _relay

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._client.close()
