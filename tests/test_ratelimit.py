"""ImageRateLimiter's sliding window in the database, with an explicit clock."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from atelier.accounting.accounts import Accounts
from atelier.database import Database
from atelier.errors import RateLimited
from atelier.ratelimit import ImageRateLimiter


def test_window_slides_and_retry_after_points_at_the_first_free_moment(database: Database) -> None:
    limiter = ImageRateLimiter(database, limit=10, window_seconds=60)
    limiter.acquire("u", 6, now=0.0)
    limiter.acquire("u", 4, now=30.0)
    with pytest.raises(RateLimited) as caught:
        limiter.acquire("u", 1, now=31.0)
    assert caught.value.retry_after == 29  # the 6 images of t=0 age out at t=60
    with pytest.raises(RateLimited) as caught:
        limiter.acquire("u", 7, now=31.0)
    assert caught.value.retry_after == 59  # needs the t=30 images gone as well
    limiter.acquire("u", 6, now=60.0)
    limiter.acquire("other", 10, now=60.0)
    assert limiter.sweep(now=119.0) == 2  # t=0's and t=30's events aged out; t=60's stay
    assert limiter.sweep(now=121.0) == 2


def test_processes_on_one_database_share_the_window_exactly(database: Database) -> None:
    # Two limiters, each with its own connections to one database, stand for two processes.
    user = Accounts(database).create_user("u@example.com")
    first, second = (
        ImageRateLimiter(db, limit=10, window_seconds=60)
        for db in (database, Database(database.url))
    )

    def take(i: int) -> bool:
        try:
            (first if i % 2 else second).acquire(user.id, 1)
        except RateLimited:
            return False
        return True

    with ThreadPoolExecutor(8) as pool:
        assert sum(pool.map(take, range(25))) == 10
