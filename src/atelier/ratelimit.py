"""Per-user rate limit on images: a sliding window of what each user asked for."""

from __future__ import annotations

import math
import threading
import time
from collections import defaultdict, deque

from atelier.errors import RateLimited


class ImageRateLimiter:
    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds
        self._events: defaultdict[str, deque[tuple[float, int]]] = defaultdict(deque)
        self._lock = threading.Lock()

    def acquire(self, user_id: str, images: int, now: float | None = None) -> None:
        """Count ``images`` against the user's window, or raise RateLimited (counting nothing)."""
        self._take(user_id, images, now, count=True)

    def check(self, user_id: str, images: int, now: float | None = None) -> None:
        """Raise RateLimited now if ``images`` would not fit the user's window (counts nothing)."""
        self._take(user_id, images, now, count=False)

    def _take(self, user_id: str, images: int, now: float | None, count: bool) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            events = self._events[user_id]
            while events and events[0][0] <= now - self.window:
                events.popleft()
            used = sum(n for _, n in events)
            if used + images > self.limit:
                raise RateLimited(
                    f"rate limit of {self.limit} images per {self.window:g} s reached; "
                    "retry after the Retry-After seconds",
                    retry_after=self._retry_after(events, used + images - self.limit, now),
                )
            if count:
                events.append((now, images))

    def _retry_after(self, events: deque[tuple[float, int]], excess: int, now: float) -> int:
        # The earliest moment enough of the window's images have aged out.
        freed = 0
        for stamp, count in events:
            freed += count
            if freed >= excess:
                return max(1, math.ceil(stamp + self.window - now))
        return max(1, math.ceil(self.window))
