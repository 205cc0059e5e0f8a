"""Checking uploaded images: format, byte size and dimensions, before anything is decoded."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from atelier.errors import InvalidRequest

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int = 5 * 1024 * 1024
    max_pixels: int = 16 * 1024 * 1024
    max_side: int = 4096
    min_side: int = 1


def open_image(data: bytes, field: str, limits: ImageLimits) -> Image.Image:
    """Decode an uploaded PNG/JPG/WEBP after checking its header against ``limits``.

    The header is read first and the dimensions checked before pixel data is touched, so a
    small file that claims a huge canvas (a decompression bomb) is refused without decoding.
    """
    if len(data) > limits.max_bytes:
        raise InvalidRequest(
            f"{field} is {len(data)} bytes; the limit is {limits.max_bytes} bytes (5 MB)",
            param=field,
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidRequest(
            f"{field} is not a PNG, JPG or WEBP image (or it is too large to open)", param=field
        ) from None
    width, height = image.size
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise InvalidRequest(
            f"{field} is {width}x{height}; images may have at most {limits.max_pixels} pixels "
            f"and at most {limits.max_side} px on a side",
            param=field,
        )
    if min(width, height) < limits.min_side:
        raise InvalidRequest(
            f"{field} is {width}x{height}; its shorter side must be at least {limits.min_side} px",
            param=field,
        )
    try:
        image.load()
    except (OSError, SyntaxError):
        # Pillow reports corrupt or truncated streams through these; they are the client's.
        raise InvalidRequest(f"{field} is a damaged or truncated image", param=field) from None
    return image
