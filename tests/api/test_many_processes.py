"""Two `atelier serve` processes sharing one PostgreSQL database and one S3 bucket, each with
a data dir of its own (nothing shared on disk), as behind any load balancer: an image made
through one is served by the other, credits stay exact under 1,000 concurrent generations, the
rate limit counts both, and a replica killed with SIGKILL mid-burst loses and charges nothing."""

from __future__ import annotations

import itertools
import signal
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from atelier.accounting.accounts import Accounts
from atelier.database import Database
from tests import postgres
from tests.api.conftest import start_slow_server, stats, wait_until
from tests.conftest import S3, Server, fetch

PRICE = 40  # units of one raster image
VECTOR_PRICE = 80  # of one vector image: the preview engine draws these ten times faster


def start_pair(root: Path, pg: postgres.Postgres, s3: S3, **env: str) -> tuple[Server, Server]:
    shared = {
        **s3.env,
        "ATELIER_DATABASE_URL": pg.new_database(),
        "ATELIER_STORAGE_URL": f"s3://{s3.new_bucket()}/atelier",
        **env,
    }
    (root / "a").mkdir()
    (root / "b").mkdir()
    first = start_slow_server(root / "a", **shared)
    return first, start_slow_server(root / "b", **shared)


def ledger_states(server: Server, email: str) -> dict[str, int]:
    """How many of the user's generation holds are in each state."""
    rows = Database(server.database_url).query(
        "SELECT state, COUNT(*) AS n FROM ledger JOIN users ON users.id = ledger.user_id "
        "WHERE email = :email AND reason LIKE 'generation%' GROUP BY state",
        {"email": email},
    )
    return {row["state"]: int(row["n"]) for row in rows}


def generate(server: Server, token: str, prompt: str = "x", **fields: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/images/generations",
        json={"prompt": prompt, **fields},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, pg: postgres.Postgres, s3: S3
) -> Iterator[tuple[Server, Server]]:
    """Two replicas whose rate limit is out of the way of the 1,000 generations."""
    root = tmp_path_factory.mktemp("pair")
    first, second = start_pair(root, pg, s3, ATELIER_RATE_LIMIT_IMAGES="100000")
    yield first, second
    first.stop()
    second.stop()


def test_an_image_made_through_one_replica_is_served_by_the_other(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    token = first.create_user()[0]
    made = generate(first, token)
    assert made.status_code == 200, made.text
    url = made.json()["data"][0]["url"]
    assert url.startswith(first.url)
    served = httpx.get(url.replace(first.url, second.url))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/png"
    assert int(served.headers["content-length"]) == len(served.content) > 0
    assert served.content == fetch(url).content
    # A URL signed by one replica verifies on the other; a forged one on neither.
    assert httpx.get(url.replace(first.url, second.url)[:-2] + "xx").status_code == 403


def test_1000_concurrent_generations_over_both_replicas_charge_exactly(
    pair: tuple[Server, Server],
) -> None:
    first, second = pair
    start = 1_000_000
    token, email = first.create_user(credits=start)
    accounts = Accounts(Database(first.database_url))
    user = accounts.by_email(email)
    tokens = [token] + [accounts.create_token(user.id) for _ in range(3)]
    plan = list(zip(itertools.cycle([first, second]), itertools.cycle(tokens), range(1000)))

    def one(server: Server, token: str, _: int) -> int | str:
        response = generate(server, token, style="vector_illustration")
        return response.status_code if response.status_code == 200 else response.text

    with ThreadPoolExecutor(32) as pool:
        outcomes = Counter(pool.map(lambda p: one(*p), plan))
    assert outcomes == {200: 1000}
    assert first.balance(tokens[1]) == second.balance(tokens[2]) == start - 1000 * VECTOR_PRICE
    assert ledger_states(first, email) == {"charged": 1000}


@pytest.fixture(scope="module")
def limited_pair(
    tmp_path_factory: pytest.TempPathFactory, pg: postgres.Postgres, s3: S3
) -> Iterator[tuple[Server, Server]]:
    """Two replicas with the default rate limit (100 images a minute) and a short lease."""
    root = tmp_path_factory.mktemp("limited-pair")
    first, second = start_pair(
        root, pg, s3, ATELIER_HOLD_LEASE_SECONDS="2", ATELIER_SWEEP_INTERVAL_SECONDS="0.5"
    )
    yield first, second
    first.stop()
    second.stop()


def test_the_101st_image_in_a_minute_is_refused_on_either_replica(
    limited_pair: tuple[Server, Server],
) -> None:
    first, second = limited_pair
    token = first.create_user()[0]
    plan = [(first if i % 2 else second, 5) for i in range(20)]  # 20 requests of 5 images

    def generate_n(server: Server, n: int) -> int:
        body = {"prompt": "x", "n": n, "style": "vector_illustration"}
        return server.http(token).post("/v1/images/generations", json=body).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda p: generate_n(*p), plan))
    assert statuses == [200] * 20  # exactly 100 images
    for server in (first, second):
        refused = server.http(token).post("/v1/images/generations", json={"prompt": "x"})
        assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1


def test_a_replica_killed_mid_burst_loses_nothing_and_charges_nothing_undelivered(
    limited_pair: tuple[Server, Server],
) -> None:
    first, second = limited_pair
    start = 100_000
    (token, email), watcher = first.create_user(credits=start), first.create_user()[0]
    with ThreadPoolExecutor(16) as pool:
        on_first = [pool.submit(generate, first, token, "sleep 10") for _ in range(4)]
        wait_until(lambda: stats(first, watcher)["running"] == 4)
        on_second = [pool.submit(generate, second, token, "sleep 0.2") for _ in range(8)]
        assert first.process is not None
        first.process.send_signal(signal.SIGKILL)
        first.process.wait(timeout=30)
        assert all(isinstance(f.exception(), httpx.HTTPError) for f in on_first)
        assert [f.result().status_code for f in on_second] == [200] * 8  # the other serves on
    # The dead replica's 4 holds: released by the live one's sweep once their lease ran out.
    wait_until(lambda: ledger_states(second, email).get("held", 0) == 0)
    assert ledger_states(second, email) == {"charged": 8, "released": 4}
    assert generate(second, token).status_code == 200
    assert second.balance(token) == start - 9 * PRICE
