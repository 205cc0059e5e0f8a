"""Credits: holds taken before work, charged when the work is delivered, released otherwise."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from atelier.accounting import upstream_usage
from atelier.accounting.upstream_usage import UpstreamUsage
from atelier.database import Database, Transaction
from atelier.errors import InsufficientCredits, InvalidRequest, UserNotFound


@dataclass(frozen=True)
class Hold:
    id: str
    user_id: str
    units: int


class Ledger:
    """Balances live in users.credits; every change is also a row in the ledger table.

    A request takes a hold (the units leave the balance at once, in one conditional UPDATE, so
    concurrent requests of one user can never overdraw), then either charges it when the images
    are delivered or releases it (units return) when anything fails.

    Each hold records its ``owner`` (this server process) and a lease the owner renews while
    it works (``renew_leases``); a hold whose lease ran out belongs to a process that died, and
    only such holds are released by others (``release_abandoned``), so several processes can
    share one database.
    """

    def __init__(self, db: Database, lease_seconds: float = 60.0) -> None:
        self.db = db
        self.owner = uuid.uuid4().hex
        self.lease_seconds = lease_seconds
        # Holds this process took and has not settled: what it gives back when it stops.
        self._open: set[str] = set()
        self._open_lock = threading.Lock()

    def check(self, user_id: str, units: int) -> None:
        """Raise InsufficientCredits now if the balance is below ``units`` (takes nothing)."""
        row = self.db.query_one("SELECT credits FROM users WHERE id = :id", {"id": user_id})
        balance = row["credits"] if row else 0
        if balance < units:
            raise InsufficientCredits(_short_of(units, balance))

    def hold(self, user_id: str, units: int, reason: str) -> Hold:
        hold = Hold(str(uuid.uuid4()), user_id, units)
        with self.db.transaction() as tx:
            taken = tx.execute(
                "UPDATE users SET credits = credits - :units WHERE id = :id AND credits >= :units",
                {"units": units, "id": user_id},
            )
            if not taken:
                row = tx.row("SELECT credits FROM users WHERE id = :id", {"id": user_id})
                balance = row["credits"] if row else 0
                raise InsufficientCredits(_short_of(units, balance))
            now = time.time()
            tx.execute(
                "INSERT INTO ledger (id, user_id, units, reason, state, created, owner, "
                "lease_until) VALUES (:id, :user_id, :units, :reason, 'held', :now, :owner, "
                ":lease_until)",
                {
                    "id": hold.id, "user_id": user_id, "units": units, "reason": reason,
                    "now": now, "owner": self.owner, "lease_until": now + self.lease_seconds,
                },
            )  # fmt: skip
        with self._open_lock:
            self._open.add(hold.id)
        return hold

    def charge(self, hold: Hold, upstream: UpstreamUsage | None = None) -> None:
        """Charge ``hold``; with ``upstream``, what an upstream charged for its work too."""
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE ledger SET state = 'charged', settled = :now, upstream = :upstream, "
                "upstream_units = :upstream_units WHERE id = :id AND state = 'held'",
                {
                    "now": time.time(), "id": hold.id,
                    "upstream": upstream.upstream if upstream else None,
                    "upstream_units": upstream.units if upstream and upstream.upstream else None,
                },
            )  # fmt: skip
        self._settled(hold.id)

    def release(self, hold: Hold) -> None:
        with self.db.transaction() as tx:
            self._release(tx, hold.id)
        self._settled(hold.id)

    def release_open(self) -> int:
        """Give back every hold this process still has open (it is stopping with jobs that
        did not finish); a job that ends later finds its hold released and charges nothing."""
        with self._open_lock:
            ids, self._open = list(self._open), set()
        for hold_id in ids:
            # A transaction each: one holding many ledger rows while it waits for a balance
            # could deadlock with a request settling one of those holds.
            with self.db.transaction() as tx:
                self._release(tx, hold_id)
        return len(ids)

    def _settled(self, hold_id: str) -> None:
        with self._open_lock:
            self._open.discard(hold_id)

    @staticmethod
    def _release(tx: Transaction, hold_id: str, lease_expired_at: float | None = None) -> bool:
        """Release one hold that is still held (and, given ``lease_expired_at``, whose lease
        ended before then); whether it did.

        One conditional UPDATE settles the hold: of two processes releasing (or charging) the
        same hold at once, exactly one changes it, so it is never refunded twice."""
        only_expired = "" if lease_expired_at is None else (
            " AND (lease_until IS NULL OR lease_until < :expired)"
        )  # fmt: skip
        row = tx.row(
            "UPDATE ledger SET state = 'released', settled = :now "
            f"WHERE id = :id AND state = 'held'{only_expired} RETURNING user_id, units",
            {"now": time.time(), "id": hold_id, "expired": lease_expired_at},
        )
        if row is None:  # already settled
            return False
        tx.execute(
            "UPDATE users SET credits = credits + :units WHERE id = :id",
            {"units": row["units"], "id": row["user_id"]},
        )
        return True

    def renew_leases(self, now: float | None = None) -> int:
        """Extend the lease of every hold this process still has open; returns how many."""
        now = time.time() if now is None else now
        with self._open_lock:
            ids = list(self._open)
        if not ids:
            return 0
        with self.db.transaction() as tx:
            tx.execute(
                "UPDATE ledger SET lease_until = :until WHERE id = :id AND state = 'held'",
                [{"until": now + self.lease_seconds, "id": hold_id} for hold_id in ids],
            )
        return len(ids)

    def release_abandoned(self, now: float | None = None) -> int:
        """Give back holds whose lease ran out: their process died mid-request (a live one
        renews its leases). Another process's live holds are never touched."""
        now = time.time() if now is None else now
        rows = self.db.query(
            "SELECT id FROM ledger WHERE state = 'held' "
            "AND (lease_until IS NULL OR lease_until < :now)",
            {"now": now},
        )
        released = 0
        for row in rows:
            # A transaction each (see release_open), re-checking the lease: its process may
            # have renewed it or settled the hold meanwhile.
            with self.db.transaction() as tx:
                released += self._release(tx, row["id"], now)
        return released

    @contextmanager
    def charged(self, user_id: str, units: int, reason: str) -> Iterator[Hold]:
        """Hold ``units`` for the body of the with-block; charge on success, release on error."""
        hold = self.hold(user_id, units, reason)
        try:
            with upstream_usage.tracked() as usage:
                yield hold
        except BaseException:
            self.release(hold)
            raise
        self.charge(hold, usage)

    def add_credits(self, user_id: str, units: int) -> int:
        if units <= 0:
            raise InvalidRequest("the amount must be a positive number of units", param="amount")
        with self.db.transaction() as tx:
            row = tx.row(
                "UPDATE users SET credits = credits + :units WHERE id = :id RETURNING credits",
                {"units": units, "id": user_id},
            )
            if row is None:
                raise UserNotFound(f"no user with id {user_id}")
            now = time.time()
            tx.execute(
                "INSERT INTO ledger (id, user_id, units, reason, state, created, settled) "
                "VALUES (:id, :user_id, :units, 'top-up', 'credited', :now, :now)",
                {"id": str(uuid.uuid4()), "user_id": user_id, "units": units, "now": now},
            )
        return int(row["credits"])


def usage(db: Database, email: str | None = None) -> list[dict[str, object]]:
    """Charged units per user and per what was bought (the reason's kind and model, e.g.
    generation:recraftv3), with what upstreams charged for the same work (gateway mode) and
    the margin between them."""
    one_user = " AND users.email = :email" if email is not None else ""
    rows = db.query(
        "SELECT users.email AS email, ledger.reason AS reason, COUNT(*) AS charges, "
        "SUM(ledger.units) AS units, SUM(COALESCE(ledger.upstream_units, 0)) AS upstream_units "
        "FROM ledger JOIN users ON users.id = ledger.user_id "
        f"WHERE ledger.state = 'charged'{one_user} GROUP BY users.email, ledger.reason",
        {"email": email},
    )
    totals: dict[tuple[str, str], dict[str, int]] = {}
    for row in rows:
        what = ":".join(str(row["reason"]).split(":")[:2])  # style and the like left out
        total = totals.setdefault(
            (row["email"], what), dict.fromkeys(("charges", "units", "upstream_units"), 0)
        )
        for key in total:
            total[key] += int(row[key])
    return [
        {"email": email_, "what": what, **total, "margin": total["units"] - total["upstream_units"]}
        for (email_, what), total in sorted(totals.items())
    ]


def _short_of(units: int, balance: int) -> str:
    return (
        f"this request costs {units} units but the balance is {balance}; "
        "add credits or ask for fewer images"
    )
