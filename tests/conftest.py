"""Test fixtures: real server processes on free ports, each in its own temporary data dir, and\nthe app in the test process (`InProcess`) for tests where the transport does not matter."""

from __future__ import annotations

import base64
import io
import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from openai import OpenAI
from PIL import Image, ImageChops, ImageDraw

from atelier.accounting.accounts import Accounts
from atelier.database import Database, sqlite_url
from atelier.migrations import ensure_current
from tests import postgres


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(
    data_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "atelier", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
    )


@dataclass
class Server:
    """A running `atelier serve` process."""

    data_dir: Path
    port: int
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None
    cwd: Path | None = None  # the server's working directory (default: the test run's)
    args: tuple[str, ...] = ()  # more options of `atelier serve`

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return (self.data_dir.parent / "server.log").read_text()

    def start(self) -> None:
        log = open(self.data_dir.parent / "server.log", "wb")  # noqa: SIM115 - lives with the process
        self.process = subprocess.Popen(
            [sys.executable, "-m", "atelier", "serve", "--data-dir", str(self.data_dir),
             "--port", str(self.port), "--public-url", self.url, "--log-level", "warning",
             *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **self.env},
            cwd=self.cwd,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited at start:\n{self.log}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)  # waiting for the port to open, not synchronising with a result
        raise RuntimeError(f"server did not answer /healthz:\n{self.log}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    @property
    def database_url(self) -> str:
        default = sqlite_url(self.data_dir / "atelier.sqlite3")
        return self.env.get("ATELIER_DATABASE_URL", default)

    def create_user(self, credits: int = 1_000_000, email: str | None = None) -> tuple[str, str]:
        """A fresh user with one token, made through the domain API the CLI's `users create` calls."""
        accounts = Accounts(open_database(self.database_url))
        email = email or f"user-{time.monotonic_ns()}@example.com"
        user = accounts.create_user(email, "Test User", credits)
        return accounts.create_token(user.id), email

    def http(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)

    def openai(self, token: str) -> OpenAI:
        return OpenAI(base_url=f"{self.url}/v1", api_key=token, max_retries=0, timeout=60)

    def balance(self, token: str) -> int:
        return int(self.http(token).get("/v1/users/me").json()["credits"])


def start_server(tmp_path: Path, **env: str) -> Server:
    server = Server(tmp_path / "data", free_port(), env)
    server.start()
    return server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("server"))
    yield srv
    srv.stop()


class AppClient(TestClient):
    """A TestClient whose `with` block only closes it, as an httpx.Client's does (a TestClient's
    would run the app's start-up and shut-down again)."""

    def __enter__(self) -> AppClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@dataclass
class InProcess:
    """The app in this process, no server and no sockets: the fast layer for rules and bad input.

    It has the methods of `Server` that tests use. Users are made through the domain API of the
    app's own services; its image URLs start with `url`, which `fetch` serves from the app."""

    app: Any
    url: str
    data_dir: Path

    def create_user(self, credits: int = 1_000_000, email: str | None = None) -> tuple[str, str]:
        accounts = self.app.state.services.accounts
        email = email or f"user-{time.monotonic_ns()}@example.com"
        user = accounts.create_user(email, "Test User", credits)
        return str(accounts.create_token(user.id)), email

    def http(self, token: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # An unexpected error is a 500 response, as a client of a server process sees it.
        return AppClient(
            self.app, base_url=self.url, headers=headers, raise_server_exceptions=False
        )

    def balance(self, token: str) -> int:
        return int(self.http(token).get("/v1/users/me").json()["credits"])


# The in-process apps running, by the base of their URLs (for `fetch`), and a number for each.
_IN_PROCESS: dict[str, InProcess] = {}
_APP_NUMBERS = itertools.count()


@contextmanager
def in_process_app(data_dir: Path, **settings: Any) -> Iterator[InProcess]:
    """`create_app(Settings(...))` in this process, started and shut down like a server."""
    from atelier.app import create_app
    from atelier.config import Settings

    url = f"http://in-process-{next(_APP_NUMBERS)}.test"
    app = create_app(Settings(data_dir=data_dir, public_url=url, bootstrap_email="", **settings))
    with TestClient(app):  # runs the app's start-up and shut-down once
        _IN_PROCESS[url] = InProcess(app, url, data_dir)
        try:
            yield _IN_PROCESS[url]
        finally:
            del _IN_PROCESS[url]


# The shared in-process app's matting and upscaling are the fast stand-ins of
# tests/stand_ins.py: this layer tests rules, routes and prices; the real models' output is
# tested in tests/tools and, through a live server, in tests/api/test_tools.py.
STAND_INS = {
    "matting_engine": "tests.stand_ins:HalfMatting",
    "upscale_engine": "tests.stand_ins:LanczosUpscaler",
}


@pytest.fixture(scope="session")
def sqlite_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcess]:
    """The shared in-process app on the default back-ends: SQLite and a local folder."""
    with in_process_app(tmp_path_factory.mktemp("in-process") / "data", **STAND_INS) as app:
        yield app


@pytest.fixture(scope="session")
def postgres_app(
    tmp_path_factory: pytest.TempPathFactory, pg: postgres.Postgres, s3: S3
) -> Iterator[InProcess]:
    """The shared in-process app on the back-ends of many processes: PostgreSQL and S3."""
    with in_process_app(
        tmp_path_factory.mktemp("in-process-pg") / "data",
        database_url=pg.new_database(),
        storage_url=f"s3://{s3.new_bucket()}/atelier",
        **STAND_INS,
    ) as app:
        yield app


@pytest.fixture(scope="session")
def in_process(sqlite_app: InProcess) -> InProcess:
    """The shared in-process app. A test module that must pass on both back-ends overrides
    this fixture with `both_backends` (`in_process = both_backends`)."""
    return sqlite_app


BACKENDS = ["sqlite+local", "postgresql+s3"]


@pytest.fixture(params=BACKENDS)
def both_backends(request: pytest.FixtureRequest) -> InProcess:
    """The shared in-process app on each back-end in turn."""
    name = "sqlite_app" if request.param == BACKENDS[0] else "postgres_app"
    app: InProcess = request.getfixturevalue(name)
    return app


def open_database(url: str) -> Database:
    """A database at this code's schema (created when empty), as the server opens it."""
    db = Database(url)
    ensure_current(db)
    return db


@pytest.fixture(scope="session")
def pg() -> Iterator[postgres.Postgres]:
    """A PostgreSQL server for the whole run (Debian's package, in a temporary directory)."""
    server = postgres.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Database:
    """A fresh, empty database at this code's schema, on each back-end in turn."""
    if request.param == "sqlite":
        return open_database(sqlite_url(tmp_path / "db.sqlite3"))
    server: postgres.Postgres = request.getfixturevalue("pg")
    return open_database(server.new_database())


@pytest.fixture
def local_token(in_process: InProcess) -> str:
    """A fresh user of the in-process app, with a large balance (as `token` of the server)."""
    return in_process.create_user()[0]


@pytest.fixture
def local(in_process: InProcess, local_token: str) -> Iterator[httpx.Client]:
    """An in-process client (httpx's API) of `local_token`'s user (as `http` of the server)."""
    with in_process.http(local_token) as client:
        yield client


@dataclass
class S3:
    """An S3-compatible endpoint (moto's standalone server) and the AWS variables to reach it."""

    endpoint: str
    env: dict[str, str]

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip

    def new_bucket(self) -> str:
        name = f"atelier-{time.monotonic_ns()}"
        self.client().create_bucket(Bucket=name)
        return name


@pytest.fixture(scope="session")
def s3() -> Iterator[S3]:
    """moto's S3 server on a free port, reached through boto3 exactly as AWS is."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per S3 request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "test",
           "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1"}  # fmt: skip
    # In this process too: the in-process app on S3 makes its client from the environment.
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    yield S3(endpoint, env)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    server.stop()


@pytest.fixture(scope="session")
def tiny_weights(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random Stable Diffusion pipeline folder, built once for every test that loads it."""
    # Imported here: it imports torch, which tests without a diffusion model need not wait for.
    from atelier.engines.diffusion.configs import build_pipeline_folder

    return build_pipeline_folder(tmp_path_factory.mktemp("tiny-sd") / "model", "tiny-sd")


@pytest.fixture
def token(server: Server) -> str:
    return server.create_user()[0]


@pytest.fixture
def http(server: Server, token: str) -> Iterator[httpx.Client]:
    with server.http(token) as client:
        yield client


@pytest.fixture
def client(server: Server, token: str) -> OpenAI:
    return server.openai(token)


def png_bytes(
    size: tuple[int, int] = (256, 256), color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


def encode(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def photo(size: tuple[int, int] = (320, 256)) -> Image.Image:
    """A small scene: a gradient with a disc, so that changes are visible everywhere."""
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    ImageDraw.Draw(image).ellipse((100, 60, 220, 180), fill=(200, 40, 40))
    return image


def logo(size: tuple[int, int] = (320, 256)) -> Image.Image:
    image = Image.new("RGB", size, (250, 250, 250))
    draw = ImageDraw.Draw(image)
    draw.ellipse((60, 40, 220, 200), fill=(220, 30, 30))
    draw.rectangle((150, 120, 300, 230), fill=(30, 30, 200))
    return image


def square_mask(size: tuple[int, int], box: tuple[int, int, int, int]) -> Image.Image:
    """An "L" mask, 255 inside `box` (both corners included, as ImageDraw draws it), else 0."""
    mask = Image.new("L", size, 0)
    ImageDraw.Draw(mask).rectangle(box, fill=255)
    return mask


def fetch(url: str) -> httpx.Response:
    """GET an image URL (public: no Authorization header), from an in-process app if it is one."""
    app = next((app for base, app in _IN_PROCESS.items() if url.startswith(base + "/")), None)
    response = app.http().get(url) if app else httpx.get(url, timeout=30)
    assert response.status_code == 200, response.text
    return response


def decoded(item: dict[str, str]) -> Image.Image:
    """The RGB image of one `data` item, whether sent as b64_json or as a URL."""
    if "b64_json" in item:
        return Image.open(io.BytesIO(base64.b64decode(item["b64_json"]))).convert("RGB")
    return Image.open(io.BytesIO(fetch(item["url"]).content)).convert("RGB")


def assert_same_image(a: Image.Image, b: Image.Image) -> None:
    """Equal up to float rounding: no grey level differs by more than 2."""
    assert ImageChops.difference(a, b).convert("L").getextrema()[1] <= 2


def sdk_multipart(
    client: OpenAI, path: str, files: dict[str, object], body: dict[str, object] | None = None
) -> dict[str, Any]:
    """A multipart call made exactly as the spec's examples make it with the OpenAI SDK."""
    result = client.post(
        path=path,
        cast_to=object,
        options={"headers": {"Content-Type": "multipart/form-data"}},
        files=files,  # type: ignore[arg-type]
        body=body or {},
    )
    assert isinstance(result, dict)
    return result


def error_of(response: httpx.Response) -> dict[str, object]:
    """The error envelope, checked for shape."""
    body = response.json()
    assert set(body) == {"code", "message", "param"}, body
    assert isinstance(body["message"], str) and body["message"]
    return dict(body)


def assert_rejected(response: httpx.Response, param: str, hint: str) -> None:
    """A 400 whose error envelope names `param` and says `hint`."""
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert error["param"] == param, error
    assert hint in str(error["message"]), error
