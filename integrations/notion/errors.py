"""Notion failures mapped onto the project's error hierarchy (`integrations.errors`).

notion-client raises `APIResponseError` for a JSON error body with a known code,
`UnknownHTTPResponseError` for anything else (a 502 HTML page, Notion's 529 `service_overload`,
400 `missing_version`), `RequestTimeoutError` for its own timeout, and lets httpx transport errors
(connection reset, server disconnected) through untouched. All of them land here.

Messages carry the status, the code and Notion's short message only: Notion never echoes the
token, and we scrub it anyway in case a future message does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from typing import Any

import httpx
from notion_client.errors import HTTPResponseError, InvalidPathParameterError, RequestTimeoutError

from integrations.errors import (
    IntegrationError,
    NeedsReauthError,
    NotFoundError,
    PermanentError,
    TransientError,
)

PROVIDER = "notion"
_MAX_MESSAGE = 300


class NotionSchemaError(PermanentError):
    """The data source cannot hold our tasks until the user changes it in Notion.

    `problems` are sentences a user can act on ("Add the option Skipped to the Status property").
    """

    def __init__(self, problems: tuple[str, ...], *, operation: str = "prepare_schema") -> None:
        message = "The Notion database needs changes: " + " ".join(problems)
        super().__init__(message, provider=PROVIDER, operation=operation, code="schema_mismatch")
        self.problems = problems


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    raw = headers.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(raw).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text[:_MAX_MESSAGE]


def _code_of(error: HTTPResponseError) -> str:
    code = error.code
    value = getattr(code, "value", code)
    if value == "notionhq_client_response_error":
        # Not a code notion-client knows (529 service_overload, missing_version, an HTML 502):
        # recover Notion's own code from the body when it is JSON.
        try:
            body = json.loads(error.body)
            if isinstance(body, dict) and isinstance(body.get("code"), str):
                return str(body["code"])
        except ValueError:
            pass
        return f"http_{error.status}"
    return str(value)


def map_exception(
    exc: BaseException, *, operation: str, secrets: tuple[str, ...] = ()
) -> IntegrationError | None:
    """The project's error for a Notion failure, or None if `exc` is not a Notion/HTTP failure."""
    if isinstance(exc, IntegrationError):
        return exc
    if isinstance(exc, RequestTimeoutError):
        return TransientError(
            "request timed out", provider=PROVIDER, operation=operation, code="timeout"
        )
    if isinstance(exc, httpx.TimeoutException):
        return TransientError(
            "request timed out", provider=PROVIDER, operation=operation, code="timeout"
        )
    if isinstance(exc, httpx.TransportError):
        return TransientError(
            f"connection failed ({type(exc).__name__})",
            provider=PROVIDER,
            operation=operation,
            code="transport_error",
        )
    if isinstance(exc, InvalidPathParameterError):
        return PermanentError(
            "invalid object id", provider=PROVIDER, operation=operation, code="invalid_id"
        )
    if not isinstance(exc, HTTPResponseError):
        return None
    status = exc.status
    code = _code_of(exc)
    message = _scrub(str(exc), secrets)
    if status in (401, 403):
        return NeedsReauthError(
            message, provider=PROVIDER, operation=operation, status=status, code=code
        )
    if status == 404:
        return NotFoundError(
            message, provider=PROVIDER, operation=operation, status=status, code=code
        )
    if status in (409, 429) or status >= 500:
        # 409 conflict_error is Notion's "transaction collided, try again", not an ETag conflict.
        return TransientError(
            message,
            provider=PROVIDER,
            operation=operation,
            status=status,
            code=code,
            retry_after=retry_after_seconds(exc.headers),
        )
    return PermanentError(message, provider=PROVIDER, operation=operation, status=status, code=code)


@contextmanager
def translate(operation: str, *, secrets: tuple[str, ...] = ()) -> Iterator[None]:
    """Re-raise Notion/HTTP failures inside the block as `IntegrationError`s."""
    try:
        yield
    except IntegrationError:
        raise
    except Exception as exc:
        mapped = map_exception(exc, operation=operation, secrets=secrets)
        if mapped is None:
            raise
        raise mapped from exc


def as_json(value: object) -> dict[str, Any]:
    """notion-client's sync calls return parsed JSON objects; say so to the type checker."""
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object from Notion, got {type(value).__name__}")
    return value


def is_ambiguous_write(error: IntegrationError) -> bool:
    """A write that may have happened although we got an error (timeout, 5xx, dropped socket).

    A 429 is refused before anything is done, so it is not ambiguous.
    """
    return isinstance(error, TransientError) and error.status != 429
