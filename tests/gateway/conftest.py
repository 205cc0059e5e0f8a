"""Gateway mode's set-up: an upstream atelier (preview engine) with the operator's account, the
fault-injecting proxy in front of it, and a gateway atelier that sends every model and tool
upstream through the proxy (``*``), with the operator's key in an environment variable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import STAND_INS, Server, free_port
from tests.gateway.faults import FaultProxy

UPSTREAM_START_CREDITS = 10_000_000
MAX_CONCURRENCY = 2  # calls in flight to the upstream (tested), enough for every other test
STAND_IN_ENV = {f"ATELIER_{name.upper()}": value for name, value in STAND_INS.items()}


@dataclass
class Gateway:
    upstream: Server
    proxy: FaultProxy
    gateway: Server
    key: str  # the operator's key at the upstream

    def upstream_balance(self) -> int:
        return self.upstream.balance(self.key)


@pytest.fixture(scope="package")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gateway]:
    root = tmp_path_factory.mktemp("gateway")
    for side in ("upstream", "gateway"):
        (root / side).mkdir()
    # The upstream's tools are the fast stand-ins: what is tested here is the way there and
    # back (the real models are tested in tests/tools and tests/api/test_tools.py).
    upstream = Server(root / "upstream" / "data", free_port(), STAND_IN_ENV)
    upstream.start()
    key, _ = upstream.create_user(credits=UPSTREAM_START_CREDITS)
    proxy = FaultProxy(upstream.url)
    routes = {"*": {"url": proxy.url, "key_env": "TEST_UPSTREAM_KEY", "timeout_seconds": 3,
                    "retries": 2, "circuit_failures": 3, "circuit_open_seconds": 2,
                    "max_concurrency": MAX_CONCURRENCY}}  # fmt: skip
    env = {"ATELIER_UPSTREAMS": json.dumps(routes), "TEST_UPSTREAM_KEY": key}
    server = Server(root / "gateway" / "data", free_port(), env)
    server.start()
    yield Gateway(upstream, proxy, server, key)
    server.stop()
    proxy.close()
    upstream.stop()


@pytest.fixture
def faults(gateway: Gateway) -> Iterator[FaultProxy]:
    """The proxy, passing everything through again after the test."""
    yield gateway.proxy
    gateway.proxy.faults.set("pass")
