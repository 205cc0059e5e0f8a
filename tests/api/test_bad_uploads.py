"""Bad multipart uploads to the edit and tool endpoints: a 400 naming the field, and no charge."""

from __future__ import annotations

import httpx
import pytest
from PIL import Image

from tests.conftest import assert_rejected, encode, logo, photo


def gray(size: tuple[int, int]) -> bytes:
    return encode(Image.new("L", size, 128))


BAD_UPLOADS = [
    # The generative edits.
    ("/v1/images/imageToImage", {"prompt": "x"}, {"image": encode(photo())}, "strength", "required"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "1.5"}, {"image": encode(photo())}, "strength", "1"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5", "model": "recraftv9"}, {"image": encode(photo())}, "model", "unknown"),
    ("/v1/images/imageToImage", {"strength": "0.5"}, {"image": encode(photo())}, "prompt", "required"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {}, "image", "required"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": encode(photo((200, 300)))}, "image", "256"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": encode(photo((4100, 300)))}, "image", "4096"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": encode(Image.new("RGB", (4096, 4000)))}, "image", "16,000,000"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": encode(photo(), "GIF")}, "image", "PNG, JPG or WEBP"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5"}, {"image": b"\x89PNG" + b"\x00" * (5 * 1024 * 1024)}, "image", "5 MB"),
    ("/v1/images/imageToImage", {"prompt": "x", "strength": "0.5", "controls": "{bad"}, {"image": encode(photo())}, "controls", "JSON"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo())}, "mask", "required"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo()), "mask": encode(photo())}, "mask", "grayscale"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo()), "mask": gray((320, 256))}, "mask", "pure black"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo()), "mask": encode(Image.new("L", (300, 256)))}, "mask", "same size"),
    ("/v1/images/inpaint", {"prompt": "x", "style": "icon"}, {"image": encode(photo()), "mask": encode(Image.new("L", (320, 256)))}, "style", "recraftv2"),
    ("/v1/images/inpaint", {"prompt": "x"}, {"image": encode(photo()), "mask": encode(Image.new("L", (320, 256))), "extra": b"x"}, "extra", "unexpected"),
    ("/v1/images/variateImage", {}, {"image": encode(photo())}, "size", "required"),
    ("/v1/images/variateImage", {"size": "10x10"}, {"image": encode(photo())}, "size", "1024x1024"),
    ("/v1/images/variateImage", {"size": "1024x1024", "n": "9"}, {"image": encode(photo())}, "n", "6"),
    # The image tools.
    ("/v1/images/vectorize", {"response_format": "url"}, {"file": encode(logo((255, 300)))}, "file", "256"),
    ("/v1/images/crispUpscale", {"response_format": "url"}, {"file": encode(logo((31, 300)))}, "file", "32"),
    ("/v1/images/crispUpscale", {"response_format": "url"}, {"file": encode(Image.new("RGB", (2100, 2000)))}, "file", "4,000,000"),
    ("/v1/images/eraseRegion", {"response_format": "url"}, {"image": encode(Image.new("RGB", (2100, 2000))), "mask": encode(Image.new("L", (2100, 2000)))}, "image", "4,000,000"),
    ("/v1/images/eraseRegion", {"response_format": "url"}, {"image": encode(logo())}, "mask", "required"),
    ("/v1/images/eraseRegion", {"response_format": "url"}, {"image": encode(logo()), "mask": encode(Image.new("L", (320, 256), 7))}, "mask", "pure black"),
    ("/v1/images/removeBackground", {"response_format": "url"}, {}, "image", "'image' or 'file'"),
    ("/v1/images/removeBackground", {"response_format": "url"}, {"file": b"not an image"}, "file", "PNG, JPG or WEBP"),
    ("/v1/images/creativeUpscale", {"response_format": "url"}, {"file": encode(logo()), "mask": encode(logo())}, "mask", "unexpected"),
]  # fmt: skip


@pytest.mark.parametrize(("path", "data", "files", "param", "hint"), BAD_UPLOADS)
def test_bad_uploads_are_400_naming_the_field_and_charge_nothing(
    local: httpx.Client,
    path: str,
    data: dict[str, str],
    files: dict[str, bytes],
    param: str,
    hint: str,
) -> None:
    # In process: rules and bad input need no server process (tests/conftest.InProcess).
    before = local.get("/v1/users/me").json()["credits"]
    # The server reads parts by field name; their file names are not looked at.
    parts = {name: (f"{name}.bin", content) for name, content in files.items()}
    assert_rejected(local.post(path, data=data, files=parts or None), param, hint)
    assert local.get("/v1/users/me").json()["credits"] == before
