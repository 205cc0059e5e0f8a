"""ImageStore over both blob stores (a local folder; S3 through moto's server): save, read and
sweep with an explicit clock, and what crashes leave behind."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from atelier.accounting.accounts import Accounts
from atelier.database import Database, sqlite_url
from atelier.errors import NotFound
from atelier.imaging.encoding import EncodedImage
from atelier.storage.blobs import BlobStore, LocalBlobStore, S3BlobStore
from atelier.storage.images import ImageStore
from tests.conftest import S3, open_database


@pytest.fixture(params=["local", "s3"])
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    if request.param == "local":
        yield LocalBlobStore(tmp_path / "images")
    else:
        s3: S3 = request.getfixturevalue("s3")
        yield S3BlobStore(s3.new_bucket(), "some/prefix", s3.client())


def test_sweep_removes_only_expired_images(database: Database, blobs: BlobStore) -> None:
    db = database
    user = Accounts(db).create_user("a@example.com")
    store = ImageStore(db, blobs, ttl_seconds=100)
    stored = store.save(user.id, EncodedImage(b"<svg/>", "svg"))
    image = store.read(stored.name)
    assert image.media_type == "image/svg+xml" and image.data == b"<svg/>"
    assert store.sweep(now=time.time()) == 0
    assert store.sweep(now=time.time() + 101) == 1
    with pytest.raises(NotFound):
        store.read(stored.name)
    with pytest.raises(NotFound):
        store.read("../../etc/passwd")
    assert list(blobs.listing()) == []


def test_a_failed_commit_stores_nothing(database: Database, blobs: BlobStore) -> None:
    store = ImageStore(database, blobs, 100)
    # No such user: the row's foreign key fails, before any bytes are written.
    with pytest.raises(Exception, match="(?i)foreign key"):
        store.save("no-such-user", EncodedImage(b"x", "png"))
    assert list(blobs.listing()) == []


def test_the_sweep_deletes_images_no_row_accounts_for(database: Database, blobs: BlobStore) -> None:
    db = database
    user = Accounts(db).create_user("a@example.com")
    store = ImageStore(db, blobs, ttl_seconds=100)
    kept = store.save(user.id, EncodedImage(b"kept", "png"))
    orphan = "00/00000000-0000-4000-8000-000000000000.png"  # bytes whose row never was
    blobs.put(orphan, b"x", "image/png")
    assert store.sweep() == 0  # nothing expired; the first sweep also looks for leftovers
    assert blobs.get(orphan) is None and store.read(kept.name).data == b"kept"
    blobs.put(orphan, b"x", "image/png")
    store.sweep()
    assert blobs.get(orphan) == b"x"  # the next look is an hour later
    assert store.delete_leftovers() == 1 and blobs.get(orphan) is None


def test_stale_unfinished_local_writes_are_deleted(tmp_path: Path, database: Database) -> None:
    blobs = LocalBlobStore(tmp_path / "images")
    store = ImageStore(database, blobs, ttl_seconds=100)
    folder = tmp_path / "images" / "11"
    folder.mkdir()
    stale = folder / "11111111-1111-4111-8111-111111111111.png.part"
    fresh = folder / "22222222-2222-4222-8222-222222222222.png.part"  # being written now
    for path in (stale, fresh):
        path.write_bytes(b"x")
    hour_ago = time.time() - 3601
    os.utime(stale, (hour_ago, hour_ago))
    assert store.delete_leftovers() == 1
    assert not stale.exists() and fresh.exists()


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_data_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite3"
    old.touch(mode=0o644)  # as an older atelier left it
    Database(sqlite_url(old))
    assert mode(old) == 0o600
    db = open_database(sqlite_url(tmp_path / "db.sqlite3"))
    user = Accounts(db).create_user("a@example.com")  # a write: the WAL file exists now
    assert mode(tmp_path / "db.sqlite3") == 0o600
    assert mode(tmp_path / "db.sqlite3-wal") == 0o600
    stored = ImageStore(db, tmp_path / "images", 100).save(user.id, EncodedImage(b"x", "png"))
    assert mode(tmp_path / "images" / stored.id[:2] / stored.name) == 0o600


def test_s3_objects_carry_their_content_type(database: Database, s3: S3) -> None:
    bucket = s3.new_bucket()
    db = database
    user = Accounts(db).create_user("a@example.com")
    store = ImageStore(db, S3BlobStore(bucket, "imgs", s3.client()), 100)
    stored = store.save(user.id, EncodedImage(b"RIFF....WEBP", "webp"))
    head = s3.client().head_object(Bucket=bucket, Key=f"imgs/{stored.id[:2]}/{stored.name}")
    assert head["ContentType"] == "image/webp" and head["ContentLength"] == 12
