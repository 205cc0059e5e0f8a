"""Ledger holds: charge once, release once, recover holds of a dead process."""

from __future__ import annotations

from pathlib import Path

import pytest

from atelier.accounting.accounts import Accounts
from atelier.accounting.ledger import Ledger
from atelier.database import Database
from atelier.errors import InsufficientCredits


def test_hold_charge_release(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3")
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
    assert ledger.release_abandoned() == 1
    assert accounts.by_id(user.id).credits == 40
