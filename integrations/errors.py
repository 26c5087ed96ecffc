"""The small error hierarchy every provider adapter maps its failures onto.

Only `integrations/` knows HTTP statuses and provider error codes. The rest of the project decides
what to do from the class alone: retry later (`TransientError`), stop and ask the user to
reconnect (`NeedsReauthError`), treat the object as gone (`NotFoundError`), re-read and
reconcile (`ConflictError`), or record and give up (`PermanentError`).

Messages never contain tokens, feed URLs or other secrets: adapters build them from the provider's
status, code and a short reason only.
"""

from __future__ import annotations


class IntegrationError(Exception):
    """A provider call failed. `retryable` says whether trying again later can help."""

    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        operation: str,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.provider = provider
        self.operation = operation
        self.status = status
        self.code = code

    def __str__(self) -> str:
        status = f" {self.status}" if self.status is not None else ""
        code = f" {self.code}" if self.code else ""
        return f"{self.provider} {self.operation}:{status}{code} {self.message}".strip()


class NeedsReauthError(IntegrationError):
    """The grant was revoked or the token is invalid: the user must reconnect. Never retried."""


class NotFoundError(IntegrationError):
    """The object (event, page, calendar, data source) does not exist or is no longer shared."""


class ConflictError(IntegrationError):
    """The object changed or already exists (409, 412): re-read it and reconcile."""


class TransientError(IntegrationError):
    """Worth retrying: 5xx, 429, rate-limit 403s, timeouts. `retry_after` is in seconds."""

    retryable = True

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        operation: str,
        status: int | None = None,
        code: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, operation=operation, status=status, code=code)
        self.retry_after = retry_after


class PermanentError(IntegrationError):
    """Any other refusal (bad request, forbidden, quota for the product): record and stop."""
