"""Custom styles: create from reference images, list, get, delete, generate with them.

The OpenAI SDK's requests go to the live server; the rules are tested in process."""

from __future__ import annotations

import base64
import io
import re
import struct
import uuid
import zlib
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from PIL import Image

from atelier.accounting.accounts import Accounts
from atelier.accounting.ledger import Ledger
from atelier.database import sqlite_url
from atelier.errors import InvalidRequest
from atelier.fetching import ImageFetcher
from atelier.inputs import ImageInputs
from atelier.storage.blobs import LocalBlobStore
from atelier.styles import StyleLibrary
from tests.conftest import (
    InProcess,
    Server,
    both_backends,
    error_of,
    open_database,
    png_bytes,
)

# Styles and their reference files on both back-ends: SQLite + a folder, PostgreSQL + S3.
in_process = both_backends


def create_style(
    http: httpx.Client, files: list[tuple[str, bytes]], style: str = "digital_illustration"
) -> httpx.Response:
    return http.post(
        "/v1/styles",
        data={"style": style},
        files=[(name, (f"{name}.png", data, "image/png")) for name, data in files],
    )


def test_sdk_example_creates_a_style_and_generates_with_it(
    client: openai.OpenAI, server: Server, token: str
) -> None:
    before = server.balance(token)
    style = client.post(
        path="/styles",
        cast_to=object,
        options={"headers": {"Content-Type": "multipart/form-data"}},
        body={"style": "digital_illustration"},
        files={"file1": png_bytes(color=(230, 20, 20)), "file2": png_bytes(color=(20, 20, 230))},
    )
    assert isinstance(style, dict)
    assert server.balance(token) == before - 40

    response = client.images.generate(
        prompt="wood potato masher",
        response_format="b64_json",
        extra_body={"style_id": style["id"], "controls": {"artistic_level": 0}},
    )
    assert response.data
    image = Image.open(io.BytesIO(base64.b64decode(response.data[0].b64_json or "")))
    # The style's palette (red and blue) dominates the generated image.
    colors = image.convert("RGB").resize((64, 64)).getcolors(64 * 64) or []
    reddish_or_bluish = 0
    for count, color in colors:
        assert isinstance(color, tuple)  # an RGB image reports (r, g, b)
        r, g, b = color[:3]
        reddish_or_bluish += count if (r > 150 and g < 90) or (b > 150 and g < 90) else 0
    assert reddish_or_bluish > 0.3 * 64 * 64


def test_list_get_delete_and_ownership(in_process: InProcess, local: httpx.Client) -> None:
    created = create_style(local, [("file", png_bytes())], style="vector_illustration")
    assert created.status_code == 200, created.text
    style_id = created.json()["id"]
    files = in_process.app.state.services.styles.files  # a folder, or S3
    assert list(files.listing(f"{style_id}/"))
    if isinstance(files, LocalBlobStore):
        stored = list((in_process.data_dir / "styles" / style_id).iterdir())
        assert all(path.stat().st_mode & 0o777 == 0o600 for path in stored)

    listed = local.get("/v1/styles").json()["styles"]
    assert [s["id"] for s in listed] == [style_id]
    got = local.get(f"/v1/styles/{style_id}").json()
    assert got["style"] == "vector_illustration" and got["images"] == 1
    assert got["colors"][0]["rgb"] == [200, 30, 30]

    stranger, _ = in_process.create_user()
    with in_process.http(stranger) as other:
        assert other.get(f"/v1/styles/{style_id}").status_code == 404
        assert other.delete(f"/v1/styles/{style_id}").status_code == 404
        denied = other.post("/v1/images/generations", json={"prompt": "x", "style_id": style_id})
        assert denied.status_code == 404 and error_of(denied)["param"] == "style_id"
        assert other.get("/v1/styles").json() == {"styles": []}

    # A vector custom style generates SVG at the vector price.
    generated = local.post("/v1/images/generations", json={"prompt": "x", "style_id": style_id})
    assert generated.json()["credits"] == 80

    assert local.delete(f"/v1/styles/{style_id}").status_code == 200
    assert local.get(f"/v1/styles/{style_id}").status_code == 404
    assert local.get("/v1/styles").json() == {"styles": []}
    assert list(files.listing(f"{style_id}/")) == []


def huge_png(width: int, height: int) -> bytes:
    """A tiny file declaring a huge 1-bit canvas: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("style", "files", "status", "param"),
    [
        ("digital_illustration", [], 400, "files"),
        ("digital_illustration", [("f", png_bytes())] * 11, 400, "files"),
        ("digital_illustration", [("images", png_bytes())] * 11, 400, "images"),
        ("oil_painting", [("f", png_bytes())], 400, "style"),
        ("any", [("f", png_bytes())], 400, "style"),
        ("digital_illustration", [("f", b"GIF89a not really")], 400, "files[0]"),
        ("digital_illustration", [("f", png_bytes()[:60])], 400, "files[0]"),
        ("digital_illustration", [("f", huge_png(20000, 20000))], 400, "files[0]"),
        ("digital_illustration", [("a", b"\0" * 5_300_000), ("b", b"\0" * 5_300_000)], 400, "files"),
        ("digital_illustration", [("a", b"\0" * (16 * 1024 * 1024))], 413, None),
    ],
)  # fmt: skip
def test_bad_style_uploads_are_refused_and_charge_nothing(
    in_process: InProcess,
    local_token: str,
    local: httpx.Client,
    style: str,
    files: list[tuple[str, bytes]],
    status: int,
    param: str | None,
) -> None:
    before = in_process.balance(local_token)
    response = create_style(local, files, style=style)
    assert response.status_code == status, response.text
    assert error_of(response)["param"] == param
    assert in_process.balance(local_token) == before
    assert local.get("/v1/styles").json() == {"styles": []}


def test_style_creation_needs_a_form_or_json(local: httpx.Client) -> None:
    response = local.post("/v1/styles", content=b"style=x", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert "multipart" in str(error_of(response)["message"])
    response = local.post("/v1/styles", json={"style": "digital_illustration"})
    assert response.status_code == 400 and error_of(response)["param"] == "image_urls"


def test_style_creation_needs_credits(in_process: InProcess) -> None:
    token, _ = in_process.create_user(credits=39)
    response = create_style(in_process.http(token), [("file", png_bytes())])
    assert response.status_code == 402
    assert in_process.http(token).get("/v1/styles").json() == {"styles": []}


# Recraft's current API (recraft-openapi.json): JSON image_urls, `images` parts, the
# CreateStyleRequestBase fields, Style objects and the basic styles.

RED, BLUE, GREEN = (230, 20, 20), (20, 20, 230), (20, 200, 20)
ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def data_url(color: tuple[int, int, int] = RED) -> str:
    return "data:image/png;base64," + base64.b64encode(png_bytes(color=color)).decode()


def create_json(local: httpx.Client, **body: object) -> httpx.Response:
    body.setdefault("image_urls", [data_url()])
    return local.post("/v1/styles", json=body)


def colors_of(style: dict[str, Any]) -> list[tuple[int, ...]]:
    return [tuple(c["rgb"]) for c in style["colors"]]


def test_json_image_urls_create_a_recraft_style_object(
    in_process: InProcess, local_token: str, local: httpx.Client
) -> None:
    before = in_process.balance(local_token)
    response = create_json(local, image_urls=[data_url(RED), data_url(BLUE)], style="icon")
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["credits"] == 40 and in_process.balance(local_token) == before - 40
    assert created["style"] == "icon" and created["is_private"] is True
    assert ISO_UTC.match(created["creation_time"]) and "substyle" not in created
    assert uuid.UUID(created["id"])
    assert set(colors_of(created)) == {RED, BLUE}

    got = local.get(f"/v1/styles/{created['id']}").json()
    assert {k: got[k] for k in ("id", "style", "is_private", "creation_time")} == {
        k: created[k] for k in ("id", "style", "is_private", "creation_time")
    }
    assert got["images"] == 2 and isinstance(got["created"], int)
    (listed,) = local.get("/v1/styles").json()["styles"]
    assert listed["id"] == created["id"] and listed["is_private"] is True
    assert ISO_UTC.match(listed["creation_time"])


def test_style_defaults_to_digital_illustration_or_vector_for_a_vector_model(
    local: httpx.Client,
) -> None:
    assert create_json(local).json()["style"] == "digital_illustration"
    vector = create_json(local, model="recraftv4_vector")
    assert vector.status_code == 200, vector.text
    assert vector.json()["style"] == "vector_illustration"
    assert vector.json()["model"] == "recraftv4_vector"
    assert create_json(local, style="logo_raster").json()["style"] == "logo_raster"


@pytest.mark.parametrize("count", [6, 10])
@pytest.mark.parametrize("name", ["images", "images[]"])
def test_multipart_images_take_up_to_ten_files(local: httpx.Client, count: int, name: str) -> None:
    files = [(name, png_bytes(color=(20 * i, 30, 30))) for i in range(count)]
    response = local.post(
        "/v1/styles",
        data={"private": "false", "match": "precise"},
        files=[(n, (f"{i}.png", data, "image/png")) for i, (n, data) in enumerate(files)],
    )
    assert response.status_code == 200, response.text
    assert response.json()["images"] == count and response.json()["is_private"] is False
    assert response.json()["match"] == "precise"


def test_sdk_multipart_with_new_fields(client: openai.OpenAI, http: httpx.Client) -> None:
    """The OpenAI SDK writes lists and objects in bracket style: image_weights[], palette[...]."""

    def create(body: dict[str, object]) -> dict[str, Any]:
        style = client.post(
            path="/styles",
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
            body=body,
            files=[("images", png_bytes(color=RED)), ("images", png_bytes(color=BLUE))],
        )
        assert isinstance(style, dict)
        got = http.get(f"/v1/styles/{style['id']}").json()
        assert isinstance(got, dict)
        return got

    weighted = create({"image_weights": [1, 0], "mix_policy": "PaletteMatch", "prompt": "warm"})
    assert colors_of(weighted) == [RED] and weighted["prompt"] == "warm"
    assert weighted["mix_policy"] == "PaletteMatch" and weighted["images"] == 2
    given = create({"palette": {"colors": [{"rgb": list(GREEN)}, {"rgb": list(RED)}]}})
    assert colors_of(given) == [GREEN, RED]


def test_image_weights_weight_the_palette(local: httpx.Client) -> None:
    both = create_json(local, image_urls=[data_url(RED), data_url(BLUE)], image_weights=[1, 0])
    assert both.status_code == 200, both.text
    assert colors_of(both.json()) == [RED]


def test_palette_given_is_the_style_palette(in_process: InProcess, local: httpx.Client) -> None:
    palette = {"colors": [{"rgb": [1, 2, 3], "weight": 0.7}, {"rgb": [250, 240, 10], "std": [1, 1, 1]}],
               "background_color": {"rgb": [255, 255, 255]}}  # fmt: skip
    created = create_json(local, palette=palette)
    assert created.status_code == 200, created.text
    got = local.get(f"/v1/styles/{created.json()['id']}").json()
    assert colors_of(got) == [(1, 2, 3), (250, 240, 10)]
    assert got["background_color"] == {"rgb": [255, 255, 255]}


def test_source_styles_mix_their_palettes_in(in_process: InProcess, local: httpx.Client) -> None:
    red = create_json(local, image_urls=[data_url(RED)]).json()["id"]
    mixed = create_json(local, image_urls=[data_url(BLUE)], source_styles=[red])
    assert mixed.status_code == 200, mixed.text
    assert set(colors_of(mixed.json())) == {RED, BLUE}
    heaviest = create_json(
        local, image_urls=[data_url(BLUE)], source_styles=[red], source_style_weights=[3],
        mix_policy="MaxWeight",
    )  # fmt: skip
    assert colors_of(heaviest.json()) == [RED]

    stranger, _ = in_process.create_user()
    with in_process.http(stranger) as other:
        before = in_process.balance(stranger)
        refused = create_json(other, source_styles=[red])
        assert refused.status_code == 404 and error_of(refused)["param"] == "source_styles[0]"
        assert in_process.balance(stranger) == before


def test_public_styles_work_for_other_users(in_process: InProcess, local: httpx.Client) -> None:
    public = create_json(local, private=False).json()
    private = create_json(local).json()
    assert public["is_private"] is False and private["is_private"] is True
    stranger, _ = in_process.create_user()
    with in_process.http(stranger) as other:
        assert other.get(f"/v1/styles/{public['id']}").json()["is_private"] is False
        assert other.get(f"/v1/styles/{private['id']}").status_code == 404
        assert other.get("/v1/styles").json() == {"styles": []}
        assert other.delete(f"/v1/styles/{public['id']}").status_code == 404
        generated = other.post(
            "/v1/images/generations", json={"prompt": "x", "style_id": public["id"]}
        )
        assert generated.status_code == 200, generated.text


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"colour": "red"}, "colour"),
        ({"image_urls": [data_url()] * 11}, "image_urls"),
        ({"image_urls": []}, "image_urls"),
        ({"image_urls": [data_url(), data_url()], "image_weights": [1]}, "image_weights"),
        ({"image_weights": [-1]}, "image_weights[0]"),
        ({"image_weights": [0]}, "image_weights"),
        ({"source_styles": [], "source_style_weights": [1]}, "source_style_weights"),
        ({"source_styles": [str(uuid.uuid4())]}, "source_styles[0]"),
        ({"style": "any"}, "style"),
        ({"style": "icon", "model": "recraftv3"}, "style"),
        ({"style": "vector_illustration", "model": "recraftv4_raster"}, "style"),
        ({"model": "recraftv9"}, "model"),
        ({"match": "exact"}, "match"),
        ({"mix_policy": "Average"}, "mix_policy"),
        ({"palette": {"colors": []}}, "palette.colors"),
        ({"palette": {"colors": [{"rgb": [1, 2]}]}}, "palette.colors[0].rgb"),
        ({"private": "maybe"}, "private"),
        ({"image_urls": ["data:image/png;base64,%%%"]}, "image_urls[0]"),
        ({"image_urls": [data_url(), "data:image/png;base64,R0lGODlh"]}, "image_urls[1]"),
        ({"image_urls": ["ftp://example.com/a.png"]}, "image_urls[0]"),
        ({"image_urls": ["http://127.0.0.1:9/a.png"]}, "image_urls[0]"),  # the SSRF guard
        ({"image_urls": ["http://localhost/a.png"]}, "image_urls[0]"),
    ],
)  # fmt: skip
def test_bad_json_styles_are_refused_and_charge_nothing(
    in_process: InProcess,
    local_token: str,
    local: httpx.Client,
    body: dict[str, object],
    param: str,
) -> None:
    before = in_process.balance(local_token)
    response = create_json(local, **body)
    assert response.status_code in (400, 404), response.text
    assert error_of(response)["param"] == param
    assert in_process.balance(local_token) == before
    assert local.get("/v1/styles").json() == {"styles": []}


def test_unknown_multipart_field_is_refused(local: httpx.Client) -> None:
    response = local.post(
        "/v1/styles",
        data={"style": "digital_illustration", "colour": "red"},
        files=[("file", ("a.png", png_bytes(), "image/png"))],
    )
    assert response.status_code == 400 and error_of(response)["param"] == "colour"
    mismatch = local.post(
        "/v1/styles",
        data={"image_weights": ["1", "2"]},
        files=[("images", ("a.png", png_bytes(), "image/png"))],
    )
    assert mismatch.status_code == 400 and error_of(mismatch)["param"] == "image_weights"
    as_json = local.post(
        "/v1/styles",
        data={"palette": '{"colors": [{"rgb": [9, 8, 7]}]}', "source_styles": "[]"},
        files=[("images", ("a.png", png_bytes(), "image/png"))],
    )
    assert as_json.status_code == 200, as_json.text
    assert colors_of(as_json.json()) == [(9, 8, 7)]


def test_basic_styles_are_listed_and_usable_by_everyone(
    in_process: InProcess, local: httpx.Client
) -> None:
    assert in_process.http().get("/v1/styles/basic").status_code == 401
    styles = local.get("/v1/styles/basic").json()["styles"]
    assert styles and all(set(s) == {"style_id", "style", "model"} for s in styles)
    assert len({s["style_id"] for s in styles}) == len(styles)
    assert {s["model"] for s in styles} == {"recraftv3", "recraftv4"}
    assert local.get("/v1/styles/basic").json()["styles"] == styles  # stable ids
    basic = next(
        s for s in styles if s["style"] == "digital_illustration" and s["model"] == "recraftv3"
    )

    stranger, _ = in_process.create_user()
    with in_process.http(stranger) as other:
        got = other.get(f"/v1/styles/{basic['style_id']}").json()
        assert got["style"] == "digital_illustration" and got["is_private"] is False
        before = in_process.balance(stranger)
        generated = other.post(
            "/v1/images/generations", json={"prompt": "a fox", "style_id": basic["style_id"]}
        )
        assert generated.status_code == 200, generated.text
        assert generated.json()["credits"] == 40
        assert in_process.balance(stranger) == before - 40
        assert other.delete(f"/v1/styles/{basic['style_id']}").status_code == 403
        assert other.get("/v1/styles").json() == {"styles": []}


def test_inline_styles_from_style_references_are_stored_without_a_charge(tmp_path: Path) -> None:
    db = open_database(sqlite_url(tmp_path / "atelier.sqlite3"))
    user = Accounts(db).create_user("inline@example.com", None, 100)
    limit = 5 * 1024 * 1024
    fetcher = ImageFetcher(frozenset(), limit, 1.0)
    library = StyleLibrary(
        db, tmp_path / "styles", Ledger(db), 40, limit, ImageInputs(fetcher, limit)
    )
    style = library.create_inline(user.id, [("style_references[0]", png_bytes(color=RED))])
    assert library.get(user.id, style.id).palette == (RED,)
    assert Accounts(db).by_id(user.id).credits == 100
    with pytest.raises(InvalidRequest) as refused:
        library.create_inline(user.id, [("style_references[0]", b"not an image")])
    assert refused.value.param == "style_references[0]"
    with pytest.raises(InvalidRequest) as too_many:
        library.create_inline(user.id, [(f"style_references[{i}]", png_bytes()) for i in range(11)])
    assert too_many.value.param == "style_references"
