"""ImageRateLimiter's sliding window, with an explicit clock."""

from __future__ import annotations

import pytest

from atelier.errors import RateLimited
from atelier.ratelimit import ImageRateLimiter


def test_window_slides_and_retry_after_points_at_the_first_free_moment() -> None:
    limiter = ImageRateLimiter(limit=10, window_seconds=60)
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
