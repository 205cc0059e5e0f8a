"""Input images as clients send them: uploaded bytes, http(s) URLs or data: URLs.

Recraft's current API takes every image either as a multipart file or, in a JSON body, as
``image_url`` / ``mask_url`` (and ``image_urls`` for styles): an http(s) URL, fetched through
the SSRF-guarded fetcher, or a ``data:`` URL carrying the bytes inline. The domain receives an
``ImageSource`` and reads it only after every cheap check has passed.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from PIL import Image

from atelier.catalog import ImageLimits
from atelier.errors import AtelierError, InvalidRequest
from atelier.fetching import ImageFetcher
from atelier.uploads import open_image, open_mask


@dataclass(frozen=True)
class ImageSource:
    """One input image: ``data`` (uploaded) or ``url`` (to read), named by the field it came in."""

    field: str
    data: bytes | None = None
    url: str | None = None

    def __post_init__(self) -> None:
        if (self.data is None) == (self.url is None):
            raise ValueError("an ImageSource has either data or a url")


class ImageInputs:
    """Reads ``ImageSource``s: bytes as they are, data: URLs decoded, http(s) URLs fetched."""

    def __init__(self, fetcher: ImageFetcher, max_bytes: int) -> None:
        self.fetcher = fetcher
        self.max_bytes = max_bytes

    def open(self, source: ImageSource, limits: ImageLimits, decode: bool = True) -> Image.Image:
        """The image of ``source``, read and checked against ``limits`` (see uploads)."""
        return open_image(self.read(source), source.field, limits, decode)

    def open_mask(
        self, source: ImageSource, limits: ImageLimits, size: tuple[int, int]
    ) -> Image.Image:
        """The mask of ``source`` for an image of ``size`` (see uploads.open_mask)."""
        return open_mask(self.read(source), source.field, limits, size)

    def read(self, source: ImageSource) -> bytes:
        if source.data is not None:
            return source.data
        assert source.url is not None
        url = source.url.strip()
        if url[:5].lower() == "data:":
            return self._data_url(url, source.field)
        if url.split(":", 1)[0].lower() not in ("http", "https"):
            raise InvalidRequest(
                f"{source.field} must be an http(s) URL or a data: URL", param=source.field
            )
        try:
            return self.fetcher.fetch(url)
        except AtelierError as exc:
            # The fetcher speaks of prompt URLs by default; here the client fixes this field.
            exc.param = source.field
            raise

    def _data_url(self, url: str, field: str) -> bytes:
        header, comma, payload = url[5:].partition(",")
        payload = "".join(payload.split())  # base64 in data: URLs is often wrapped
        if not comma:
            raise InvalidRequest(f"{field} is a data: URL without a ',' before its data", field)
        # Base64 is 4/3 the size of the bytes: refuse an oversized payload before decoding it.
        if len(payload) > self.max_bytes * 4 // 3 + 4:
            raise InvalidRequest(
                f"{field} carries more than {self.max_bytes} bytes; the limit is "
                f"{self.max_bytes} bytes",
                param=field,
            )
        if header.lower().endswith(";base64"):
            try:
                return base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise InvalidRequest(f"{field} is a data: URL with invalid base64", field) from None
        return unquote_to_bytes(payload)
