"""Per-user rate limit on images: a sliding window of what each user asked for, kept in the
database so that every server process on it counts against the same window, exactly (each
check-and-count is one write transaction, serialised per user by the database)."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from atelier.database import Database
from atelier.errors import RateLimited

# The user's events still in the window, oldest first.
_WINDOW = "SELECT at, images FROM rate_events WHERE user_id = :user_id AND at > :start ORDER BY at"


class ImageRateLimiter:
    def __init__(self, db: Database, limit: int, window_seconds: float) -> None:
        self.db = db
        self.limit = limit
        self.window = window_seconds

    def acquire(self, user_id: str, images: int, now: float | None = None) -> None:
        """Count ``images`` against the user's window, or raise RateLimited (counting nothing)."""
        self._take(user_id, images, now, count=True)

    def check(self, user_id: str, images: int, now: float | None = None) -> None:
        """Raise RateLimited now if ``images`` would not fit the user's window (counts nothing)."""
        self._take(user_id, images, now, count=False)

    def _take(self, user_id: str, images: int, now: float | None, count: bool) -> None:
        now = time.time() if now is None else now  # wall time: shared by every process
        values = {"user_id": user_id, "start": now - self.window, "now": now, "images": images}
        if not count:  # a look only: no write lock
            self._refuse_if_full(self.db.query(_WINDOW, values), images, now)
            return
        with self.db.transaction() as tx:
            # One count at a time per user, across every process. Events out of the window are
            # left to the sweep: deleting them here too would contend with its deletes.
            tx.serialise(f"rate:{user_id}")
            events = tx.rows(_WINDOW, values)
            self._refuse_if_full(events, images, now)
            tx.execute(
                "INSERT INTO rate_events (user_id, at, images) VALUES (:user_id, :now, :images)",
                values,
            )

    def _refuse_if_full(self, events: Sequence[Any], images: int, now: float) -> None:
        used = sum(row["images"] for row in events)
        if used + images > self.limit:
            raise RateLimited(
                f"rate limit of {self.limit} images per {self.window:g} s reached; "
                "retry after the Retry-After seconds",
                retry_after=self._retry_after(events, used + images - self.limit, now),
            )

    def sweep(self, now: float | None = None) -> int:
        """Forget events older than the window (of users who have not asked since)."""
        cutoff = (time.time() if now is None else now) - self.window
        with self.db.transaction() as tx:
            return tx.execute("DELETE FROM rate_events WHERE at <= :cutoff", {"cutoff": cutoff})

    def _retry_after(self, events: Sequence[Any], excess: int, now: float) -> int:
        # The earliest moment enough of the window's images have aged out.
        freed = 0
        for row in events:
            freed += row["images"]
            if freed >= excess:
                return max(1, math.ceil(row["at"] + self.window - now))
        return max(1, math.ceil(self.window))
