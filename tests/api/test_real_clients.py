"""Real third-party clients of the Recraft API against the live server.

* nbr23-recraft (PyPI): a command line client. Every one of its 18 commands runs in-process
  against a live server of this module, exactly as a user would type it.
* Recraft's own MCP server (github.com/recraft-ai/mcp-recraft-server, Node). It is not on the
  npm registry, so CI cannot run it; each of its 9 tools is replayed here byte for byte as it
  calls the API (undici's multipart framing, JSON.stringify's compact bodies, its headers), and
  its handling of the answer is replayed too: it downloads every result URL without
  credentials, refuses any Content-Type but five exact ones, decodes the image (sharp) and
  writes it to ``<storage>/<image_id>.<ext>``.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import recraft
from PIL import Image, ImageChops

from tests.conftest import Server, encode, logo, photo, square_mask, start_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A live server whose matting and upscaling are the fast stand-ins of tests/stand_ins.py:
    what these tests check is the clients' requests and the answers' shapes, not a model's
    output (tested in tests/tools and test_tools.py), and the real models take seconds each."""
    srv = start_server(
        tmp_path_factory.mktemp("clients"),
        ATELIER_MATTING_ENGINE="tests.stand_ins:HalfMatting",
        ATELIER_UPSCALE_ENGINE="tests.stand_ins:LanczosUpscaler",
    )
    yield srv
    srv.stop()


SVG = "{http://www.w3.org/2000/svg}svg"


def raster(path: str | Path, fmt: str = "PNG") -> Image.Image:
    """The decoded image in a file the client wrote, checked to be a ``fmt`` file."""
    image = Image.open(path)
    image.load()
    assert image.format == fmt, (path, image.format)
    return image


def svg_root(data: bytes | str | Path) -> ET.Element:
    root = ET.parse(data).getroot() if isinstance(data, Path) else ET.fromstring(data)
    assert root.tag == SVG, root.tag
    return root


def data_url(data: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(data).decode()


# --- nbr23-recraft ---------------------------------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str


@dataclass
class RecraftCli:
    """`recraft ARGS...` in-process against the live server, as one fresh user."""

    server: Server
    token: str
    home: Path
    capsys: pytest.CaptureFixture[str]

    def __call__(self, *argv: str) -> Run:
        self.capsys.readouterr()
        code = recraft.main(list(argv))
        out, err = self.capsys.readouterr()
        return Run(code, out, err)

    def ok(self, *argv: str) -> dict[str, Any]:
        """``--json`` output of a command that must succeed, with no mismatch warning."""
        run = self(*argv, "--json")
        assert run.code == 0, run.err
        # The CLI warns when the bytes it downloaded are not what the file name says.
        assert "contents are" not in run.err, run.err
        result: dict[str, Any] = json.loads(run.out)
        return result

    def charged(self, units: int, *argv: str) -> dict[str, Any]:
        """``ok`` for a billable command: it reports ``units`` credits, and the balance drops
        by as much."""
        before = self.balance()
        result = self.ok(*argv)
        assert result["credits"] == units, result
        assert self.balance() == before - units
        return result

    def balance(self) -> int:
        return self.server.balance(self.token)


@pytest.fixture
def cli(
    server: Server,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> RecraftCli:
    token, _ = server.create_user(credits=100_000)
    # The CLI builds f"{BASE_URL}/v1/...": the root URL, with no /v1 and no trailing slash.
    monkeypatch.setattr(recraft, "BASE_URL", server.url)
    monkeypatch.setattr(recraft, "MIN_REQUEST_INTERVAL", 0)
    monkeypatch.setattr(recraft, "MAX_ATTEMPTS", 1)  # a 429/5xx fails at once, unretried

    def no_retry(*args: object) -> None:
        raise AssertionError("the CLI tried to retry a request")

    monkeypatch.setattr(recraft, "sleep_for_retry", no_retry)
    monkeypatch.setenv("RECRAFT_API_TOKEN", token)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # models/styles 24 h caches
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.config/recraft/token
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    photo((256, 256)).save(tmp_path / "photo.png")
    logo((256, 256)).save(tmp_path / "logo.png")
    square_mask((256, 256), (96, 96, 159, 159)).save(tmp_path / "mask.png")
    logo((64, 64)).save(tmp_path / "tiny.png")
    return RecraftCli(server, token, tmp_path, capsys)


def assert_kept_outside_the_mask(out: Image.Image, home: Path) -> None:
    """Away from the masked square (2 px of blending allowed), the source is unchanged."""
    source = Image.open(home / "photo.png").convert("RGB")
    keep = ImageChops.invert(square_mask((256, 256), (94, 94, 161, 161)))
    diff = ImageChops.difference(out, source).convert("L")
    changed = ImageChops.multiply(diff, keep).point(lambda v: 255 if v > 2 else 0)
    assert changed.getbbox() is None, changed.getbbox()


def only_file(result: dict[str, Any]) -> dict[str, Any]:
    (file,) = result["files"]
    assert Path(file["path"]).is_file() and file["bytes"] == Path(file["path"]).stat().st_size
    assert file["image_id"], file
    return dict(file)


def test_generate_with_the_default_model(cli: RecraftCli) -> None:
    result = cli.charged(35, "generate", "a red bicycle", "-o", "out/")
    assert result["command"] == "generate" and result["model"] == "recraftv4_1"
    file = only_file(result)
    path = Path(file["path"])
    assert path.parent == cli.home / "out" and path.name.startswith("a-red-bicycle-")
    assert raster(path).size == (1024, 1024) and file["size"] == "1024x1024"
    # The plain output: one line per file, path, size, model, credits.
    run = cli("generate", "a red bicycle", "-o", "out/bike.png")
    assert run.code == 0, run.err
    assert (
        run.out == f"{cli.home / 'out' / 'bike.png'}  1024x1024  recraftv4_1  35 credits ($0.035)\n"
    )


def test_generate_aspect_ratio_size_creativity_count_and_webp(cli: RecraftCli) -> None:
    result = cli.charged(
        70, "generate", "a lighthouse", "--size", "16:9", "--creativity", "eccentric",
        "-n", "2", "--format", "webp", "--seed", "7", "-o", "out/",
    )  # fmt: skip
    assert len(result["files"]) == 2
    for file in result["files"]:
        assert file["path"].endswith(".webp")
        width, height = raster(file["path"], "WEBP").size
        assert abs(width / height - 16 / 9) < 0.05, (width, height)
    assert result["files"][0]["image_id"] != result["files"][1]["image_id"]


def test_generate_vector(cli: RecraftCli) -> None:
    result = cli.charged(80, "generate", "a fox logo", "--vector", "-o", "out/")
    assert result["model"] == "recraftv4_1_vector"
    file = only_file(result)
    assert file["path"].endswith(".svg")
    svg_root(Path(file["path"]))
    v3 = cli.ok("generate", "a fox logo", "--vector", "--model", "recraftv3", "-o", "out/")
    assert v3["model"] == "recraftv3_vector"
    svg_root(Path(only_file(v3)["path"]))


def test_generate_upscale4mp(cli: RecraftCli) -> None:
    # 35 for the image, 4 for the crisp upscale that takes it to about 4 MP.
    result = cli.charged(39, "generate", "a harbour", "--upscale", "upscale4mp", "-o", "out/")
    width, height = raster(only_file(result)["path"]).size
    assert width * height >= 3_600_000 and width == height


def test_edit_uploads_the_image(cli: RecraftCli) -> None:
    result = cli.charged(
        40, "edit", "photo.png", "make it winter", "--strength", "0.3",
        "--creativity", "simple", "-o", "out/",
    )  # fmt: skip
    assert result["command"] == "edit" and result["model"] == "recraftv4_1"
    assert raster(only_file(result)["path"]).size == (256, 256)


def test_edit_with_a_data_url_sends_json(cli: RecraftCli) -> None:
    url = data_url((cli.home / "photo.png").read_bytes())
    result = cli.charged(40, "edit", "--image-url", url, "make it winter", "-o", "out/edited.png")
    assert raster(only_file(result)["path"]).size == (256, 256)


def test_inpaint_with_a_mask_file(cli: RecraftCli) -> None:
    result = cli.charged(
        40, "inpaint", "photo.png", "--mask", "mask.png", "a blue sun",
        "--creativity", "standard", "-o", "out/",
    )  # fmt: skip
    out = raster(only_file(result)["path"]).convert("RGB")
    assert out.size == (256, 256)
    assert_kept_outside_the_mask(out, cli.home)


def test_inpaint_with_data_urls(cli: RecraftCli) -> None:
    image = data_url((cli.home / "photo.png").read_bytes())
    mask = data_url((cli.home / "mask.png").read_bytes())
    result = cli.charged(
        40, "inpaint", "--image-url", image, "--mask-url", mask, "a blue sun", "-o", "out/"
    )
    assert raster(only_file(result)["path"]).size == (256, 256)


@pytest.mark.parametrize(
    ("argv", "units"),
    [
        # Its image and prompt are both optional positionals, so with --image-url a prompt
        # would be taken for the image: outpaint by URL goes without one (prompt "").
        (["outpaint", "--expand-left", "64"], 40),
        (["variate", "--size", "1024x1024"], 40),
        (["erase", "--mask-url", "MASK"], 2),
        (["replace-bg", "on a beach"], 40),
        (["generate-bg", "--mask-url", "MASK", "on a beach"], 40),
        (["remove-bg"], 10),
        (["vectorize", "--max-shapes", "20"], 10),
        (["upscale"], 4),
    ],
    ids=lambda value: value[0] if isinstance(value, list) else None,
)
def test_image_url_input_sends_json(cli: RecraftCli, argv: list[str], units: int) -> None:
    """``--image-url`` (and ``--mask-url``) switch every transform to a JSON body; with no
    network here, the URLs are data: URLs, which the CLI passes through."""
    image = data_url((cli.home / "photo.png").read_bytes())
    mask = data_url((cli.home / "mask.png").read_bytes())
    argv = [mask if arg == "MASK" else arg for arg in argv]
    result = cli.charged(units, *argv, "--image-url", image, "-o", "out/")
    path = Path(only_file(result)["path"])
    if path.suffix == ".svg":
        svg_root(path)
    else:
        raster(path)


@pytest.mark.parametrize(
    ("options", "check"),
    [
        (["--expand-right", "64", "--expand-top", "32"], lambda w, h: (w, h) == (320, 288)),
        (["--zoom-out", "50"], lambda w, h: w > 256 and w == h),
        (["--size", "16:9"], lambda w, h: abs(w / h - 16 / 9) < 0.05),
    ],
    ids=["expand", "zoom-out", "size-16:9"],
)
def test_outpaint(cli: RecraftCli, options: list[str], check: Any) -> None:
    result = cli.charged(
        40, "outpaint", "photo.png", "more forest", *options, "--creativity", "simple", "-o", "out/"
    )
    size = raster(only_file(result)["path"]).size
    assert check(*size), size


def test_outpaint_without_a_prompt(cli: RecraftCli) -> None:
    # PROMPT is optional; the CLI then sends prompt="" (the API requires the field).
    result = cli.charged(40, "outpaint", "photo.png", "--expand-left", "64", "-o", "out/")
    assert raster(only_file(result)["path"]).size == (320, 256)


def test_variate(cli: RecraftCli) -> None:
    result = cli.charged(
        80, "variate", "logo.png", "--size", "1024x1024", "-n", "2", "--seed", "3", "-o", "out/"
    )
    assert result["model"] == "recraftv4_1" and len(result["files"]) == 2
    first, second = (raster(file["path"]) for file in result["files"])
    assert first.size == second.size == (1024, 1024)
    assert ImageChops.difference(first.convert("RGB"), second.convert("RGB")).getbbox()


def test_erase(cli: RecraftCli) -> None:
    result = cli.charged(2, "erase", "photo.png", "--mask", "mask.png", "-o", "out/")
    out = raster(only_file(result)["path"]).convert("RGB")
    assert out.size == (256, 256)
    assert_kept_outside_the_mask(out, cli.home)


def test_replace_background(cli: RecraftCli) -> None:
    result = cli.charged(
        40, "replace-bg", "photo.png", "on a beach", "--creativity", "standard", "-o", "out/"
    )
    assert raster(only_file(result)["path"]).size == (256, 256)


def test_generate_background(cli: RecraftCli) -> None:
    result = cli.charged(
        40, "generate-bg", "photo.png", "--mask", "mask.png", "on wet asphalt", "-o", "out/"
    )
    assert raster(only_file(result)["path"]).size == (256, 256)


def test_remove_background(cli: RecraftCli) -> None:
    result = cli.charged(10, "remove-bg", "photo.png", "-o", "out/")
    image = raster(only_file(result)["path"])
    assert image.size == (256, 256) and image.mode == "RGBA"
    webp = cli.ok("remove-bg", "photo.png", "--format", "webp", "-o", "out/cut.webp")
    assert raster(only_file(webp)["path"], "WEBP").mode == "RGBA"


def test_vectorize_with_every_option(cli: RecraftCli) -> None:
    plain = svg_root(
        Path(only_file(cli.charged(10, "vectorize", "logo.png", "-o", "out/"))["path"])
    )
    assert (plain.get("width"), plain.get("height")) == ("256", "256")
    result = cli.charged(
        10, "vectorize", "photo.png", "--color-reduction", "on", "--max-shapes", "5",
        "--limit-num-shapes", "on", "--shape-stacking", "cut_out", "--small-shape-filter", "on",
        "--svg-compression", "on", "--return-gradients", "off", "-o", "out/limited.svg",
    )  # fmt: skip
    root = svg_root(Path(only_file(result)["path"]))
    shapes = [
        e
        for e in root.iter()
        if e.tag.rsplit("}", 1)[-1] in ("path", "rect", "circle", "polygon", "ellipse")
    ]
    assert 1 <= len(shapes) <= 5, len(shapes)
    gradients = [e for e in root.iter() if "Gradient" in e.tag]
    assert not gradients


def test_upscale_crisp(cli: RecraftCli) -> None:
    result = cli.charged(4, "upscale", "tiny.png", "-o", "out/")
    width, height = raster(only_file(result)["path"]).size
    assert width > 64 and width == height and width % 64 == 0


@pytest.mark.parametrize("mode", ["creative", "clarity", "generative"])
def test_slow_upscale_modes_reach_their_endpoints(cli: RecraftCli, mode: str) -> None:
    """creative / clarity / generative take minutes on a CPU for the smallest image they take
    (256 px), so the suite only checks that each endpoint is there and that its refusal of a
    64 px image reaches the user readably, at no charge (test_tools covers the upscaler)."""
    before = cli.balance()
    run = cli("upscale", "tiny.png", "--mode", mode, "-o", "out/")
    assert run.code == 1, run.err
    assert "API error 400" in run.err and "256" in run.err, run.err
    assert ("deprecated upstream" in run.err) == (mode != "creative")
    assert cli.balance() == before


def test_balance(cli: RecraftCli) -> None:
    run = cli("balance")
    assert run.code == 0 and run.out == "100000 API credits ($100.000)\n", run
    assert cli.ok("balance") == {"credits": 100_000, "usd": 100.0}


def test_models(cli: RecraftCli) -> None:
    run = cli("models")
    assert run.code == 0, run.err
    header, *rows = run.out.splitlines()
    assert header.split() == ["ID", "NAME", "USD/IMAGE"]
    table = {row.split()[0]: row.split()[-1] for row in rows}
    assert table["recraftv4_1"] == "0.035" and table["recraftv4_1_vector"] == "0.08"
    assert table["recraftv3"] == "0.04"
    assert all(model.startswith("recraft") for model in table)
    assert (cli.home / "cache" / "recraft" / "models.json").is_file()
    every = cli.ok("models", "--all", "--refresh")["data"]
    assert {m["id"] for m in every} >= set(table)


def test_styles(cli: RecraftCli) -> None:
    run = cli("styles", "--model", "recraftv3")
    assert run.code == 0, run.err
    header, *rows = run.out.splitlines()
    assert header.split() == ["STYLE", "MODEL", "STYLE_ID"]
    assert rows and all(row.split()[1] == "recraftv3" for row in rows)
    assert any(row.split()[0] == "realistic_image" for row in rows)
    assert (cli.home / "cache" / "recraft" / "styles.json").is_file()
    styles = cli.ok("styles")["styles"]
    assert "recraftv3" in {s["model"] for s in styles}
    assert all(set(s) >= {"style", "model", "style_id"} for s in styles)


def test_create_style_my_styles_and_delete_style(cli: RecraftCli) -> None:
    empty = cli("my-styles")
    assert empty.code == 0 and "no user-created styles" in empty.err and empty.out == ""
    before = cli.balance()
    created = cli("create-style", "photo.png", "logo.png", "--base-style", "digital_illustration",
                  "--prompt", "warm")  # fmt: skip
    assert created.code == 0, created.err
    style_id = created.out.strip()
    assert style_id and cli.balance() == before - 40
    private = cli.ok("create-style", "logo.png", "--base-style", "icon", "--private")
    assert private["style"] == "icon" and private["credits"] == 40
    listed = cli("my-styles")
    assert listed.code == 0, listed.err
    rows = {row.split()[0]: row.split() for row in listed.out.splitlines()[1:]}
    assert rows.keys() == {style_id, private["style_id"]}
    assert rows[style_id][1:3] == ["digital_illustration", "-"]
    mine = {s["id"]: s for s in cli.ok("my-styles")["styles"]}
    assert mine[private["style_id"]]["is_private"] is True
    assert mine[style_id]["creation_time"] and mine[style_id]["style"] == "digital_illustration"
    # The new style is usable at once.
    used = cli.ok("generate", "a fox", "--style-id", style_id, "--model", "recraftv3", "-o", "out/")
    raster(only_file(used)["path"])
    deleted = cli("delete-style", style_id)
    assert deleted.code == 0 and deleted.out == f"{style_id}\n", deleted.err
    assert [s["id"] for s in cli.ok("my-styles")["styles"]] == [private["style_id"]]
    again = cli("delete-style", style_id)
    assert again.code == 1 and "API error 404" in again.err, again.err


def test_enhance(cli: RecraftCli) -> None:
    before = cli.balance()
    run = cli("enhance", "a cat")
    assert run.code == 0, run.err
    enhanced = run.out.strip()
    assert enhanced and "\n" not in enhanced and enhanced != "a cat"
    assert cli.balance() == before - 1
    result = cli.ok("enhance", "a cat")
    assert result["prompt"] == "a cat" and result["enhanced_prompt"] and result["credits"] == 1


# --- Recraft's MCP server, replayed ------------------------------------------------------------

# What the MCP server's fetch() sends to the API, besides Authorization.
MCP_HEADERS = {
    "X-Client-Type": "mcp-recraft-server",
    "accept": "*/*",
    "accept-language": "*",
    "sec-fetch-mode": "cors",
    "user-agent": "node",
}
# The only Content-Types its downloadImage takes (compared exactly: no parameters).
MCP_MEDIA_TYPES = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/jpg": "JPEG",
    "image/webp": "WEBP",
    "image/svg+xml": "SVG",
}
MCP_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpeg",
    "image/jpg": "jpeg",
    "image/webp": "webp",
}
SAFE_FILE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")


def undici_form(parts: list[tuple[str, str | bytes]]) -> tuple[bytes, str]:
    """A multipart body framed exactly as Node's FormData (undici) frames it: every image is a
    Blob with no type, so it goes as filename "blob", application/octet-stream."""
    boundary = f"----formdata-undici-0{secrets.randbelow(10**11):011d}"
    body = b""
    for name, value in parts:
        if isinstance(value, bytes):
            body += (
                (
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="blob"\r\nContent-Type: application/octet-stream\r\n\r\n'
                ).encode()
                + value
                + b"\r\n"
            )
        else:
            body += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


@dataclass
class McpReplay:
    """The MCP server's API calls and result handling, for one user."""

    server: Server
    token: str
    email: str
    storage: Path  # IMAGE_STORAGE_DIRECTORY

    def request(
        self, method: str, path: str, content: bytes | None = None, content_type: str | None = None
    ) -> httpx.Response:
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {self.token}"}
        if content_type:
            headers["content-type"] = content_type
        return httpx.request(
            method, self.server.url + path, content=content, headers=headers, timeout=120
        )

    def _send(self, method: str, path: str, content: bytes | None, content_type: str | None) -> Any:
        response = self.request(method, path, content, content_type)
        # The MCP server turns any non-2xx into "Response returned an error code".
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json()

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        content = json.dumps(body, separators=(",", ":")).encode()  # JSON.stringify
        return self._send("POST", path, content, "application/json")

    def post_form(self, path: str, parts: list[tuple[str, str | bytes]]) -> Any:
        return self._send("POST", path, *undici_form(parts))

    def get(self, path: str) -> Any:
        return self._send("GET", path, None, None)

    def save(self, image: dict[str, Any]) -> tuple[Path, str]:
        """utils/response.ts: download the URL (no credentials), check its Content-Type, decode
        it (sharp makes a WebP preview), write <storage>/<image_id>.<ext>."""
        image_id = image["image_id"]
        assert isinstance(image_id, str) and SAFE_FILE_NAME.fullmatch(image_id), image_id
        response = httpx.get(
            image["url"], headers={"accept": "*/*", "user-agent": "node"}, follow_redirects=True
        )
        assert response.is_success, response.text
        media_type = response.headers.get("content-type", "image/png")
        assert media_type in MCP_MEDIA_TYPES, f"Unsupported image type: {media_type}"
        self.storage.mkdir(exist_ok=True)
        if media_type == "image/svg+xml":
            svg_root(response.content)
            path = self.storage / f"{image_id}.svg"
        else:
            decoded = Image.open(io.BytesIO(response.content))
            decoded.load()
            assert decoded.format == MCP_MEDIA_TYPES[media_type], (media_type, decoded.format)
            path = self.storage / f"{image_id}.{MCP_EXTENSIONS[media_type]}"
        assert not path.exists(), f"two results share the file {path.name}"
        path.write_bytes(response.content)
        return path, media_type

    def save_all(self, answer: dict[str, Any], count: int) -> list[tuple[Path, str]]:
        """The generation-type answer: data[] with a url each."""
        assert isinstance(answer["created"], int) and isinstance(answer["credits"], int)
        assert len(answer["data"]) == count, answer
        return [self.save(image) for image in answer["data"]]

    def save_one(self, answer: dict[str, Any]) -> tuple[Path, str]:
        """The single-image answer: image.url (an image without a url crashes the tool)."""
        assert isinstance(answer["created"], int) and isinstance(answer["credits"], int)
        return self.save(answer["image"])


@pytest.fixture
def mcp(server: Server, tmp_path: Path) -> McpReplay:
    token, email = server.create_user(credits=100_000)
    return McpReplay(server, token, email, tmp_path / "mcp-results")


@pytest.fixture(scope="module")
def picture() -> bytes:
    return encode(photo((256, 256)))


@pytest.mark.parametrize(
    ("body", "count", "media_type"),
    [
        ({"expire": True, "prompt": "a red fox", "response_format": "url"}, 1, "image/png"),
        # RECRAFT_REMOTE_RESULTS_STORAGE=1: expire false, the URLs handed to the user.
        ({"expire": False, "prompt": "a red fox", "response_format": "url"}, 1, "image/png"),
        (
            {"expire": True, "model": "recraftv3", "n": 2, "prompt": "a fox",
             "response_format": "url", "size": "1365x1024", "style": "vector_illustration",
             "substyle": "line_art"},
            2, "image/svg+xml",
        ),
        (
            {"expire": True, "model": "recraftv2", "n": 3, "prompt": "a fox",
             "response_format": "url", "size": "1024x1820", "style": "digital_illustration"},
            3, "image/png",
        ),
    ],
    ids=["minimal", "remote-storage", "v3-vector-line-art", "v2-three"],
)  # fmt: skip
def test_mcp_generate_image(
    mcp: McpReplay, body: dict[str, Any], count: int, media_type: str
) -> None:
    answer = mcp.post_json("/v1/images/generations", body)
    saved = mcp.save_all(answer, count)
    assert {kind for _, kind in saved} == {media_type}
    if body["expire"] is False:
        # Remote storage hands the URL itself to the user: it must outlive the session.
        expires = parse_qs(urlsplit(answer["data"][0]["url"]).query).get("expires", ["inf"])[0]
        assert float(expires) > time.time() + 365 * 86400, expires
    if "size" in body and media_type != "image/svg+xml":
        width, height = (int(x) for x in body["size"].split("x"))
        assert all(raster(path).size == (width, height) for path, _ in saved)


def test_mcp_create_style_then_generate_with_it(mcp: McpReplay, picture: bytes) -> None:
    before = mcp.server.balance(mcp.token)
    answer = mcp.post_form(
        "/v1/styles",
        [
            ("images", picture),
            ("images", encode(logo((256, 256)))),
            ("style", "digital_illustration"),
        ],
    )
    style_id = answer["id"]  # the only field the tool reads
    assert isinstance(style_id, str) and style_id
    assert mcp.server.balance(mcp.token) == before - 40
    # generate_image with styleID: style and substyle are dropped, only style_id goes.
    body = {"expire": True, "prompt": "a fox", "response_format": "url", "style_id": style_id}
    mcp.save_all(mcp.post_json("/v1/images/generations", body), 1)


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"], ids=["png", "webp-from-an-svg-input"])
def test_mcp_vectorize_image(mcp: McpReplay, fmt: str) -> None:
    # An SVG given to the tool is rasterised to WebP by sharp before the upload.
    image = encode(logo((256, 256)), fmt)
    answer = mcp.post_form(
        "/v1/images/vectorize", [("expire", "true"), ("image", image), ("response_format", "url")]
    )
    path, media_type = mcp.save_one(answer)
    assert media_type == "image/svg+xml" and path.suffix == ".svg"
    assert answer["credits"] == 10


@pytest.mark.parametrize(
    "extra",
    [
        [],
        [("model", "recraftv2"), ("n", "2"), ("prompt", "x"), ("response_format", "url"),
         ("strength", "0.2"), ("style", "digital_illustration"), ("substyle", "pixel_art")],
    ],
    ids=["minimal", "v2-pixel-art"],
)  # fmt: skip
def test_mcp_image_to_image(mcp: McpReplay, picture: bytes, extra: list[tuple[str, str]]) -> None:
    fields = extra or [
        ("prompt", "make it winter"),
        ("response_format", "url"),
        ("strength", "0.5"),
    ]
    answer = mcp.post_form(
        "/v1/images/imageToImage", [("expire", "true"), ("image", picture), *fields]
    )
    count = 2 if extra else 1
    saved = mcp.save_all(answer, count)
    assert all(raster(path).size == (256, 256) for path, _ in saved)
    assert answer["credits"] == 40 * count


def test_mcp_remove_background(mcp: McpReplay, picture: bytes) -> None:
    answer = mcp.post_form(
        "/v1/images/removeBackground",
        [("expire", "true"), ("image", picture), ("response_format", "url")],
    )
    path, media_type = mcp.save_one(answer)
    assert media_type == "image/png" and raster(path).mode == "RGBA"


@pytest.mark.parametrize(
    "extra",
    [
        [],
        [
            ("n", "2"),
            ("prompt", "on a beach"),
            ("response_format", "url"),
            ("style", "realistic_image"),
        ],
    ],
    ids=["minimal", "styled-two"],
)
def test_mcp_replace_background(
    mcp: McpReplay, picture: bytes, extra: list[tuple[str, str]]
) -> None:
    fields = extra or [("prompt", "on a beach"), ("response_format", "url")]
    answer = mcp.post_form(
        "/v1/images/replaceBackground", [("expire", "true"), ("image", picture), *fields]
    )
    saved = mcp.save_all(answer, 2 if extra else 1)
    assert all(raster(path).size == (256, 256) for path, _ in saved)


def test_mcp_crisp_upscale(mcp: McpReplay, picture: bytes) -> None:
    answer = mcp.post_form(
        "/v1/images/crispUpscale",
        [("expire", "true"), ("image", picture), ("response_format", "url")],
    )
    path, _ = mcp.save_one(answer)
    width, height = raster(path).size
    assert width > 256 and width == height
    assert answer["credits"] == 4


def test_mcp_creative_upscale_reaches_its_endpoint(mcp: McpReplay) -> None:
    """Its smallest input (256 px) takes minutes on a CPU: the replay sends a 64 px image and
    checks the refusal is a 400 that names the limit, at no charge. The answer of a successful
    call has the crispUpscale shape (same code path), checked above."""
    before = mcp.server.balance(mcp.token)
    form: list[tuple[str, str | bytes]] = [
        ("expire", "true"), ("image", encode(logo((64, 64)))), ("response_format", "url"),
    ]  # fmt: skip
    response = mcp.request("POST", "/v1/images/creativeUpscale", *undici_form(form))
    assert response.status_code == 400, response.text
    assert "256" in response.json()["message"]
    assert mcp.server.balance(mcp.token) == before


def test_mcp_get_user(mcp: McpReplay) -> None:
    # It reads email, name and credits: "User email: ..., name: ...\nYou have N credits left."
    user = mcp.get("/v1/users/me")
    assert (user["email"], user["name"], user["credits"]) == (mcp.email, "Test User", 100_000)
    # Without RECRAFT_API_KEY it sends no Authorization header at all: refused.
    response = httpx.get(f"{mcp.server.url}/v1/users/me", headers=MCP_HEADERS)
    assert response.status_code == 401
