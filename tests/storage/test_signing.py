"""UrlSigner: HMAC over the name and expiry."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from atelier.database import Database
from atelier.errors import Forbidden, NotFound
from atelier.storage.signing import UrlSigner, shared_secret


def test_one_key_for_every_server_on_the_database(database: Database) -> None:
    secret = shared_secret(database)
    # Another process on the same database (a replica, a restart) gets the same key.
    assert shared_secret(Database(database.url)) == secret and len(secret) == 64


def test_a_data_dir_made_before_keeps_its_key_file_s_key(
    tmp_path: Path, database: Database
) -> None:
    (tmp_path / "secret.key").write_text("ab" * 32 + "\n")
    db = database
    assert shared_secret(db, legacy_file=tmp_path / "secret.key") == b"ab" * 32
    (tmp_path / "secret.key").unlink()
    assert shared_secret(db, legacy_file=tmp_path / "secret.key") == b"ab" * 32


def test_sign_and_verify(database: Database) -> None:
    secret = shared_secret(database)
    signer = UrlSigner(secret, "https://img.example.com")
    url = signer.url("abc.png", 1000)
    assert url.startswith("https://img.example.com/images/abc.png?")
    sig = parse_qs(urlsplit(url).query)["signature"][0]
    signer.verify("abc.png", 1000, sig, now=999)
    with pytest.raises(NotFound):
        signer.verify("abc.png", 1000, sig, now=1001)
    with pytest.raises(Forbidden):
        signer.verify("abd.png", 1000, sig, now=999)
    with pytest.raises(Forbidden):
        UrlSigner(b"other", "x").verify("abc.png", 1000, sig, now=999)


def test_a_signature_with_non_ascii_characters_is_refused_not_a_crash(tmp_path: Path) -> None:
    signer = UrlSigner(b"k" * 32, "http://x")
    with pytest.raises(Forbidden):
        signer.verify("a.png", 2**31, "§J\ud800", now=0)
