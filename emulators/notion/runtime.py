"""What a running Notion emulator knows besides the workspace: its settings, the faults a test
asked for, the rate-limit buckets, the requests it saw."""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field

from emulators.notion.state import Workspace


@dataclass
class EmulatorSettings:
    """Tunable behaviour. Defaults are Notion's documented ones."""

    rate_per_s: float = 3.0  # average requests per second per token
    burst: float = 10.0  # token-bucket capacity
    error_rate: float = 0.0  # probability of a random injected failure per API request
    error_statuses: tuple[int, ...] = (500, 502, 529)
    seed: int = 0
    latency_s: float = 0.0
    auto_create_select_options: bool = True
    lost_response_hold_s: float = 2.0  # how long a "lost" create holds its connection
    # The public integration's OAuth client (oauth.py) and the workspace it connects to
    oauth_client_id: str = "1f1e5a7e-0000-4000-8000-00000000c11e"
    oauth_client_secret: str = "secret_emulator-oauth-client"
    oauth_redirect_uris: list[str] = field(default_factory=list)  # none: any loopback http URI
    auto_consent: str | None = None  # "allow" or "deny": answer every consent page at once
    workspace_id: str = "9a5e0000-0000-4000-8000-0000000005ec"
    workspace_name: str = "Student's Notion"
    oauth_user_email: str = "student@example.com"
    oauth_user_name: str = "Student"
    # Webhook deliveries (webhooks.py); Notion's own retry schedule is not documented
    webhook_delay_s: float = 3.0  # a new subscription's delivery delay (Notion: within a minute)
    webhook_retry_initial_s: float = 1.0  # before the first retry, doubled each time
    webhook_max_attempts: int = 8
    webhook_timeout_s: float = 5.0


@dataclass
class FaultRule:
    """The next `remaining` matching API requests answer `status`."""

    status: int
    remaining: int
    method: str | None = None
    path_pattern: str | None = None  # regex matched against the request path
    retry_after_s: int | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return self.path_pattern is None or re.search(self.path_pattern, path) is not None


@dataclass
class LostCreate:
    """The next `remaining` page creates succeed but the client never gets the response."""

    remaining: int
    # "timeout": hold the connection, then close; "drop": close at once; "504": answer 504
    mode: str = "timeout"
    hold_s: float | None = None


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class EmulatorRuntime:
    """Everything the handler threads share, behind `workspace.lock`."""

    workspace: Workspace
    settings: EmulatorSettings
    rng: random.Random
    faults: list[FaultRule] = field(default_factory=list)
    lost_creates: list[LostCreate] = field(default_factory=list)
    buckets: dict[str, _Bucket] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)

    def take_rate_slot(self, token: str) -> float | None:
        """None when the request may proceed, else the seconds until a slot frees up."""
        now = time.monotonic()
        rate, burst = self.settings.rate_per_s, self.settings.burst
        bucket = self.buckets.setdefault(token, _Bucket(tokens=burst, updated=now))
        bucket.tokens = min(burst, bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return (1.0 - bucket.tokens) / rate

    def next_fault(self, method: str, path: str) -> FaultRule | None:
        for rule in self.faults:
            if rule.remaining > 0 and rule.matches(method, path):
                rule.remaining -= 1
                return rule
        self.faults = [r for r in self.faults if r.remaining > 0]
        if self.settings.error_rate > 0 and self.rng.random() < self.settings.error_rate:
            status = self.rng.choice(self.settings.error_statuses)
            return FaultRule(status=status, remaining=0)
        return None

    def next_lost_create(self) -> LostCreate | None:
        for lost in self.lost_creates:
            if lost.remaining > 0:
                lost.remaining -= 1
                return lost
        return None
