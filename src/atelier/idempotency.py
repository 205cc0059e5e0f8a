"""Idempotency keys, with Stripe's semantics: a POST sent again with the same key and the same
body within 24 hours gets the first one's stored response (same images, charged once), and
waits for it while the first is still running; the same key with another body is a 409.

Keys belong to a user and live in the database, so every replica sees them. Only successful
responses are kept: a request that failed charged nothing, and sending it again runs it again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Literal

from atelier.database import Database
from atelier.errors import AtelierError, InvalidRequest

KEY_TTL_SECONDS = 24 * 3600
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(AtelierError):
    status = 409
    code = "idempotency_key_reused"


@dataclass(frozen=True)
class StoredResponse:
    status: int
    content_type: str
    body: bytes


@dataclass(frozen=True)
class Claim:
    """What to do with a request: ``run`` it (the key is ours now), ``replay`` ``stored``, or
    ``wait`` for the request that holds the key."""

    action: Literal["run", "replay", "wait"]
    stored: StoredResponse | None = None


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise InvalidRequest(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            param="Idempotency-Key",
        )
    return key


class IdempotencyKeys:
    def __init__(self, db: Database, abandoned_after_seconds: float) -> None:
        """``abandoned_after_seconds``: a key still 'running' this long after it was taken
        belongs to a process that died; the next request with it runs again."""
        self.db = db
        self.abandoned_after_seconds = abandoned_after_seconds

    def claim(self, user_id: str, key: str, request_hash: str) -> Claim:
        now = time.time()
        values = {
            "user_id": user_id, "key": key, "request_hash": request_hash, "now": now,
            "expired": now - KEY_TTL_SECONDS, "abandoned": now - self.abandoned_after_seconds,
        }  # fmt: skip
        with self.db.transaction() as tx:
            # A key past its 24 hours, or still 'running' long after its process died, is free.
            tx.execute(
                "DELETE FROM idempotency_keys WHERE user_id = :user_id AND key = :key "
                "AND (created < :expired OR (state = 'running' AND created < :abandoned))",
                values,
            )
            # Of two requests with one key at once, exactly one inserts: it runs.
            if tx.execute(
                "INSERT INTO idempotency_keys (user_id, key, request_hash, state, created) "
                "VALUES (:user_id, :key, :request_hash, 'running', :now) "
                "ON CONFLICT (user_id, key) DO NOTHING",
                values,
            ):
                return Claim("run")
            row = tx.row(
                "SELECT request_hash, state, status, content_type, body "
                "FROM idempotency_keys WHERE user_id = :user_id AND key = :key",
                values,
            )
        if row is None:  # the other request failed and gave the key up just now
            return Claim("wait")
        if row["request_hash"] != request_hash:
            raise IdempotencyKeyReused(
                "this Idempotency-Key was used with a different request in the last 24 hours; "
                "use a new key for a new request",
                param="Idempotency-Key",
            )
        if row["state"] == "running":
            return Claim("wait")
        return Claim("replay", StoredResponse(row["status"], row["content_type"], row["body"]))

    def finish(self, user_id: str, key: str, response: StoredResponse) -> None:
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE idempotency_keys SET state = 'done', status = :status, "
                "content_type = :content_type, body = :body "
                "WHERE user_id = :user_id AND key = :key",
                {
                    "status": response.status, "content_type": response.content_type,
                    "body": response.body, "user_id": user_id, "key": key,
                },
            )  # fmt: skip

    def release(self, user_id: str, key: str) -> None:
        """Give the key up (the request failed): the next request with it runs again."""
        with self.db.transaction() as tx:
            tx.execute(
                "DELETE FROM idempotency_keys "
                "WHERE user_id = :user_id AND key = :key AND state = 'running'",
                {"user_id": user_id, "key": key},
            )

    def sweep(self, now: float | None = None) -> int:
        """Delete keys older than 24 hours; returns how many went."""
        cutoff = (time.time() if now is None else now) - KEY_TTL_SECONDS
        with self.db.transaction() as tx:
            return tx.execute(
                "DELETE FROM idempotency_keys WHERE created < :cutoff", {"cutoff": cutoff}
            )
