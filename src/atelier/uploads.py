"""Checking uploaded images: format, byte size and dimensions, before anything is decoded."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from atelier.catalog import ImageLimits
from atelier.errors import InvalidRequest

ACCEPTED_FORMATS = ("PNG", "JPEG", "WEBP")
GRAYSCALE_MODES = ("L", "1")


def open_image(data: bytes, field: str, limits: ImageLimits, decode: bool = True) -> Image.Image:
    """Decode an uploaded PNG/JPG/WEBP after checking its header against ``limits``.

    The header is read first and the dimensions checked before pixel data is touched, so a
    small file that claims a huge canvas (a decompression bomb) is refused without decoding.
    With ``decode`` false only the header is checked: for a tool that passes the upload on
    as it came (an upstream's), which decodes and checks it itself.
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
    except ValueError:
        # Pillow refuses text and colour-profile chunks (zTXt, iTXt, iCCP) that decompress
        # past its limit with a ValueError.
        raise InvalidRequest(
            f"{field} has a metadata chunk that is too large or damaged", param=field
        ) from None
    width, height = image.size
    if width * height > limits.max_pixels or max(width, height) > limits.max_side:
        raise InvalidRequest(
            f"{field} is {width}x{height}; it may have at most {limits.max_pixels:,} pixels "
            f"and at most {limits.max_side} px on a side",
            param=field,
        )
    if min(width, height) < limits.min_side:
        raise InvalidRequest(
            f"{field} is {width}x{height}; its shorter side must be at least {limits.min_side} px",
            param=field,
        )
    image.uploaded_bytes = data  # type: ignore[attr-defined]  # see uploaded_bytes
    if not decode:  # checked header only: passed on as it came
        return image
    try:
        image.load()
    except (OSError, SyntaxError, ValueError):
        # Pillow reports corrupt or truncated streams through these; they are the client's.
        raise InvalidRequest(f"{field} is a damaged or truncated image", param=field) from None
    return image


def uploaded_bytes(image: Image.Image) -> bytes | None:
    """The bytes ``image`` was decoded from by open_image, to pass an upload on as it came
    (gateway mode). Pillow's operations make new image objects, which do not carry them, so
    only an upload nobody converted or resized is passed on as its bytes."""
    data = getattr(image, "uploaded_bytes", None)
    return data if isinstance(data, bytes) else None


def open_mask(data: bytes, field: str, limits: ImageLimits, size: tuple[int, int]) -> Image.Image:
    """A mask as the spec defines it: grayscale, only 0 and 255, the image's size; mode "L"."""
    return check_mask(open_image(data, field, limits), field, size)


def check_mask(mask: Image.Image, field: str, size: tuple[int, int]) -> Image.Image:
    """``mask`` as mode "L" if it is a valid mask for an image of ``size`` (see open_mask)."""
    if mask.mode not in GRAYSCALE_MODES:
        raise InvalidRequest(
            f"{field} must be a grayscale image (it is {mask.mode}); white = change, black = keep",
            param=field,
        )
    if mask.size != size:
        raise InvalidRequest(
            f"{field} is {mask.width}x{mask.height} but the image is {size[0]}x{size[1]}; "
            "they must be the same size",
            param=field,
        )
    mask = mask.convert("L")  # mode "1" becomes 0/255
    histogram = mask.histogram()
    if sum(histogram[1:255]):
        raise InvalidRequest(
            f"{field} has gray pixels; every pixel must be pure black (0) or pure white (255)",
            param=field,
        )
    return mask
