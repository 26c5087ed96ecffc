"""Google's web-server OAuth flow (client type *Web application*) with google-auth-oauthlib's
`Flow`: the consent URL (offline access, consent every time, incremental scopes, PKCE S256) and
the code exchange. The URIs come from configuration, so the same code talks to Google or to the
emulator.

Nothing here logs or raises a token: errors carry the OAuth error code and a description only.
"""

from __future__ import annotations

import logging
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import httpx
from google_auth_oauthlib.flow import Flow
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from requests import RequestException

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# requests-oauthlib logs the whole token answer at DEBUG ("Obtained token {...}"), and oauthlib
# logs request bodies: held at WARNING so a debug log level never writes a token down.
for _noisy in ("requests_oauthlib", "oauthlib"):
    logging.getLogger(_noisy).setLevel(logging.WARNING)


@dataclass(frozen=True)
class WebClient:
    """The OAuth client the app is registered as."""

    client_id: str
    client_secret: str = field(repr=False)
    auth_uri: str
    token_uri: str

    def config(self, redirect_uri: str) -> dict[str, Any]:
        return {
            "web": {
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "auth_uri": self.auth_uri,
                "token_uri": self.token_uri,
                "redirect_uris": [redirect_uri],
            }
        }


@dataclass(frozen=True)
class GoogleGrant:
    """What the token endpoint answered. `refresh_token` is None when Google sent none (the
    student had consented before and `prompt=consent` was not honoured)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expiry: datetime | None
    scopes: tuple[str, ...]

    def as_token(self) -> dict[str, Any]:
        """The shape `services.connect.connect_google` stores."""
        return {
            "token": self.access_token,
            "refresh_token": self.refresh_token,
            "expiry": self.expiry.isoformat() if self.expiry else None,
        }


class GoogleOAuthError(Exception):
    """The exchange failed. `code` is OAuth's error (invalid_grant, invalid_client, …) or
    `unreachable`; the message never holds a token or a code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def _allow_loopback_http(uri: str) -> None:
    # oauthlib refuses plain http; the emulator listens on loopback http. Relaxed only when the
    # configured endpoint is on this machine, never for a remote host.
    parts = urlsplit(uri)
    if parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS:
        os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")


def new_code_verifier() -> str:
    """A PKCE verifier (RFC 7636: 43–128 unreserved characters)."""
    return secrets.token_urlsafe(64)


def consent_url(
    client: WebClient,
    *,
    scopes: Sequence[str],
    redirect_uri: str,
    state: str,
    code_verifier: str,
) -> str:
    """The consent page URL; its code challenge is the S256 hash of `code_verifier`, which the
    caller keeps server side for the exchange."""
    _allow_loopback_http(client.auth_uri)
    flow = Flow.from_client_config(
        client.config(redirect_uri),
        scopes=list(scopes),
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
        autogenerate_code_verifier=False,
    )
    url, _state = flow.authorization_url(
        access_type="offline",
        prompt="consent",
        include_granted_scopes="true",
        state=state,
    )
    return str(url)


def exchange_code(
    client: WebClient,
    *,
    scopes: Sequence[str],
    redirect_uri: str,
    code: str,
    code_verifier: str,
    timeout_s: float = 30.0,
) -> GoogleGrant:
    _allow_loopback_http(client.token_uri)
    flow = Flow.from_client_config(
        client.config(redirect_uri),
        scopes=list(scopes),
        redirect_uri=redirect_uri,
        code_verifier=code_verifier,
        autogenerate_code_verifier=False,
    )
    try:
        # include_client_id: the id and secret go in the form body (client_secret_post), as
        # Google documents for the web-server flow.
        token: dict[str, Any] = dict(
            flow.fetch_token(code=code, include_client_id=True, timeout=timeout_s)
        )
    except Warning as changed:
        # oauthlib raises (not warns) when the granted scopes differ from the requested ones —
        # granular consent. The token is on the exception; the caller judges the scopes.
        token = dict(getattr(changed, "token", {}))
    except OAuth2Error as exc:
        raise GoogleOAuthError(exc.error or "oauth_error", exc.description or "refused") from None
    except RequestException as exc:
        raise GoogleOAuthError("unreachable", type(exc).__name__) from None
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise GoogleOAuthError("invalid_response", "the token answer holds no access token")
    refresh = token.get("refresh_token")
    raw_scope = token.get("scope")
    if isinstance(raw_scope, str):
        granted = tuple(raw_scope.split())
    elif isinstance(raw_scope, list | tuple):
        granted = tuple(str(s) for s in raw_scope)
    else:
        granted = tuple(scopes)  # RFC 6749 §5.1: no scope in the answer = as requested
    expires_at = token.get("expires_at")
    expiry = datetime.fromtimestamp(float(expires_at), UTC) if expires_at else None
    return GoogleGrant(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expiry=expiry,
        scopes=granted,
    )


def revoke(revoke_uri: str, token: str, *, timeout_s: float = 10.0) -> bool:
    """Revoke a refresh (or access) token; False when Google cannot be reached or refuses
    (the caller forgets the token either way)."""
    try:
        response = httpx.post(revoke_uri, data={"token": token}, timeout=timeout_s)
    except httpx.HTTPError:
        return False
    return response.status_code == 200
