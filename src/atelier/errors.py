"""Domain errors. Each carries its HTTP status and code; api.errors turns them into responses."""

from __future__ import annotations


class AtelierError(Exception):
    status = 500
    code = "internal_error"
    retry_after: int | None = None  # seconds, sent as Retry-After when set

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class InvalidRequest(AtelierError):
    status = 400
    code = "invalid_request"


class InvalidJson(InvalidRequest):
    code = "invalid_json"


class Unauthorized(AtelierError):
    status = 401
    code = "unauthorized"


class InsufficientCredits(AtelierError):
    status = 402
    code = "not_enough_credits"


class Forbidden(AtelierError):
    status = 403
    code = "forbidden"


class NotFound(AtelierError):
    status = 404
    code = "not_found"


class PayloadTooLarge(AtelierError):
    status = 413
    code = "payload_too_large"


class RequestTimeout(AtelierError):
    status = 408
    code = "request_timeout"


class RateLimited(AtelierError):
    status = 429
    code = "rate_limit_exceeded"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyJobs(RateLimited):
    """The user already has as many jobs in flight as one user may."""

    code = "too_many_concurrent_jobs"


class ServerBusy(AtelierError):
    """Every worker of a pool is busy and its queue is full: try again shortly."""

    status = 503
    code = "server_busy"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ModelUnavailable(AtelierError):
    """Model weights are missing, unreadable or of the wrong kind: a deployment problem."""

    status = 503
    code = "model_unavailable"


class UserNotFound(AtelierError):
    """Raised by admin commands (CLI) for an unknown e-mail."""

    status = 404
    code = "user_not_found"


class Conflict(AtelierError):
    status = 409
    code = "conflict"
