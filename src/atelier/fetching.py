"""Downloading an input image from a user-supplied URL without letting the URL reach inside."""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import logging
import re
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import TypeAlias
from urllib.parse import quote, urljoin, urlsplit

from atelier.errors import AtelierError, InvalidRequest

log = logging.getLogger(__name__)

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

PARAM = "prompt"  # the URL arrives inside the prompt, so that is the field the client must fix
MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024
ACCEPT = "image/png, image/jpeg, image/webp"
USER_AGENT = "atelier-image-fetcher/1"

# Spelled out rather than left to ipaddress's is_private/is_global alone: those tables have
# changed between Python releases, and this list is the security boundary.
_BLOCKED_NETWORKS: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network", 0.0.0.0 reaches the local host on Linux
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT; holds 100.100.100.200 (Alibaba metadata)
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local; holds 169.254.169.254 (AWS/GCP/Azure metadata)
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.0.2.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "192.168.0.0/16",
        "198.18.0.0/15",
        "198.51.100.0/24",
        "203.0.113.0/24",
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255
        "::/96",  # unspecified, loopback and the deprecated IPv4-compatible form
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments (Teredo among them)
        "2001:db8::/32",
        "fc00::/7",  # unique-local; holds fd00:ec2::254 (AWS metadata over IPv6)
        "fe80::/10",  # link-local
        "fec0::/10",  # deprecated site-local
        "ff00::/8",  # multicast
    )
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HOSTNAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?\.?")
# Characters left as they are when re-quoting a path or query: everything RFC 3986 allows,
# plus "%" so that an already-encoded URL is not encoded twice.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"
_URL_IN_PROMPT = re.compile(r"(?<![\w/])https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING_PUNCTUATION = ".,;:!?"
_BRACKETS = {")": "(", "]": "[", "}": "{"}
_WRAPPERS = {"(": ")", "[": "]", "{": "}", "<": ">", '"': '"', "'": "'", "`": "`"}


class FetchRefused(InvalidRequest):
    """The URL points somewhere we will not go: a scheme, an internal address, a redirect loop."""

    code = "image_url_refused"

    def __init__(self, message: str, param: str | None = PARAM) -> None:
        super().__init__(message, param)


class FetchFailed(AtelierError):
    """The URL is allowed but did not give us a usable image."""

    status = 422
    code = "image_url_unreadable"

    def __init__(self, message: str, param: str | None = PARAM) -> None:
        super().__init__(message, param)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv6 form carries and that the packets may end up at."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def canonical_address(address: IPAddress) -> IPAddress:
    """IPv4-mapped IPv6 (::ffff:a.b.c.d) as the IPv4 address it is; everything else unchanged."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def is_public_address(address: IPAddress) -> bool:
    """Whether an address is on the public internet, not loopback, private, metadata or special."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return False  # a zone id only makes sense for link-local targets
        embedded = _embedded_ipv4(address)
        if embedded is not None and not is_public_address(embedded):
            return False
        if address.ipv4_mapped is not None:
            return True  # the mapped IPv4 address alone decides
    if any(address in net for net in _BLOCKED_NETWORKS if net.version == address.version):
        return False
    return address.is_global and not (
        address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or address.is_loopback
        or address.is_link_local
        or address.is_private
    )


def _lookup(host: str, port: int) -> list[str]:
    """getaddrinfo for TCP, as address strings. A seam: tests replace it to simulate DNS."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _tls_context() -> ssl.SSLContext:
    """The TLS settings of every https fetch (system CAs, hostname checked). A seam for tests."""
    return ssl.create_default_context()


class _Timeout(Exception):
    """The fetch's overall deadline passed."""


def _resolve(host: str, port: int, timeout: float) -> list[IPAddress]:
    """Resolve once, in a daemon thread so that a stuck resolver cannot outlive the deadline."""
    try:
        return [canonical_address(ipaddress.ip_address(host))]
    except ValueError:
        pass  # a name, or an IPv4 spelling like "127.1" that getaddrinfo will turn into one
    found: list[str] = []
    failed: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        try:
            found.extend(_lookup(host, port))
        except (OSError, UnicodeError) as exc:
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=work, name="image-url-dns", daemon=True).start()
    if not done.wait(timeout):
        raise _Timeout
    if failed:
        raise failed[0]
    addresses: list[IPAddress] = []
    for text in found:
        address = canonical_address(ipaddress.ip_address(text))
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OSError("no addresses")
    return addresses


class _PinnedConnection(http.client.HTTPConnection):
    """HTTP(S) to one already-checked IP address, whatever the host name resolves to now.

    We resolve once, check every address, then connect to the checked address here: the name
    is never resolved again, so a DNS answer that changes between check and use (rebinding)
    cannot move the request inside. The Host header carries the name; for https the TLS SNI
    and the certificate check use the name too, so virtual hosts and certificates still work.
    Stdlib http.client rather than httpx because it lets us own the socket outright, it does
    not read proxy settings from the environment, and httpx is not a runtime dependency.
    """

    def __init__(
        self, address: IPAddress, port: int, timeout: float, tls_hostname: str | None
    ) -> None:
        super().__init__(str(address), port, timeout=timeout)
        self._tls_hostname = tls_hostname

    def connect(self) -> None:
        super().connect()  # TCP to the pinned address; numeric, so no DNS happens here
        if self._tls_hostname is not None:
            self.sock = _tls_context().wrap_socket(self.sock, server_hostname=self._tls_hostname)


class _Watchdog:
    """Cuts a connection at the deadline.

    Socket timeouts bound each read, not their sum: a server sending one byte just before
    every timeout could hold a worker thread for ever. Shutting the socket down from a timer
    wakes whatever read is blocked, so the whole fetch ends on time.
    """

    def __init__(self, connection: http.client.HTTPConnection, seconds: float) -> None:
        self.connection = connection
        self.fired = threading.Event()
        self.timer = threading.Timer(max(seconds, 0.0), self._cut)
        self.timer.daemon = True

    def _cut(self) -> None:
        self.fired.set()
        sock = self.connection.sock
        if sock is not None:
            # socket.socket's own shutdown, not SSLSocket's, which would also drop its TLS
            # state under the feet of the thread that is reading.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Watchdog:
        self.timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.timer.cancel()


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII (IDNA) host name or IP literal, lower case, no brackets
    port: int
    request_target: str  # path and query, as sent on the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def parse_allow_entry(entry: str) -> tuple[str | IPAddress, int | None]:
    """Parse "host", "host:port", "1.2.3.4", "1.2.3.4:80", "::1" or "[::1]:80" as (host, port)."""
    text = entry.strip().lower()
    host, port = text, None
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(f"allowed host {entry!r} is not host, host:port or [ipv6]:port")
        host, port = inside, int(rest[1:]) if rest else None
    elif text.count(":") == 1:
        name, _, number = text.partition(":")
        host, port = name, int(number)
    try:
        return canonical_address(ipaddress.ip_address(host)), port
    except ValueError:
        pass
    ascii_host = _ascii_host_name(host.rstrip("."))
    if ascii_host is None or not _HOSTNAME.fullmatch(ascii_host):
        raise ValueError(f"allowed host {entry!r} is not a host name or an IP address")
    return ascii_host, port


def _describe(target: _Target, hop: int) -> str:
    """How messages name the place: the URL's host, and whether we got there by a redirect."""
    return f"the image URL's host {target.host}" if hop == 0 else f"the redirect to {target.host}"


@dataclass
class ImageFetcher:
    """Fetches an image by URL: http(s) only, public addresses only, bounded in size and time.

    ``allowed_hosts`` lets an operator reach hosts that the address check would refuse (an
    internal image store): names match the URL's host, IP literals match the resolved
    address; either may carry ``:port`` to allow that port only. Allowed hosts still get the
    scheme, redirect, size, time and image checks.
    """

    allowed_hosts: frozenset[str] = frozenset()
    max_bytes: int = 5 * 1024 * 1024
    timeout_seconds: float = 10.0
    _allowed_names: dict[str, set[int | None]] = field(init=False, repr=False, compare=False)
    _allowed_addresses: dict[IPAddress, set[int | None]] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        # Parsed once, so a malformed operator setting fails at start-up, not on a request.
        self._allowed_names = {}
        self._allowed_addresses = {}
        for entry in self.allowed_hosts:
            host, port = parse_allow_entry(entry)
            if isinstance(host, str):
                self._allowed_names.setdefault(host, set()).add(port)
            else:
                self._allowed_addresses.setdefault(host, set()).add(port)

    def fetch(self, url: str) -> bytes:
        """The image bytes at ``url`` (PNG, JPEG or WEBP by their magic bytes), or an error.

        Raises FetchRefused for targets we will not contact and FetchFailed for everything
        that goes wrong once we do. Synchronous: call it from a worker thread.
        """
        deadline = time.monotonic() + self.timeout_seconds
        current = url
        for hop in range(MAX_REDIRECTS + 1):
            target = _parse_url(current, hop)
            addresses = self._checked_addresses(target, hop, deadline)
            status, location, body = self._request(target, addresses, hop, deadline)
            if status in REDIRECT_STATUSES:
                if not location:
                    raise FetchFailed(
                        f"{_describe(target, hop)} answered a redirect without a destination; "
                        "give the image's final URL"
                    )
                current = urljoin(target.url, location)
                continue
            return self._image(target, hop, status, body)
        raise FetchRefused(
            f"the image URL redirected more than {MAX_REDIRECTS} times; give the image's final URL"
        )

    # -- checks before connecting ------------------------------------------------------------

    def _name_allowed(self, target: _Target) -> bool:
        ports = self._allowed_names.get(target.host, set())
        return None in ports or target.port in ports

    def _address_allowed(self, address: IPAddress, port: int) -> bool:
        ports = self._allowed_addresses.get(address, set())
        return None in ports or port in ports or is_public_address(address)

    def _checked_addresses(self, target: _Target, hop: int, deadline: float) -> list[IPAddress]:
        """Resolve the host once and refuse unless every address it has may be contacted."""
        where = _describe(target, hop)
        try:
            addresses = _resolve(target.host, target.port, deadline - time.monotonic())
        except _Timeout:
            raise self._timed_out(target) from None
        except (OSError, UnicodeError, ValueError):
            raise FetchFailed(f"{where} could not be resolved; check the URL") from None
        if self._name_allowed(target):
            return addresses
        # All of them, not just the first: which one the connection uses is not ours to pick
        # in general, and one internal address in the answer is reason enough to refuse.
        if not all(self._address_allowed(address, target.port) for address in addresses):
            raise FetchRefused(
                f"{where} is a private, local or otherwise internal address; "
                "give the URL of a publicly reachable image"
            )
        return addresses

    # -- the request -----------------------------------------------------------------------

    def _request(
        self, target: _Target, addresses: list[IPAddress], hop: int, deadline: float
    ) -> tuple[int, str | None, bytes]:
        """One GET to one of the checked addresses: status, Location header and body."""
        where = _describe(target, hop)
        failure: Exception | None = None
        for address in addresses:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise self._timed_out(target)
            tls_hostname = target.host if target.scheme == "https" else None
            connection = _PinnedConnection(address, target.port, remaining, tls_hostname)
            watchdog = _Watchdog(connection, remaining)
            try:
                with watchdog:
                    try:
                        connection.connect()
                    except OSError as exc:
                        if watchdog.fired.is_set() or isinstance(exc, TimeoutError):
                            raise self._timed_out(target) from None
                        if isinstance(exc, ssl.SSLError | ssl.CertificateError):
                            raise FetchFailed(
                                f"the TLS connection to {target.host} failed (certificate or "
                                "protocol error); give an https URL with a valid certificate"
                            ) from None
                        log.info("image URL: connecting to %s failed: %s", address, exc)
                        failure = exc
                        continue  # the next address of the same name may answer
                    return self._exchange(connection, target, where, watchdog)
            finally:
                connection.close()
        log.info("image URL: no address of %s answered: %s", target.host, failure)
        raise FetchFailed(f"could not connect to {where}; check that the image URL is reachable")

    def _exchange(
        self,
        connection: http.client.HTTPConnection,
        target: _Target,
        where: str,
        watchdog: _Watchdog,
    ) -> tuple[int, str | None, bytes]:
        try:
            connection.putrequest(
                "GET", target.request_target, skip_host=True, skip_accept_encoding=True
            )
            connection.putheader("Host", target.host_header)
            connection.putheader("User-Agent", USER_AGENT)
            connection.putheader("Accept", ACCEPT)
            connection.putheader("Accept-Encoding", "identity")  # magic bytes must be visible
            connection.putheader("Connection", "close")
            connection.endheaders()
            response = connection.getresponse()
            try:
                # A cut connection reads as an end of file, which can look like a whole (empty or
                # short) response; after the watchdog fired nothing read can be trusted.
                if watchdog.fired.is_set():
                    raise self._timed_out(target)
                if response.status in REDIRECT_STATUSES:
                    return response.status, response.getheader("Location"), b""
                if not 200 <= response.status < 300:
                    raise FetchFailed(
                        f"{where} answered HTTP {response.status} for the image; check the URL"
                    )
                body = self._read_body(response, target)
                if watchdog.fired.is_set():
                    raise self._timed_out(target)
                return response.status, None, body
            finally:
                response.close()  # it holds the socket open until closed
        except (OSError, http.client.HTTPException) as exc:
            if watchdog.fired.is_set() or isinstance(exc, TimeoutError):
                raise self._timed_out(target) from None
            log.info("image URL: exchange with %s failed: %s", target.host, exc)
            raise FetchFailed(
                f"{where} broke off while sending the image; check that the image URL works"
            ) from None

    def _read_body(self, response: http.client.HTTPResponse, target: _Target) -> bytes:
        too_large = FetchFailed(
            f"the image at {target.host} is larger than {self.max_bytes} bytes; "
            "give a smaller image"
        )
        declared = response.getheader("Content-Length")
        if declared is not None and declared.strip().isdigit() and int(declared) > self.max_bytes:
            raise too_large  # refused before reading a byte of it
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read(CHUNK_BYTES):
            size += len(chunk)
            if size > self.max_bytes:
                raise too_large  # the header can be missing or lie; the count cannot
            chunks.append(chunk)
        return b"".join(chunks)

    def _image(self, target: _Target, hop: int, status: int, body: bytes) -> bytes:
        if not _is_image(body):
            raise FetchFailed(
                f"{_describe(target, hop)} did not return a PNG, JPEG or WEBP image "
                f"(HTTP {status}); give the URL of the image file itself"
            )
        return body

    def _timed_out(self, target: _Target) -> FetchFailed:
        return FetchFailed(
            f"fetching the image from {target.host} took longer than "
            f"{self.timeout_seconds:g} s; give a faster or smaller image URL"
        )


def _parse_url(url: str, hop: int) -> _Target:
    """Split and check a URL: http(s), a host, no credentials; the host in ASCII."""
    where = "the image URL" if hop == 0 else "a redirect of the image URL"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise FetchRefused(f"{where} is not a valid URL (bad host or port)") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        named = f"{scheme}:" if scheme else "no scheme"
        raise FetchRefused(f"{where} must start with http:// or https:// (it uses {named})")
    if parts.username is not None or parts.password is not None:
        raise FetchRefused(f"{where} must not contain a user name or password")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise FetchRefused(f"{where} has no host")
    ascii_host = host if _is_ip_literal(host) else _ascii_host_name(host)
    # Nothing but name characters may reach the Host header or the resolver.
    if ascii_host is None or not (_is_ip_literal(ascii_host) or _HOSTNAME.fullmatch(ascii_host)):
        raise FetchRefused(f"{where} has an invalid host name")
    path = quote(parts.path or "/", safe=_PATH_SAFE)
    query = quote(parts.query, safe=_QUERY_SAFE)
    return _Target(
        url=url.strip(),
        scheme=scheme,
        host=ascii_host,
        port=port if port is not None else (443 if scheme == "https" else 80),
        request_target=f"{path}?{query}" if query else path,
    )


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _ascii_host_name(host: str) -> str | None:
    """The IDNA (punycode) form of a host name, or None if it has none."""
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    return ascii_host if len(ascii_host) <= 253 else None


def _is_image(data: bytes) -> bool:
    """PNG, JPEG or WEBP by magic bytes; the caller decodes it with uploads.open_image."""
    return (
        data.startswith(b"\x89PNG\r\n\x1a\n")
        or data.startswith(b"\xff\xd8\xff")
        or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")
    )


def find_image_url(prompt: str) -> tuple[str | None, str]:
    """The first http(s) URL in a prompt, and the prompt without it (whitespace tidied).

    The re-seller dialect writes "image URL + prompt"; punctuation that ends a sentence and
    brackets or quotes around the URL belong to the prompt's text, not to the URL.
    """
    match = _URL_IN_PROMPT.search(prompt)
    if match is None:
        return None, prompt
    url = match.group()
    while url:
        last = url[-1]
        if last in _TRAILING_PUNCTUATION:
            url = url[:-1]
        elif last in _BRACKETS and url.count(last) > url.count(_BRACKETS[last]):
            url = url[:-1]  # "(see https://x/a.png)": the ")" closes the prose's bracket
        else:
            break
    start, end = match.start(), match.start() + len(url)
    if start > 0 and end < len(prompt) and _WRAPPERS.get(prompt[start - 1]) == prompt[end]:
        start, end = start - 1, end + 1  # "<https://x/a.png>": drop the wrapper with the URL
    before, after = prompt[:start].rstrip(), prompt[end:].lstrip()
    # "see <URL>, please" becomes "see, please": punctuation closes up to the word before it.
    glue = "" if after[:1] in tuple(_TRAILING_PUNCTUATION) else " "
    rest = f"{before}{glue}{after}" if before and after else before or after
    return url, rest.strip()
