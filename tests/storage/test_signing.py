"""UrlSigner: HMAC over the name and expiry."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from atelier.errors import Forbidden, NotFound
from atelier.storage.signing import UrlSigner, load_or_create_secret


def test_sign_and_verify(tmp_path: Path) -> None:
    secret = load_or_create_secret(tmp_path / "secret.key")
    assert load_or_create_secret(tmp_path / "secret.key") == secret  # stable across restarts
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
    signer = UrlSigner(load_or_create_secret(tmp_path / "secret.key"), "http://x")
    with pytest.raises(Forbidden):
        signer.verify("a.png", 2**31, "§J\ud800", now=0)
