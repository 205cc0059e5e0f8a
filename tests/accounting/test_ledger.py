"""Ledger holds: charge once, release once, recover holds of a dead process."""

from __future__ import annotations

import time

import pytest

from atelier.accounting.accounts import Accounts
from atelier.accounting.ledger import Ledger
from atelier.database import Database
from atelier.errors import InsufficientCredits


def test_hold_charge_release(database: Database) -> None:
    db = database
    accounts, ledger = Accounts(db), Ledger(db)
    user = accounts.create_user("a@example.com", credits=100)
    with ledger.charged(user.id, 60, "test"):
        assert accounts.by_id(user.id).credits == 40
    assert accounts.by_id(user.id).credits == 40

    with pytest.raises(RuntimeError), ledger.charged(user.id, 30, "test"):
        raise RuntimeError("engine failed")
    assert accounts.by_id(user.id).credits == 40

    with pytest.raises(InsufficientCredits):
        ledger.hold(user.id, 41, "test")

    hold = ledger.hold(user.id, 10, "test")
    ledger.release(hold)
    ledger.release(hold)  # a second release refunds nothing
    assert accounts.by_id(user.id).credits == 40

    ledger.hold(user.id, 25, "left open by a crash")
    assert ledger.release_abandoned() == 0  # its lease still runs
    assert ledger.release_abandoned(now=time.time() + 61) == 1  # nobody renewed it
    assert accounts.by_id(user.id).credits == 40


def test_only_holds_whose_lease_ran_out_are_released_by_other_processes(
    database: Database,
) -> None:
    db = database
    accounts = Accounts(db)
    user = accounts.create_user("a@example.com", "A", 100)
    first, second = Ledger(db, lease_seconds=60), Ledger(db, lease_seconds=60)
    now = time.time()
    live = first.hold(user.id, 30, "running on the first process")
    assert second.release_abandoned(now=now + 30) == 0  # its lease still runs
    assert first.renew_leases(now=now + 50) == 1  # the first process is alive and says so
    assert second.release_abandoned(now=now + 100) == 0  # renewed until now + 110
    assert accounts.by_id(user.id).credits == 70
    assert second.release_abandoned(now=now + 111) == 1  # the first process died meanwhile
    assert accounts.by_id(user.id).credits == 100
    first.charge(live)  # too late: released holds stay released, never charged
    assert accounts.by_id(user.id).credits == 100


def test_one_process_at_a_time_holds_a_lease(database: Database) -> None:
    db = database
    assert db.take_lease("sweep", "a", 10, now=0)
    assert not db.take_lease("sweep", "b", 10, now=5)
    assert db.take_lease("sweep", "a", 10, now=5)  # renewed by its holder, until 15
    assert not db.take_lease("sweep", "b", 10, now=14)
    assert db.take_lease("sweep", "b", 10, now=16)  # expired: taken over
