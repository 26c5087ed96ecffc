"""The Google emulator's knobs and the faults a test scripted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

HOLIDAYS = {
    "id": "en.usa#holiday@group.v.calendar.google.com",
    "summary": "Holidays in United States",
    "access_role": "reader",
    "selected": True,
}


@dataclass
class EmulatorSettings:
    """Knobs of the emulator. All can be changed at run time through `admin.configure`."""

    rate_limit_per_minute: int = 600  # per user, batch parts included; 0 disables
    rate_limit_status: int = 403  # 403 userRateLimitExceeded, or 429 rateLimitExceeded
    rate_limit_retry_after: float | None = None
    error_rate: float = 0.0  # share of Calendar calls answered with a random 500/503
    seed: int = 0
    latency: float = 0.0  # seconds added before every non-admin HTTP request
    access_token_ttl: int = 3600
    default_page_size: int = 250
    max_page_size: int = 2500
    freebusy_max_calendars: int = 50
    freebusy_max_days: int = 90
    batch_max_parts: int = 1000
    default_user: str = "student@example.com"
    default_time_zone: str = "UTC"
    client_id: str = "studyplanner-emulator.apps.googleusercontent.com"
    client_secret: str = "emulator-client-secret"
    default_refresh_token: str = "1//emulator-refresh-token"
    # OAuth web-server flow (oauth.py)
    redirect_uris: list[str] = field(default_factory=list)  # exact; none: any loopback http URI
    auto_consent: str | None = None  # "allow" or "deny": answer every consent page at once
    auth_code_ttl: int = 600
    # What an account created by signing in on the consent page has besides its primary
    # calendar (see accounts.sign_up): by default a public holiday calendar, shared read-only.
    signup_calendars: list[dict[str, Any]] = field(default_factory=lambda: [dict(HOLIDAYS)])


@dataclass
class FailRule:
    """Answer the next `remaining` matching calls with `status` (a scripted outage)."""

    remaining: int
    status: int
    method: str | None = None
    path: re.Pattern[str] | None = None
    reason: str | None = None
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or self.path.search(path) is not None


@dataclass
class LostResponse:
    """The next request carrying an event insert is applied, then its answer never arrives."""

    mode: str  # "timeout": hold the connection `hold_seconds`, then close; "drop": close at once
    hold_seconds: float
