"""Notion's public-integration OAuth: the authorize URL, the code exchange at `/v1/oauth/token`
(HTTP Basic client auth, through notion-client's own `oauth.token`) and `/v1/oauth/revoke`.

Errors carry OAuth's error code and Notion's description only, never a token or the code.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from notion_client import Client, RetryOptions
from notion_client.errors import HTTPResponseError, RequestTimeoutError

from integrations.notion.errors import as_json

_logger = logging.getLogger("integrations.notion.oauth")


@dataclass(frozen=True)
class NotionApp:
    """The public integration the app is registered as."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)


@dataclass(frozen=True)
class NotionGrant:
    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    bot_id: str
    workspace_id: str
    workspace_name: str
    duplicated_template_id: str | None


class NotionOAuthError(Exception):
    def __init__(self, code: str, message: str, *, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def authorize_url(app: NotionApp, *, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "client_id": app.client_id,
            "response_type": "code",
            "owner": "user",
            "redirect_uri": redirect_uri,
            "state": state,
        }
    )
    return f"{app.base_url.rstrip('/')}/v1/oauth/authorize?{query}"


def _client(app: NotionApp, timeout_s: float) -> Client:
    # No bearer token: the OAuth endpoints authenticate the app itself (Basic).
    return Client(
        base_url=app.base_url.rstrip("/"),
        logger=_logger,
        timeout_ms=int(timeout_s * 1000),
        retry=RetryOptions(max_retries=0),
    )


def _oauth_error(exc: Exception) -> NotionOAuthError:
    if isinstance(exc, RequestTimeoutError | httpx.TimeoutException):
        return NotionOAuthError("unreachable", "Notion did not answer in time")
    if isinstance(exc, httpx.TransportError):
        return NotionOAuthError("unreachable", type(exc).__name__)
    assert isinstance(exc, HTTPResponseError)
    code, message = f"http_{exc.status}", "refused"
    try:
        body = json.loads(exc.body)
    except ValueError:
        body = None
    if isinstance(body, dict):
        # OAuth's shape ({"error", "error_description"}) or Notion's ({"code", "message"}).
        code = str(body.get("error") or body.get("code") or code)
        message = str(body.get("error_description") or body.get("message") or message)[:300]
    return NotionOAuthError(code, message, status=exc.status)


def exchange_code(
    app: NotionApp, *, code: str, redirect_uri: str, timeout_s: float = 30.0
) -> NotionGrant:
    client = _client(app, timeout_s)
    try:
        answer: dict[str, Any] = as_json(
            client.oauth.token(
                client_id=app.client_id,
                client_secret=app.client_secret,
                grant_type="authorization_code",
                code=code,
                redirect_uri=redirect_uri,
            )
        )
    except (HTTPResponseError, RequestTimeoutError, httpx.HTTPError) as exc:
        raise _oauth_error(exc) from None
    finally:
        client.close()
    access = answer.get("access_token")
    if not isinstance(access, str) or not access:
        raise NotionOAuthError("invalid_response", "the token answer holds no access token")
    refresh = answer.get("refresh_token")
    template = answer.get("duplicated_template_id")
    return NotionGrant(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        bot_id=str(answer.get("bot_id") or ""),
        workspace_id=str(answer.get("workspace_id") or ""),
        workspace_name=str(answer.get("workspace_name") or ""),
        duplicated_template_id=template if isinstance(template, str) and template else None,
    )


def revoke(app: NotionApp, token: str, *, timeout_s: float = 10.0) -> bool:
    """Revoke the bot token; False when Notion cannot be reached or refuses (the caller forgets
    the token either way)."""
    client = _client(app, timeout_s)
    try:
        client.oauth.revoke(client_id=app.client_id, client_secret=app.client_secret, token=token)
    except (HTTPResponseError, RequestTimeoutError, httpx.HTTPError):
        return False
    finally:
        client.close()
    return True
