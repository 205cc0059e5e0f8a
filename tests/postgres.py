"""The tests' PostgreSQL (atelier.testing.postgres): skipped where it is not installed, except
in CI (`.ci/run` sets ATELIER_REQUIRE_POSTGRES), where its absence fails the run."""

from __future__ import annotations

import os

import pytest

from atelier.testing.postgres import Postgres
from atelier.testing.postgres import start as start_server

REQUIRED = "ATELIER_REQUIRE_POSTGRES"

__all__ = ["Postgres", "start"]


def start() -> Postgres:
    try:
        return start_server()
    except LookupError as exc:
        if os.environ.get(REQUIRED):
            pytest.fail(str(exc))
        pytest.skip(str(exc))
