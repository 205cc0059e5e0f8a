"""Calls to one upstream Recraft-compatible API: pooled connections, a cap on calls in flight,
bounded retries of 429 answers (after their Retry-After), a circuit breaker that fails fast
while the upstream is down, and every failure as one of our errors. The operator's key is
sent, never logged and never put in an error."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from atelier.errors import AtelierError
from atelier.jobs import check_cancelled

log = logging.getLogger(__name__)

FilePart = tuple[str, bytes, str]  # a multipart file: name, content, media type


class UpstreamUnavailable(AtelierError):
    """The upstream answered with an error or garbage, or could not be reached."""

    status = 502
    code = "upstream_unavailable"


class UpstreamTimeout(UpstreamUnavailable):
    status = 504
    code = "upstream_timeout"


class UpstreamCircuitOpen(UpstreamUnavailable):
    status = 503
    code = "upstream_circuit_open"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamRateLimited(UpstreamUnavailable):
    status = 429
    code = "upstream_rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UpstreamRefused(AtelierError):
    """A 4xx other than 429: the upstream refused what we validated (ours or its limits differ).
    Its status and message are passed on; nothing of ours (the key) is in them."""

    def __init__(self, status: int, code: str, message: str, param: str | None) -> None:
        super().__init__(f"the upstream refused the request: {message}", param)
        # The operator's account (401, 402, 403) or ids it lacks (404) are not the user's to fix.
        self.status = status if status in (400, 413, 422) else 502
        self.code = code if self.status != 502 else "upstream_unavailable"


@dataclass(frozen=True)
class UpstreamConfig:
    """One upstream: where it is, its key, and how hard to push it."""

    name: str  # how logs and the ledger name it (its pattern in ATELIER_UPSTREAMS)
    url: str
    key: str
    timeout_seconds: float = 300.0
    max_concurrency: int = 16
    retries: int = 2  # further tries of a 429 answer
    max_retry_after_seconds: float = 10.0
    failures_to_open: int = 5  # consecutive failures that open the circuit
    open_seconds: float = 30.0  # how long an open circuit fails fast before one trial call
    dialect: str = "recraft"  # or "aimlapi": the AI/ML API's generations

    def __repr__(self) -> str:  # the key stays out of logs and tracebacks
        return f"UpstreamConfig(name={self.name!r}, url={self.url!r}, key=<hidden>)"


class Circuit:
    """Closed while calls succeed; open (failing fast) after ``failures`` in a row, for
    ``open_seconds``; then one trial call decides whether it closes again."""

    def __init__(self, failures: int, open_seconds: float) -> None:
        self.failures_to_open = failures
        self.open_seconds = open_seconds
        self._failures = 0
        self._opened_at: float | None = None
        self._trial = False
        self._lock = threading.Lock()

    def allow(self) -> float | None:
        """None when a call may go; else the seconds until the circuit tries again."""
        with self._lock:
            if self._opened_at is None:
                return None
            waited = time.monotonic() - self._opened_at
            if waited >= self.open_seconds and not self._trial:
                self._trial = True  # one call finds out whether the upstream is back
                return None
            return max(self.open_seconds - waited, 1.0)

    def succeeded(self) -> None:
        with self._lock:
            self._failures, self._opened_at, self._trial = 0, None, False

    def failed(self) -> None:
        with self._lock:
            self._failures += 1
            if self._trial or self._failures >= self.failures_to_open:
                self._opened_at, self._trial = time.monotonic(), False


class UpstreamClient:
    """Requests to one upstream, as JSON or multipart; answers as parsed JSON."""

    def __init__(self, config: UpstreamConfig, transport: httpx.BaseTransport | None = None):
        self.config = config
        limits = httpx.Limits(
            max_connections=config.max_concurrency, max_keepalive_connections=config.max_concurrency
        )
        self._http = httpx.Client(
            base_url=config.url.rstrip("/"),
            headers={"Authorization": f"Bearer {config.key}"},
            timeout=httpx.Timeout(config.timeout_seconds, connect=10.0),
            limits=limits,
            transport=transport,
        )
        self._slots = threading.BoundedSemaphore(config.max_concurrency)
        self.circuit = Circuit(config.failures_to_open, config.open_seconds)

    def close(self) -> None:
        self._http.close()

    def post(
        self,
        path: str,
        json_body: dict[str, Any] | None = None,
        data: dict[str, str] | None = None,
        files: Mapping[str, FilePart] | Sequence[tuple[str, FilePart]] | None = None,
    ) -> dict[str, Any]:
        return self._call(lambda: self._http.post(path, json=json_body, data=data, files=files))

    def get(self, path: str) -> dict[str, Any]:
        return self._call(lambda: self._http.get(path))

    def delete(self, path: str) -> dict[str, Any]:
        return self._call(lambda: self._http.delete(path))

    def fetch(self, url: str) -> bytes:
        """The bytes of an image the upstream handed out (operator configuration: not subject
        to the guard on user-supplied URLs)."""
        response = self._send(lambda: self._http.get(url))
        if response.status_code != 200:
            raise UpstreamUnavailable(
                f"the upstream's image could not be fetched (HTTP {response.status_code})"
            )
        return response.content

    def _call(self, send: Callable[[], httpx.Response]) -> dict[str, Any]:
        for attempt in range(self.config.retries + 1):
            response = self._send(send)
            if response.status_code == 429:
                wait = _retry_after(response)
                if attempt < self.config.retries and wait <= self.config.max_retry_after_seconds:
                    log.warning("upstream %s: 429, retrying in %.1f s", self.config.name, wait)
                    _pause(wait)
                    continue
                raise UpstreamRateLimited(
                    "the upstream is rate limiting this server; retry later",
                    retry_after=max(1, round(wait)),
                )
            return _answer(response)
        raise AssertionError("unreachable")

    def _send(self, send: Callable[[], httpx.Response]) -> httpx.Response:
        """One call through the circuit and the concurrency cap; transport failures as ours."""
        wait = self.circuit.allow()
        if wait is not None:
            raise UpstreamCircuitOpen(
                "the upstream is failing; not calling it for a while", retry_after=round(wait)
            )
        check_cancelled()
        with self._slots:
            try:
                response = send()
            except httpx.TimeoutException as exc:
                self.circuit.failed()
                raise UpstreamTimeout(
                    f"the upstream did not answer within {self.config.timeout_seconds:g} s"
                ) from exc
            except httpx.HTTPError as exc:
                self.circuit.failed()
                log.warning("upstream %s unreachable: %s", self.config.name, type(exc).__name__)
                raise UpstreamUnavailable(
                    f"the upstream could not be reached ({type(exc).__name__})"
                ) from exc
        if response.status_code >= 500:
            self.circuit.failed()
        else:
            self.circuit.succeeded()
        return response


def _answer(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a 2xx answer; a 4xx as UpstreamRefused; anything else as 502."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if response.status_code >= 500 or not isinstance(body, dict):
        what = "an error" if response.status_code >= 400 else "an answer that is not JSON"
        raise UpstreamUnavailable(
            f"the upstream answered with {what} (HTTP {response.status_code})"
        )
    if response.status_code >= 400:
        raise UpstreamRefused(
            response.status_code,
            str(body.get("code") or "invalid_request"),
            str(body.get("message") or body.get("error") or "no message")[:500],
            body.get("param") if isinstance(body.get("param"), str) else None,
        )
    return body


def _retry_after(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("retry-after", "1")))
    except ValueError:
        return 1.0


def _pause(seconds: float) -> None:
    """Wait before a retry, watching the job's cancellation (a client gone, a time limit)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        check_cancelled()
        time.sleep(min(left, 0.1))
