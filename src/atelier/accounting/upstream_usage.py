"""What upstreams charged for the work of the hold being settled in this context: recorded in
the ledger beside our own charge, so an operator sees the margin per user and per model."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass
class UpstreamUsage:
    """Units the upstream answered with (its `credits`), and which upstream (the last one)."""

    upstream: str | None = None
    units: int = 0


_current: contextvars.ContextVar[UpstreamUsage | None] = contextvars.ContextVar(
    "upstream_usage", default=None
)


@contextmanager
def tracked() -> Iterator[UpstreamUsage]:
    """Collect what upstreams charge for the work done in this with-block (and this context)."""
    usage = UpstreamUsage()
    token = _current.set(usage)
    try:
        yield usage
    finally:
        _current.reset(token)


def record_upstream(upstream: str, units: int) -> None:
    """Add an upstream's charge to the hold being worked for (a no-op outside one)."""
    usage = _current.get()
    if usage is not None:
        usage.upstream = upstream
        usage.units += units
