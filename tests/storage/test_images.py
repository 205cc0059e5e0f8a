"""ImageStore: save, open and sweep, with an explicit clock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from atelier.accounting.accounts import Accounts
from atelier.database import Database
from atelier.errors import NotFound
from atelier.imaging.encoding import EncodedImage
from atelier.storage.images import ImageStore


def test_sweep_removes_only_expired_images(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3")
    user = Accounts(db).create_user("a@example.com")
    store = ImageStore(db, tmp_path / "images", ttl_seconds=100)
    stored = store.save(user.id, EncodedImage(b"<svg/>", "svg"))
    image = store.open(stored.name)
    assert image.media_type == "image/svg+xml" and image.path.read_bytes() == b"<svg/>"
    assert store.sweep(now=time.time()) == 0
    assert store.sweep(now=time.time() + 101) == 1
    with pytest.raises(NotFound):
        store.open(stored.name)
    with pytest.raises(NotFound):
        store.open("../../etc/passwd")
