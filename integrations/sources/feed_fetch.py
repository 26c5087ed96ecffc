"""Fetch an LMS calendar feed, as a guarded client: students register these URLs, so a feed must
never become a way to read this machine's files or reach its private network (SSRF).

- only https:// (and webcal://, fetched over https) by default; http:// only when the policy
  allows it (tests, emulators); no local files, no other scheme;
- the host is resolved once and EVERY address it resolves to must be public (not loopback,
  private, link-local — which holds the cloud metadata address —, shared, reserved, multicast);
  an address in `allowed_networks` (an explicit, test-only setting) is the one exception;
- the connection goes to the address that was vetted, not to a second resolution of the name, so
  a DNS answer that changes between check and connect (rebinding) gains nothing; the peer of the
  socket is checked again after connecting;
- redirects are followed by hand, at most `max_redirects`, each hop vetted like the first;
- a body over `max_bytes` is refused (never cut), and the whole fetch has one deadline.

The URL carries the student's secret token, so no message, log line or exception built here
contains more of it than scheme and host.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

MAX_FEED_BYTES = 5_000_000
TIMEOUT_S = 20.0
MAX_REDIRECTS = 3
REDIRECTS = (301, 302, 303, 307, 308)

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[str]]


class FeedFetchError(Exception):
    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.retryable = retryable


class FeedRefused(FeedFetchError):
    """The URL is not one we fetch (scheme, address, redirects, size): retrying cannot help."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, retryable=False)


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class FeedPolicy:
    allow_http: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()
    max_bytes: int = MAX_FEED_BYTES
    timeout_s: float = TIMEOUT_S
    max_redirects: int = MAX_REDIRECTS
    resolver: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def from_strings(cls, networks: str, **fields: object) -> FeedPolicy:
        """`networks` is a comma-separated list of addresses or CIDR blocks."""
        parsed = tuple(
            ipaddress.ip_network(part.strip(), strict=False)
            for part in networks.split(",")
            if part.strip()
        )
        return cls(allowed_networks=parsed, **fields)  # type: ignore[arg-type]

    def address_allowed(self, address: str) -> bool:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
        if any(ip in network for network in self.allowed_networks):
            return True
        return ip.is_global and not ip.is_multicast


def public_part(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or ''}" if parts.scheme else "(not a URL)"


def check_url(location: str, policy: FeedPolicy) -> str:
    """The URL to fetch (webcal:// becomes https://), or FeedRefused. No network."""
    if location.startswith("webcal://"):
        location = "https://" + location.removeprefix("webcal://")
    parts = urlsplit(location)
    schemes = ("https", "http") if policy.allow_http else ("https",)
    if parts.scheme not in schemes:
        allowed = "https:// or webcal://" + (" (or http://)" if policy.allow_http else "")
        raise FeedRefused(f"a feed URL must start with {allowed}")
    if not parts.hostname:
        raise FeedRefused(f"{public_part(location)}: the feed URL has no host")
    try:
        _ = parts.port
    except ValueError:
        raise FeedRefused(f"{public_part(location)}: the feed URL has an invalid port") from None
    return location


def fetch_feed(location: str, policy: FeedPolicy | None = None) -> bytes:
    policy = policy or FeedPolicy()
    deadline = time.monotonic() + policy.timeout_s
    url = check_url(location, policy)
    for _hop in range(policy.max_redirects + 1):
        status, target, body = _get(url, policy, deadline)
        if status not in REDIRECTS:
            if status >= 400:
                retryable = status >= 500 or status == 429
                raise FeedFetchError(
                    f"{public_part(url)} answered HTTP {status}", retryable=retryable
                )
            return body
        if not target:
            raise FeedRefused(f"{public_part(url)} answered HTTP {status} without a Location")
        url = check_url(urljoin(url, target), policy)
    raise FeedRefused(f"{public_part(location)}: more than {policy.max_redirects} redirects")


def _vetted_addresses(host: str, port: int, policy: FeedPolicy, where: str) -> list[str]:
    try:
        addresses = list(policy.resolver(host, port))
    except (OSError, UnicodeError) as exc:
        raise FeedFetchError(f"{where} unreachable: {type(exc).__name__}", retryable=True) from None
    if not addresses:
        raise FeedFetchError(f"{where} unreachable: no address", retryable=True)
    refused = [a for a in addresses if not policy.address_allowed(a)]
    if refused:
        raise FeedRefused(
            f"{where} resolves to a loopback, private, link-local or reserved address "
            f"({refused[0]}): feeds are fetched from public addresses only"
        )
    return addresses


def _remaining(deadline: float, where: str) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise FeedFetchError(f"{where} took too long", retryable=True)
    return left


def _get(url: str, policy: FeedPolicy, deadline: float) -> tuple[int, str | None, bytes]:
    parts = urlsplit(url)
    where = public_part(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection | None = None
    last_error: OSError | None = None
    for address in _vetted_addresses(host, port, policy, where):
        conn = _pinned(parts.scheme, host, port, address, _remaining(deadline, where))
        try:
            conn.connect()
        except OSError as exc:
            conn.close()
            conn, last_error = None, exc
            continue
        break
    if conn is None:
        name = type(last_error).__name__ if last_error else "no address"
        raise FeedFetchError(f"{where} unreachable: {name}", retryable=True)
    try:
        peer = str(conn.sock.getpeername()[0]) if conn.sock is not None else ""
        if not policy.address_allowed(peer):
            raise FeedRefused(f"{where}: connected to a refused address")
        conn.request("GET", path, headers={"User-Agent": "studyplanner", "Accept": "text/calendar"})
        response = conn.getresponse()
        if response.status in REDIRECTS or response.status >= 400:
            return response.status, response.getheader("Location"), b""
        return response.status, None, _read_body(response, conn.sock, policy, deadline, where)
    except (OSError, http.client.HTTPException) as exc:
        raise FeedFetchError(f"{where} unreachable: {type(exc).__name__}", retryable=True) from None
    finally:
        conn.close()


def _read_body(
    response: http.client.HTTPResponse,
    sock: socket.socket | None,
    policy: FeedPolicy,
    deadline: float,
    where: str,
) -> bytes:
    too_big = FeedRefused(f"{where}: feed larger than {policy.max_bytes} bytes")
    declared = response.getheader("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > policy.max_bytes:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    # Chunk by chunk against the one deadline: a server that trickles a byte at a time stays
    # under every per-read timeout but not under the deadline.
    while True:
        if sock is not None:  # the response reads through this very socket
            sock.settimeout(_remaining(deadline, where))
        chunk = response.read1(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > policy.max_bytes:
            raise too_big
        chunks.append(chunk)
        _remaining(deadline, where)


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to one vetted address; the Host header still names the feed's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """TLS to one vetted address, with SNI and certificate checks against the feed's host."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        try:
            self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)
        except BaseException:
            raw.close()
            raise


def _pinned(
    scheme: str, host: str, port: int, address: str, timeout: float
) -> http.client.HTTPConnection:
    if scheme == "https":
        return _PinnedHTTPS(host, port, address, timeout)
    return _PinnedHTTP(host, port, address, timeout)
