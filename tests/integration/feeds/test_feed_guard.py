"""Feed URLs cannot reach this machine's files or its private network (SSRF), cannot redirect
there, cannot be bigger than the limit (refused, not cut) and cannot hold a fetch forever.

Real HTTP servers on 127.0.0.1 only. Where a test needs a name that resolves somewhere, it gives
the fetcher a resolver of its own (a fixed table); nothing here sends a packet off this machine.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.sources.feed_fetch import (
    FeedFetchError,
    FeedPolicy,
    FeedRefused,
    check_url,
    fetch_feed,
)

BODY = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
LOCAL = (ipaddress.ip_network("127.0.0.1/32"),)

Handler = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """One real server on 127.0.0.1; `handle` decides each answer; `seen` records requests."""

    def __init__(self, handle: Handler) -> None:
        self.seen: list[tuple[str, str]] = []
        outer = self

        class RequestHandler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def do_GET(self) -> None:
                outer.seen.append((self.path, self.headers.get("Host", "")))
                handle(self)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), RequestHandler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/feed.ics") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def answer(status: int = 200, body: bytes = BODY, **headers: str) -> Handler:
    def handle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name.replace("_", "-"), value)
        request.end_headers()
        request.wfile.write(body)

    return handle


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], Server]]:
    servers: list[Server] = []

    def start(handle: Handler) -> Server:
        servers.append(Server(handle))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def local_policy(**fields: object) -> FeedPolicy:
    """What the tests' setting allows: http, and 127.0.0.1 only."""
    return FeedPolicy(allow_http=True, allowed_networks=LOCAL, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "location",
    ["/etc/passwd", "file:///etc/passwd", "ftp://files.example/feed.ics", "feed.ics", "https://"],
)
def test_only_https_and_webcal_urls_are_fetched(location: str) -> None:
    with pytest.raises(FeedRefused):
        fetch_feed(location)


def test_webcal_is_fetched_over_https_and_http_only_when_allowed() -> None:
    assert check_url("webcal://lms.example/f.ics", FeedPolicy()) == "https://lms.example/f.ics"
    with pytest.raises(FeedRefused, match="https:// or webcal://"):
        check_url("http://lms.example/f.ics", FeedPolicy())
    assert check_url("http://lms.example/f.ics", FeedPolicy(allow_http=True))


def test_a_feed_on_this_machine_is_refused_by_default(
    serve: Callable[[Handler], Server],
) -> None:
    server = serve(answer())
    with pytest.raises(FeedRefused, match="loopback, private"):
        fetch_feed(server.url(), FeedPolicy(allow_http=True))
    with pytest.raises(FeedRefused):  # the name, resolved by the system, is loopback too
        fetch_feed(f"http://localhost:{server.port}/feed.ics", FeedPolicy(allow_http=True))
    assert server.seen == []
    assert fetch_feed(server.url(), local_policy()) == BODY  # the explicit test-only setting


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",  # cloud metadata over IPv6
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::",
    ],
)
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not FeedPolicy().address_allowed(address)
    assert not FeedPolicy(allowed_networks=LOCAL).address_allowed(address) or address in (
        "127.0.0.1",
        "::ffff:127.0.0.1",
    )


def test_public_addresses_are_allowed() -> None:
    assert FeedPolicy().address_allowed("93.184.215.14")
    assert FeedPolicy().address_allowed("2606:2800:21f:cb07:6820:80da:af6b:8b2c")


def test_every_resolved_address_is_checked(serve: Callable[[Handler], Server]) -> None:
    server = serve(answer())
    policy = local_policy(resolver=lambda _host, _port: ["127.0.0.1", "127.0.0.2"])
    with pytest.raises(FeedRefused, match=r"127\.0\.0\.2"):
        fetch_feed(f"http://feeds.example:{server.port}/feed.ics", policy)
    assert server.seen == []


def test_the_connection_goes_to_the_vetted_address_not_a_new_lookup(
    serve: Callable[[Handler], Server],
) -> None:
    """feeds.example does not resolve on this machine: the fetch can only succeed by connecting
    to the address that was vetted, while Host still names the feed's host."""
    server = serve(answer())
    policy = local_policy(resolver=lambda _host, _port: ["127.0.0.1"])
    assert fetch_feed(f"http://feeds.example:{server.port}/feed.ics", policy) == BODY
    assert server.seen == [("/feed.ics", f"feeds.example:{server.port}")]


def test_redirects_are_capped(serve: Callable[[Handler], Server]) -> None:
    def loop(request: BaseHTTPRequestHandler) -> None:
        hop = int(request.path.rsplit("/", 1)[1]) if request.path.startswith("/r/") else 0
        answer(302, b"", Location=f"/r/{hop + 1}")(request)

    server = serve(loop)
    with pytest.raises(FeedRefused, match="more than 3 redirects"):
        fetch_feed(server.url("/r/0"), local_policy())
    assert len(server.seen) == 4  # the first request and three redirects, then no more


def test_each_redirect_hop_is_vetted(serve: Callable[[Handler], Server]) -> None:
    for target in ("http://127.0.0.2:9/feed.ics", "file:///etc/passwd", "http://[::1]:9/"):
        server = serve(answer(301, b"", Location=target))
        with pytest.raises(FeedRefused):
            fetch_feed(server.url(), local_policy())
    fine = serve(answer())
    hop = serve(answer(307, b"", Location=fine.url("/moved.ics")))
    assert fetch_feed(hop.url(), local_policy()) == BODY
    assert fine.seen and fine.seen[0][0] == "/moved.ics"


def test_a_feed_over_the_size_limit_is_refused_not_cut(
    serve: Callable[[Handler], Server],
) -> None:
    limit = 1000
    declared = serve(answer(body=b"x" * (limit + 1), Content_Length=str(limit + 1)))
    undeclared = serve(answer(body=b"x" * (limit + 1)))  # HTTP/1.0: ends when the server closes
    for server in (declared, undeclared):
        with pytest.raises(FeedRefused, match="larger than 1000 bytes"):
            fetch_feed(server.url(), local_policy(max_bytes=limit))
    exact = serve(answer(body=b"x" * limit))
    assert fetch_feed(exact.url(), local_policy(max_bytes=limit)) == b"x" * limit


def test_a_feed_that_trickles_is_cut_off_at_the_deadline(
    serve: Callable[[Handler], Server],
) -> None:
    def trickle(request: BaseHTTPRequestHandler) -> None:
        request.send_response(200)
        request.end_headers()
        try:
            for _ in range(60):  # bounded: the server stops by itself
                request.wfile.write(b"x")
                request.wfile.flush()
                time.sleep(0.1)
        except OSError:
            pass

    server = serve(trickle)
    with pytest.raises(FeedFetchError, match="took too long") as raised:
        fetch_feed(server.url(), local_policy(timeout_s=1.0))
    assert raised.value.retryable


def test_error_messages_never_carry_the_secret_path(serve: Callable[[Handler], Server]) -> None:
    server = serve(answer(503, b""))
    with pytest.raises(FeedFetchError) as raised:
        fetch_feed(server.url("/feeds/user_SECRET123.ics"), local_policy())
    assert "SECRET123" not in str(raised.value) and "HTTP 503" in str(raised.value)
    with pytest.raises(FeedRefused) as refused:
        fetch_feed(server.url("/feeds/user_SECRET123.ics"), FeedPolicy(allow_http=True))
    assert "SECRET123" not in str(refused.value)
