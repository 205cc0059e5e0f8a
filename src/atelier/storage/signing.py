"""HMAC signing of public image URLs, so that links cannot be forged or extended."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

from atelier.errors import Forbidden, NotFound
from atelier.storage.files import write_private


def load_or_create_secret(path: Path) -> bytes:
    """The server's signing key, created once per data dir so URLs survive restarts."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        write_private(tmp, secrets.token_hex(32).encode())
        tmp.replace(path)
    return path.read_text().strip().encode()


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
