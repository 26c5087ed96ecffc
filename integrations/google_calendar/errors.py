"""Google's failures mapped onto `integrations.errors`.

Messages are built from the status, Google's reason code and Google's short message only —
never from URLs, headers or request bodies — so no token can leak into a log line. Mapped
errors are raised `from None` for the same reason: the original exception (which carries the
request URI) is not chained into tracebacks.
"""

from __future__ import annotations

import email.utils
import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httplib2
from google.auth.exceptions import RefreshError, TransportError
from googleapiclient.errors import BatchError, HttpError

from integrations.errors import (
    ConflictError,
    IntegrationError,
    NeedsReauthError,
    NotFoundError,
    PermanentError,
    TransientError,
)

PROVIDER = "google"
# 403 quotaExceeded is the product's daily/usage quota: waiting minutes will not help.
QUOTA_RETRY_AFTER = 3600.0
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded"})
_MAX_MESSAGE = 200


class SyncTokenExpiredError(NotFoundError):
    """events.list answered 410 fullSyncRequired: drop the token and list everything again."""


class FreeBusyCalendarError(NotFoundError):
    """freeBusy reported an error for one calendar inside a 200: its busy times are unknown."""

    def __init__(self, message: str, *, calendar_id: str, reason: str | None) -> None:
        super().__init__(
            message, provider=PROVIDER, operation="freebusy.query", status=200, code=reason
        )
        self.calendar_id = calendar_id


def google_error(content: bytes | str | None) -> tuple[str | None, str | None]:
    """(reason, message) from Google's error JSON `{"error": {"errors": [{"reason"}]}}`."""
    if not content:
        return None, None
    try:
        data = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None, None
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, None
    reason: str | None = None
    details = error.get("errors")
    if isinstance(details, list) and details and isinstance(details[0], dict):
        raw = details[0].get("reason")
        reason = str(raw) if raw is not None else None
    if reason is None and isinstance(error.get("status"), str):
        reason = str(error["status"])
    message = error.get("message")
    return reason, (str(message)[:_MAX_MESSAGE] if message is not None else None)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def map_status(
    status: int,
    reason: str | None,
    message: str | None,
    *,
    operation: str,
    retry_after: float | None = None,
) -> IntegrationError:
    text = message or reason or f"HTTP {status}"
    if status == 401:
        return NeedsReauthError(
            text, provider=PROVIDER, operation=operation, status=status, code=reason
        )
    if status == 410 and reason == "fullSyncRequired":
        return SyncTokenExpiredError(
            text, provider=PROVIDER, operation=operation, status=status, code=reason
        )
    if status in (404, 410):
        return NotFoundError(
            text, provider=PROVIDER, operation=operation, status=status, code=reason
        )
    if status in (409, 412):
        return ConflictError(
            text, provider=PROVIDER, operation=operation, status=status, code=reason
        )
    if status == 403 and reason in _QUOTA_REASONS:
        retry_after = max(retry_after or 0.0, QUOTA_RETRY_AFTER)
        return _transient(text, operation, status=status, code=reason, retry_after=retry_after)
    rate_limited = status == 403 and reason in _RATE_LIMIT_REASONS
    if rate_limited or status in (408, 429) or status >= 500:
        return _transient(text, operation, status=status, code=reason, retry_after=retry_after)
    return PermanentError(text, provider=PROVIDER, operation=operation, status=status, code=reason)


def map_http_error(exc: HttpError, operation: str) -> IntegrationError:
    reason, message = google_error(exc.content)
    retry_after = parse_retry_after(exc.resp.get("retry-after"))
    return map_status(
        int(exc.resp.status), reason, message, operation=operation, retry_after=retry_after
    )


def map_refresh_error(exc: RefreshError, operation: str) -> IntegrationError:
    data = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], dict) else {}
    code = str(data.get("error") or "")
    if not code and exc.args and "invalid_grant" in str(exc.args[0]):
        code = "invalid_grant"
    if code == "invalid_grant":
        return NeedsReauthError(
            "the grant was revoked or has expired",
            provider=PROVIDER,
            operation=operation,
            code=code,
        )
    if getattr(exc, "retryable", False):
        return _transient("the token endpoint is unavailable", operation, code=code or None)
    if code in ("invalid_client", "unauthorized_client"):
        return PermanentError(
            "the OAuth client is not accepted", provider=PROVIDER, operation=operation, code=code
        )
    return NeedsReauthError(
        "the access token could not be refreshed",
        provider=PROVIDER,
        operation=operation,
        code=code or None,
    )


def map_exception(exc: BaseException, operation: str) -> IntegrationError | None:
    """The mapped error, or None when `exc` is not a provider failure (a bug: let it raise)."""
    if isinstance(exc, IntegrationError):
        return exc
    if isinstance(exc, HttpError):
        return map_http_error(exc, operation)
    if isinstance(exc, RefreshError):
        return map_refresh_error(exc, operation)
    if isinstance(exc, socket.timeout | TimeoutError):
        return _transient("timed out waiting for Google", operation, code="timeout")
    if isinstance(exc, TransportError | httplib2.HttpLib2Error | ConnectionError):
        return _transient("could not reach Google", operation, code="connection")
    if isinstance(exc, BatchError):
        return _transient("malformed batch response", operation, code="batch")
    if isinstance(exc, OSError):
        return _transient("network error talking to Google", operation, code="network")
    return None


def _transient(
    message: str,
    operation: str,
    *,
    status: int | None = None,
    code: str | None = None,
    retry_after: float | None = None,
) -> TransientError:
    return TransientError(
        message,
        provider=PROVIDER,
        operation=operation,
        status=status,
        code=code,
        retry_after=retry_after,
    )


@contextmanager
def mapped_errors(operation: str) -> Iterator[None]:
    """Run a Google call; re-raise its failure as an `IntegrationError`."""
    try:
        yield
    except IntegrationError:
        raise
    except Exception as exc:
        mapped = map_exception(exc, operation)
        if mapped is None:
            raise
        raise mapped from None
