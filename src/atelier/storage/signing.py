"""HMAC signing of public image URLs, so that links cannot be forged or extended."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

from atelier.database import Database
from atelier.errors import Forbidden, NotFound


def shared_secret(db: Database, legacy_file: Path | None = None) -> bytes:
    """The URL-signing key every server on ``db`` shares: kept in the database, created once,
    so that a URL signed by one replica verifies on every other (and across restarts).

    A data dir made by an older atelier kept its key in a file (``legacy_file``): that key is
    adopted, so the URLs already handed out stay valid."""
    row = db.query_one("SELECT value FROM server_secrets WHERE name = 'url_signing'")
    if row is None:
        if legacy_file is not None and legacy_file.is_file():
            candidate = legacy_file.read_text().strip()
        else:
            candidate = secrets.token_hex(32)
        with db.transaction() as tx:
            # DO NOTHING: another replica starting at the same moment may have put its key first.
            tx.execute(
                "INSERT INTO server_secrets (name, value) VALUES ('url_signing', :value) "
                "ON CONFLICT (name) DO NOTHING",
                {"value": candidate},
            )
            row = tx.row("SELECT value FROM server_secrets WHERE name = 'url_signing'")
    assert row is not None
    return str(row["value"]).encode()


class UrlSigner:
    def __init__(self, secret: bytes, base_url: str) -> None:
        self._secret = secret
        self.base_url = base_url

    def _signature(self, name: str, expires: int) -> str:
        digest = hmac.new(self._secret, f"{name}:{expires}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def url(self, name: str, expires: int) -> str:
        """Absolute public URL of the image file ``name`` (``<uuid>.<ext>``)."""
        sig = self._signature(name, expires)
        return f"{self.base_url}/images/{name}?expires={expires}&signature={sig}"

    def verify(self, name: str, expires: int | None, signature: str | None, now: float) -> int:
        """Check a URL's expiry and signature; returns the expiry."""
        if expires is None or signature is None:
            raise Forbidden("image URLs must carry their expires and signature", "signature")
        # As bytes: compare_digest refuses str with non-ASCII characters (a hostile URL's).
        expected = self._signature(name, expires).encode()
        if not hmac.compare_digest(expected, signature.encode("utf-8", "replace")):
            raise Forbidden("the image URL signature is not valid", param="signature")
        if expires < now:
            raise NotFound("this image link has expired; images are kept for a limited time")
        return expires
