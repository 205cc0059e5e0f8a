"""Fetching an image by URL: real local HTTP servers on loopback, no other network."""

from __future__ import annotations

import contextlib
import ipaddress
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from atelier import fetching
from atelier.catalog import ImageLimits
from atelier.errors import InvalidRequest
from atelier.fetching import FetchFailed, FetchRefused, ImageFetcher, find_image_url
from atelier.uploads import open_image
from tests.conftest import png_bytes

PNG = png_bytes((64, 64), (20, 120, 220))
HUGE = 2 * 1024 * 1024  # bytes the huge endpoints would send; the tests cap at 64 KiB


class LocalServer:
    """A stdlib HTTP server on 127.0.0.1 in a thread, with the endpoints the tests need."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.release = threading.Event()  # slow endpoints block on it; set at teardown
        self.requests: list[tuple[str, str | None]] = []  # (path, Host header) as received
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def send(self, status: int, body: bytes, content_type: str = "image/png") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def redirect(self, location: str) -> None:
                self.send_response(302)
                self.send_header("Location", location)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_GET(self) -> None:
                outer.requests.append((self.path, self.headers.get("Host")))
                parts = urlsplit(self.path)
                path, query = parts.path, parse_qs(parts.query)
                # The fetcher hangs up on purpose (size cap, timeout): not an error here.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.route(path, query)

            def route(self, path: str, query: dict[str, list[str]]) -> None:
                if path == "/image.png":
                    self.send(200, PNG)
                elif path == "/redirect":
                    self.redirect("/image.png")
                elif path == "/redirect-to":
                    self.redirect(query["url"][0])
                elif path.startswith("/chain/"):
                    left = int(path.rsplit("/", 1)[1])
                    self.redirect(f"/chain/{left - 1}" if left > 1 else "/image.png")
                elif path == "/huge-declared":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.send_header("Content-Length", str(HUGE))
                    self.end_headers()  # and no body: the fetcher must not wait for one
                elif path == "/huge-streamed":
                    # No Content-Length: the body ends when the connection closes (HTTP/1.0).
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.end_headers()
                    self.wfile.write(PNG[:16] + b"\0" * HUGE)
                elif path == "/slow":
                    outer.release.wait()  # never answers while the test runs
                elif path == "/drip":
                    # Headers one byte at a time, each well within a socket timeout, for ever.
                    self.wfile.write(b"HTTP/1.0 200 OK\r\n")
                    self.wfile.flush()
                    while not outer.release.wait(0.05):
                        self.wfile.write(b"X")
                        self.wfile.flush()
                elif path == "/text":
                    self.send(200, b"hello, not an image", "text/plain")
                else:
                    self.send(404, b"not found", "text/plain")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"http://{self.host}{path}"

    def stop(self) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.stop()


@pytest.fixture
def other_server() -> Iterator[LocalServer]:
    srv = LocalServer()
    yield srv
    srv.stop()


def fetcher_for(server: LocalServer, **kwargs: Any) -> ImageFetcher:
    return ImageFetcher(allowed_hosts=frozenset({server.host}), **kwargs)


# -- what works -------------------------------------------------------------------------------


def test_allowed_local_fetch_returns_the_image(server: LocalServer) -> None:
    assert fetcher_for(server).fetch(server.url("/image.png")) == PNG
    assert server.requests == [("/image.png", server.host)]


def test_allow_list_entry_without_port_allows_every_port(server: LocalServer) -> None:
    assert (
        ImageFetcher(allowed_hosts=frozenset({"127.0.0.1"})).fetch(server.url("/image.png")) == PNG
    )


def test_redirect_within_allowed_host_is_followed(server: LocalServer) -> None:
    assert fetcher_for(server).fetch(server.url("/redirect")) == PNG
    assert [path for path, _ in server.requests] == ["/redirect", "/image.png"]


def test_five_redirects_are_followed(server: LocalServer) -> None:
    assert fetcher_for(server).fetch(server.url("/chain/5")) == PNG


def test_result_decodes_with_open_image(server: LocalServer) -> None:
    data = fetcher_for(server).fetch(server.url("/image.png"))
    assert open_image(data, "prompt", ImageLimits(min_side=32)).size == (64, 64)


# -- refused targets --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1", "localhost", "[::1]", "10.0.0.1", "172.16.5.4", "192.168.1.1",
        "169.254.169.254", "100.100.100.200", "[fd00:ec2::254]", "100.64.0.1",
        "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "[::ffff:10.0.0.1]", "0.0.0.0", "[::]",
        "[fe80::1]", "[fc00::1]", "224.0.0.1", "[ff02::1]", "240.0.0.1", "255.255.255.255",
        "[64:ff9b::a9fe:a9fe]", "[2002:7f00:1::1]", "[::127.0.0.1]", "127.1", "2130706433",
    ],
)  # fmt: skip
def test_internal_addresses_are_refused_without_the_allow_list(host: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchRefused) as caught:
        ImageFetcher().fetch(f"http://{host}/image.png")
    assert time.monotonic() - started < 2  # refused, not attempted and timed out
    error = caught.value
    assert isinstance(error, InvalidRequest)
    assert (error.status, error.code, error.param) == (400, "image_url_refused", "prompt")
    assert "internal address" in error.message


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True), ("1.1.1.1", True), ("2606:4700:4700::1111", True),
        ("::ffff:8.8.8.8", True), ("100.64.0.1", False), ("169.254.169.254", False),
        ("fd00:ec2::254", False), ("100.100.100.200", False), ("::ffff:192.168.0.1", False),
        ("2001:db8::1", False), ("198.18.0.1", False), ("fe80::1%2", False),
    ],
)  # fmt: skip
def test_is_public_address(address: str, public: bool) -> None:
    assert fetching.is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1/image.png",
        "file:///etc/passwd",
        "gopher://example.com/",
        "data:image/png;base64,AAAA",
    ],
)
def test_other_schemes_are_refused_even_for_allowed_hosts(url: str) -> None:
    fetcher = ImageFetcher(allowed_hosts=frozenset({"127.0.0.1", "example.com"}))
    with pytest.raises(FetchRefused) as caught:
        fetcher.fetch(url)
    assert urlsplit(url).scheme + ":" in caught.value.message


def test_url_with_credentials_is_refused() -> None:
    with pytest.raises(FetchRefused, match="user name or password"):
        ImageFetcher(allowed_hosts=frozenset({"127.0.0.1"})).fetch("http://me:pw@127.0.0.1/x.png")


def test_redirect_to_an_internal_address_is_refused_before_connecting(
    server: LocalServer, other_server: LocalServer
) -> None:
    fetcher = fetcher_for(server)  # allows server's port only, not other_server's
    for target in (other_server.url("/image.png"), f"http://127.0.0.2:{server.port}/image.png",
                   "http://10.0.0.1/image.png", "http://[::1]/image.png"):  # fmt: skip
        started = time.monotonic()
        with pytest.raises(FetchRefused, match="redirect"):
            fetcher.fetch(server.url(f"/redirect-to?url={target}"))
        assert time.monotonic() - started < 2
    assert other_server.requests == []


def test_redirect_to_another_scheme_is_refused(server: LocalServer) -> None:
    with pytest.raises(FetchRefused, match="file:"):
        fetcher_for(server).fetch(server.url("/redirect-to?url=file:///etc/passwd"))


def test_six_redirects_are_refused(server: LocalServer) -> None:
    with pytest.raises(FetchRefused, match="more than 5"):
        fetcher_for(server).fetch(server.url("/chain/6"))
    assert len(server.requests) == 6  # the sixth redirect is never followed


def test_every_resolved_address_must_be_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fetching, "_lookup", lambda host, port: ["93.184.215.14", "10.0.0.7"])
    with pytest.raises(FetchRefused, match="images.example"):
        ImageFetcher().fetch("http://images.example/cat.png")


def test_connects_to_the_checked_address_not_a_later_dns_answer(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the first answer is checked and used; later answers are never asked for."""
    answers = iter([["127.0.0.1"]])
    lookups: list[str] = []

    def lookup(host: str, port: int) -> list[str]:
        lookups.append(host)
        return next(answers, ["10.9.9.9"])

    monkeypatch.setattr(fetching, "_lookup", lookup)
    fetcher = ImageFetcher(allowed_hosts=frozenset({f"127.0.0.1:{server.port}"}))
    assert fetcher.fetch(f"http://Images.Test:{server.port}/image.png") == PNG
    assert lookups == ["images.test"]
    assert server.requests == [("/image.png", f"images.test:{server.port}")]


def test_allowed_host_name_skips_the_address_check(
    server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fetching, "_lookup", lambda host, port: ["127.0.0.1"])
    fetcher = ImageFetcher(allowed_hosts=frozenset({"store.internal"}))
    assert fetcher.fetch(f"http://store.internal:{server.port}/image.png") == PNG
    with pytest.raises(FetchRefused):
        fetcher.fetch(f"http://elsewhere.internal:{server.port}/image.png")


def test_malformed_allow_list_entries_fail_at_construction() -> None:
    for entry in ("host:notaport", "[::1", "bad host"):
        with pytest.raises(ValueError):
            ImageFetcher(allowed_hosts=frozenset({entry}))
    ImageFetcher(allowed_hosts=frozenset({"::1", "[::1]:8080", "a.example:80", "10.0.0.1"}))


# -- failures once connected ------------------------------------------------------------------


def assert_failed(error: FetchFailed) -> None:
    assert (error.status, error.code, error.param) == (422, "image_url_unreadable", "prompt")


def test_declared_too_large_body_is_refused_early(server: LocalServer) -> None:
    with pytest.raises(FetchFailed, match="larger than 65536 bytes") as caught:
        fetcher_for(server, max_bytes=64 * 1024).fetch(server.url("/huge-declared"))
    assert_failed(caught.value)


def test_streamed_too_large_body_is_cut_off(server: LocalServer) -> None:
    with pytest.raises(FetchFailed, match="larger than 65536 bytes") as caught:
        fetcher_for(server, max_bytes=64 * 1024).fetch(server.url("/huge-streamed"))
    assert_failed(caught.value)


@pytest.mark.parametrize("path", ["/slow", "/drip"])
def test_whole_fetch_is_bounded_in_time(server: LocalServer, path: str) -> None:
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="longer than 0.5 s") as caught:
        fetcher_for(server, timeout_seconds=0.5).fetch(server.url(path))
    assert time.monotonic() - started < 2
    assert_failed(caught.value)


def test_non_image_is_refused(server: LocalServer) -> None:
    with pytest.raises(FetchFailed, match="PNG, JPEG or WEBP") as caught:
        fetcher_for(server).fetch(server.url("/text"))
    assert_failed(caught.value)


def test_http_error_status_is_reported(server: LocalServer) -> None:
    with pytest.raises(FetchFailed, match="HTTP 404") as caught:
        fetcher_for(server).fetch(server.url("/missing.png"))
    assert_failed(caught.value)
    assert "127.0.0.1" in caught.value.message


def test_closed_port_is_unreadable(other_server: LocalServer) -> None:
    port = other_server.port
    other_server.stop()
    with pytest.raises(FetchFailed, match="could not connect"):
        ImageFetcher(allowed_hosts=frozenset({"127.0.0.1"})).fetch(f"http://127.0.0.1:{port}/")


def test_unresolvable_host_is_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    def lookup(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    monkeypatch.setattr(fetching, "_lookup", lookup)
    with pytest.raises(FetchFailed, match="could not be resolved"):
        ImageFetcher().fetch("http://nowhere.invalid/x.png")


# -- https: the name is used for SNI and the certificate while the socket goes to the IP ------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=images.test", "-addext", "subjectAltName=DNS:images.test",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(
    certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalServer]:
    cert, key = certificate
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    client_context = ssl.create_default_context(cafile=str(cert))
    monkeypatch.setattr(fetching, "_tls_context", lambda: client_context)
    monkeypatch.setattr(fetching, "_lookup", lambda host, port: ["127.0.0.1"])
    srv = LocalServer(tls=server_context)
    yield srv
    srv.stop()


def test_https_checks_the_certificate_against_the_host_name(tls_server: LocalServer) -> None:
    fetcher = ImageFetcher(allowed_hosts=frozenset({f"127.0.0.1:{tls_server.port}"}))
    assert fetcher.fetch(f"https://images.test:{tls_server.port}/image.png") == PNG
    with pytest.raises(FetchFailed, match="TLS"):
        fetcher.fetch(f"https://other.test:{tls_server.port}/image.png")


# -- finding the URL in a prompt --------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "url", "rest"),
    [
        ("https://example.com/cat.png a cat in a hat", "https://example.com/cat.png", "a cat in a hat"),
        ("a cat in a hat https://example.com/cat.png", "https://example.com/cat.png", "a cat in a hat"),
        ("a cat  http://example.com/c.jpg?x=1&y=2   in a hat", "http://example.com/c.jpg?x=1&y=2", "a cat in a hat"),
        ("like this: https://example.com/cat.png.", "https://example.com/cat.png", "like this:."),
        ("a cat (https://example.com/cat.png) in a hat", "https://example.com/cat.png", "a cat in a hat"),
        ("see <https://example.com/a_(b).png>, please", "https://example.com/a_(b).png", "see, please"),
        ("HTTPS://Example.com/A.PNG red", "HTTPS://Example.com/A.PNG", "red"),
        ("first https://a.example/1.png then https://b.example/2.png", "https://a.example/1.png", "first then https://b.example/2.png"),
        ("\n https://example.com/x.webp\n", "https://example.com/x.webp", ""),
    ],
)  # fmt: skip
def test_find_image_url(prompt: str, url: str, rest: str) -> None:
    assert find_image_url(prompt) == (url, rest)


@pytest.mark.parametrize(
    "prompt", ["a cat in a hat", "ftp://example.com/cat.png a cat", "see example.com/cat.png", ""]
)
def test_find_image_url_without_a_url(prompt: str) -> None:
    assert find_image_url(prompt) == (None, prompt)
