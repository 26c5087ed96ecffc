"""What both emulators' OAuth consent flows share: small accessible HTML pages (no JavaScript, so
a real headless browser can click through them), redirects, form and HTTP Basic parsing, the
redirect-URI rule and the PKCE check."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import html
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from emulators.serving import Reply

HTML_UTF8 = "text/html; charset=utf-8"
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;"
    "line-height:1.5}fieldset{margin:1rem 0}button{font-size:1rem;padding:.5rem 1.25rem;"
    "margin-right:.75rem}label{display:block;margin:.25rem 0}input[type=email],input[type=text]"
    "{font-size:1rem;width:100%;padding:.25rem}.note{color:#555;font-size:.9rem}"
)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def html_page(title: str, body: str, *, status: int = 200) -> Reply:
    """`body` is trusted markup: callers escape every value they put into it with `esc`."""
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main><h1>{esc(title)}</h1>{body}</main></body></html>"
    )
    # The pages are forms a real user answers: never cached, never framed by another site.
    headers = {"Cache-Control": "no-store", "X-Frame-Options": "DENY"}
    return Reply(status, document.encode("utf-8"), headers, content_type=HTML_UTF8)


def error_page(status: int, title: str, message: str) -> Reply:
    """What the provider shows instead of redirecting when it cannot trust the redirect URI."""
    return html_page(title, f"<p>{esc(message)}</p>", status=status)


def redirect(url: str) -> Reply:
    return Reply(302, b"", {"Location": url, "Cache-Control": "no-store"}, content_type="")


def with_query(url: str, params: Mapping[str, str | None]) -> str:
    """`url` with `params` (None values left out) appended to whatever query it already has."""
    parts = urlsplit(url)
    extra = urlencode([(k, v) for k, v in params.items() if v is not None])
    query = f"{parts.query}&{extra}" if parts.query and extra else (parts.query or extra)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def first_values(encoded: str) -> dict[str, str]:
    """A query string or form body as {name: first value} (blank values kept)."""
    return {k: v[0] for k, v in parse_qs(encoded, keep_blank_values=True).items()}


def all_values(encoded: str, name: str) -> list[str]:
    return parse_qs(encoded, keep_blank_values=True).get(name, [])


def basic_auth(header: str | None) -> tuple[str, str] | None:
    """(user, password) from an `Authorization: Basic …` header, None if absent or malformed."""
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def same_secret(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def is_loopback_http(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and (parts.hostname or "") in LOOPBACK_HOSTS


def redirect_uri_allowed(uri: str | None, registered: Sequence[str]) -> bool:
    """An exact match with a registered URI. With none registered, any loopback http URI (any
    port) is accepted, as for a client registered with loopback redirects only: the tests and
    the demo bind to port 0. Register URIs to get the strict rule."""
    if not uri:
        return False
    if registered:
        return uri in registered
    return is_loopback_http(uri) and not urlsplit(uri).fragment


def pkce_matches(challenge: str, method: str, verifier: str | None) -> bool:
    """RFC 7636: S256 compares base64url(sha256(verifier)) without padding; plain compares as is."""
    if not verifier or not 43 <= len(verifier) <= 128:
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    else:
        computed = verifier
    return hmac.compare_digest(computed.encode(), challenge.encode())


def hidden(name: str, value: str) -> str:
    return f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">'


def checkbox(name: str, value: str, label: str, *, checked: bool = True) -> str:
    mark = " checked" if checked else ""
    return (
        f'<label><input type="checkbox" name="{esc(name)}" value="{esc(value)}"{mark}> '
        f"{esc(label)}</label>"
    )


def decision_buttons(allow: str, deny: str) -> str:
    return (
        f'<p><button type="submit" name="decision" value="allow">{esc(allow)}</button>'
        f'<button type="submit" name="decision" value="deny">{esc(deny)}</button></p>'
    )
