"""What a webhook receiver answers: an HTTP status for the route, a short result code (for
logs, tests and metrics; never a secret), and the debounced syncs to schedule after commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.realtime.debounce import SyncRequested


@dataclass(frozen=True)
class WebhookOutcome:
    status_code: int
    result: str
    detail: str = ""
    requests: tuple[SyncRequested, ...] = field(default=())
    # A Notion event id recorded as handled: forgotten again if scheduling fails, so the
    # provider's retry is processed instead of being taken for a duplicate.
    event_id: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status_code < 400

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"result": self.result}
        if self.detail:
            out["detail"] = self.detail
        return out


def rejected(status_code: int, result: str, detail: str) -> WebhookOutcome:
    return WebhookOutcome(status_code, result, detail)


def ignored(result: str, detail: str = "") -> WebhookOutcome:
    """Well-formed and authentic (or harmless), but nothing to do: 200, so nobody retries."""
    return WebhookOutcome(200, result, detail)
