"""ImageStore: save, open and sweep, with an explicit clock."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from atelier.accounting.accounts import Accounts
from atelier.database import Database
from atelier.errors import NotFound
from atelier.imaging.encoding import EncodedImage
from atelier.storage.images import ImageStore
from atelier.storage.signing import load_or_create_secret


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


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_data_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    old.touch(mode=0o644)  # as an older atelier left it
    Database(old)
    assert mode(old) == 0o600
    db = Database(tmp_path / "db.sqlite3")
    user = Accounts(db).create_user("a@example.com")  # a write: the WAL file exists now
    assert mode(tmp_path / "db.sqlite3") == 0o600
    assert mode(tmp_path / "db.sqlite3-wal") == 0o600
    stored = ImageStore(db, tmp_path / "images", 100).save(user.id, EncodedImage(b"x", "png"))
    assert mode(tmp_path / "images" / stored.id[:2] / stored.name) == 0o600
    load_or_create_secret(tmp_path / "secret.key")
    assert mode(tmp_path / "secret.key") == 0o600


def test_a_failed_commit_leaves_no_file(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3")
    store = ImageStore(db, tmp_path / "images", 100)
    # No such user: the row's foreign key fails as a crash between write and commit would.
    with pytest.raises(Exception, match="FOREIGN KEY"):
        store.save("no-such-user", EncodedImage(b"x", "png"))
    assert [p for p in (tmp_path / "images").rglob("*") if p.is_file()] == []


def test_the_sweep_deletes_what_crashes_left_behind(tmp_path: Path) -> None:
    db = Database(tmp_path / "db.sqlite3")
    user = Accounts(db).create_user("a@example.com")
    store = ImageStore(db, tmp_path / "images", ttl_seconds=100)
    kept = store.save(user.id, EncodedImage(b"kept", "png"))
    folder = tmp_path / "images" / kept.id[:2]
    orphan = folder / "00000000-0000-4000-8000-000000000000.png"  # a file with no row
    stale = folder / "11111111-1111-4111-8111-111111111111.png.part"
    fresh = folder / "22222222-2222-4222-8222-222222222222.png.part"  # being written now
    for path in (orphan, stale, fresh):
        path.write_bytes(b"x")
    hour_ago = time.time() - 3601
    os.utime(stale, (hour_ago, hour_ago))
    assert store.sweep() == 0  # nothing expired; the first sweep also looks for leftovers
    assert not orphan.exists() and not stale.exists()
    assert fresh.exists() and store.open(kept.name).path.read_bytes() == b"kept"
    orphan.write_bytes(b"x")
    store.sweep()
    assert orphan.exists()  # the next look is an hour later
    assert store.delete_leftovers() == 1 and not orphan.exists()
