"""Notion webhooks, played by the emulator (API-FACTS, "Notion webhooks").

A subscription is made through the admin endpoint (Notion: in the integration's settings) with
a URL and a delivery delay. The emulator first POSTs `{"verification_token": …}` to the URL;
the admin pastes the token back (`verify`) to activate it, as on Notion. From then on every
change to a page the integration can see becomes an event — `page.created`,
`page.properties_updated` (with the changed property ids), `page.deleted`, `page.undeleted`,
`data_source.schema_updated` — carrying ids, `timestamp`, `entity` and `data.parent`, not the
new values. Each delivery is signed: `X-Notion-Signature: sha256=<HMAC-SHA256 of the raw body,
keyed with the verification token>`. Deliveries wait `delay_s` (Notion: "within a minute"; the
default is a few seconds, 0 is allowed), property updates of one page within that window are
aggregated into one event, failures are retried with backoff (`attempt_number` grows, so the
body and its signature change), and `duplicate=True` sends every event twice: delivery is at
least once, receivers dedupe by event id.

The shape of `data.parent` for a page in a data source (API version 2025-09-03) is not fully
documented; the emulator sends `{"id": <database id>, "type": "database", "data_source_id": …}`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from emulators.delivery import Delivery, Outbox
from emulators.notion.common import Json, iso_exact
from emulators.notion.entities import Change
from emulators.notion.runtime import EmulatorSettings
from emulators.notion.state import Workspace

API_VERSION = "2025-09-03"
AGGREGATED = frozenset({"page.properties_updated", "page.content_updated"})


@dataclass
class Subscription:
    id: str
    url: str
    delay_s: float
    verification_token: str
    event_types: frozenset[str] | None = None  # None: every type
    aggregate: bool = True
    duplicate: bool = False
    verified: bool = False
    removed: bool = False


@dataclass
class _Pending:
    """An event not sent yet: aggregation may still add properties to it."""

    event: Json
    sent: bool = False
    properties: list[str] = field(default_factory=list)


class WebhookHub:
    def __init__(self, workspace: Workspace, settings: EmulatorSettings) -> None:
        self.workspace = workspace
        self.settings = settings
        self.subscriptions: dict[str, Subscription] = {}
        self.outbox = Outbox("notion-webhooks", timeout_s=settings.webhook_timeout_s)
        self._lock = threading.Lock()  # guards _pending, touched by the outbox thread too
        self._pending: dict[tuple[str, str, str], _Pending] = {}
        workspace.listener = self.changed

    # ---- subscriptions ---------------------------------------------------------------------------

    def subscribe(
        self,
        url: str,
        *,
        delay_s: float | None = None,
        event_types: list[str] | None = None,
        aggregate: bool = True,
        duplicate: bool = False,
    ) -> Json:
        if not url.startswith(("http://", "https://")):
            raise ValueError("url must be an http(s) URL")
        sub = Subscription(
            id=str(uuid.uuid4()),
            url=url,
            delay_s=self.settings.webhook_delay_s if delay_s is None else float(delay_s),
            verification_token="secret_" + secrets.token_urlsafe(32),
            event_types=frozenset(event_types) if event_types else None,
            aggregate=bool(aggregate),
            duplicate=bool(duplicate),
        )
        if sub.delay_s < 0:
            raise ValueError("delay_s must be ≥ 0")
        self.subscriptions[sub.id] = sub
        body = json.dumps({"verification_token": sub.verification_token}).encode()
        self.outbox.submit(
            Delivery(
                url=sub.url,
                render=lambda _attempt: ({"Content-Type": "application/json"}, body),
                label=f"{sub.id} verification",
                max_attempts=self.settings.webhook_max_attempts,
                backoff_initial_s=self.settings.webhook_retry_initial_s,
                wanted=lambda: not sub.removed,
            )
        )
        return self.describe(sub)

    def verify(self, subscription_id: str, verification_token: str) -> Json:
        sub = self._subscription(subscription_id)
        if not hmac.compare_digest(verification_token.encode(), sub.verification_token.encode()):
            raise ValueError("that is not the verification token sent to the endpoint")
        sub.verified = True
        return self.describe(sub)

    def update(self, subscription_id: str, changes: Json) -> Json:
        sub = self._subscription(subscription_id)
        for name in ("delay_s", "aggregate", "duplicate"):
            if name in changes:
                setattr(sub, name, type(getattr(sub, name))(changes[name]))
        return self.describe(sub)

    def remove(self, subscription_id: str) -> None:
        self._subscription(subscription_id).removed = True
        del self.subscriptions[subscription_id]

    def describe(self, sub: Subscription) -> Json:
        return {
            "id": sub.id,
            "url": sub.url,
            "delay_s": sub.delay_s,
            "verified": sub.verified,
            "aggregate": sub.aggregate,
            "duplicate": sub.duplicate,
            "event_types": sorted(sub.event_types) if sub.event_types else None,
        }

    def close(self) -> None:
        self.outbox.close()

    # ---- events --------------------------------------------------------------------------------

    def changed(self, change: Change) -> None:
        """Called by the workspace, under its lock, after every change."""
        if not self._integration_sees(change.database_id):
            return
        for sub in list(self.subscriptions.values()):
            if not sub.verified or (sub.event_types and change.type not in sub.event_types):
                continue
            key = (sub.id, change.entity_id, change.type)
            with self._lock:
                pending = self._pending.get(key)
                if sub.aggregate and change.type in AGGREGATED and pending and not pending.sent:
                    for prop in change.updated_properties:
                        if prop not in pending.properties:
                            pending.properties.append(prop)
                    continue
                pending = _Pending(
                    self._event(sub, change), properties=list(change.updated_properties)
                )
                if change.type in AGGREGATED:
                    self._pending[key] = pending
            copies = 2 if sub.duplicate else 1
            for copy_number in range(copies):
                self.outbox.submit(
                    self._delivery(sub, key, pending), sub.delay_s + 0.01 * copy_number
                )

    def _integration_sees(self, database_id: str) -> bool:
        db = self.workspace.databases.get(database_id)
        return db is not None and any(
            not token.revoked and self.workspace.visible(db, token)
            for token in self.workspace.tokens.values()
        )

    def _event(self, sub: Subscription, change: Change) -> Json:
        s = self.settings
        if change.entity_type == "page":
            parent: Json = {
                "id": change.database_id,
                "type": "database",
                "data_source_id": change.data_source_id,
            }
        else:
            parent = {"id": change.database_id, "type": "database"}
        return {
            "id": str(uuid.uuid4()),
            "timestamp": iso_exact(self.workspace.clock.now()),
            "workspace_id": s.workspace_id,
            "workspace_name": s.workspace_name,
            "subscription_id": sub.id,
            "integration_id": s.oauth_client_id,
            "type": change.type,
            "authors": [{"id": change.author_id, "type": change.author_type}],
            "attempt_number": 1,
            "api_version": API_VERSION,
            "entity": {"id": change.entity_id, "type": change.entity_type},
            "data": {"parent": parent},
        }

    def _delivery(
        self, sub: Subscription, key: tuple[str, str, str], pending: _Pending
    ) -> Delivery:
        def render(attempt: int) -> tuple[dict[str, str], bytes]:
            with self._lock:
                pending.sent = True
                if self._pending.get(key) is pending:
                    del self._pending[key]
                event = dict(pending.event, attempt_number=attempt)
                if event["type"] in AGGREGATED or pending.properties:
                    event["data"] = dict(event["data"], updated_properties=list(pending.properties))
            body = json.dumps(event, separators=(",", ":")).encode()
            return {"Content-Type": "application/json", "X-Notion-Signature": sign(body, sub)}, body

        return Delivery(
            url=sub.url,
            render=render,
            label=f"{pending.event['id']} {pending.event['type']}",
            max_attempts=self.settings.webhook_max_attempts,
            backoff_initial_s=self.settings.webhook_retry_initial_s,
            wanted=lambda: not sub.removed,
        )

    # ---- admin -----------------------------------------------------------------------------------

    def admin(self, method: str, parts: list[str], body: Json) -> Any:
        with self.workspace.lock:
            route = (method, *parts)
            if route == ("GET",):
                return [self.describe(s) for s in self.subscriptions.values()]
            if route == ("POST",):
                return self.subscribe(
                    str(body["url"]),
                    delay_s=body.get("delay_s"),
                    event_types=body.get("event_types"),
                    aggregate=bool(body.get("aggregate", True)),
                    duplicate=bool(body.get("duplicate", False)),
                )
            if route == ("GET", "log"):
                return self.outbox.attempts()
            if len(parts) == 2 and method == "POST" and parts[1] == "verify":
                return self.verify(parts[0], str(body.get("verification_token", "")))
            if len(parts) == 2 and method == "POST" and parts[1] == "remove":
                self.remove(parts[0])
                return {}
            if len(parts) == 1 and method == "POST" and parts[0] not in ("wait", "flush"):
                return self.update(parts[0], body)
        if route == ("POST", "flush"):
            return {"flushed": self.outbox.flush()}
        if route == ("POST", "wait"):
            # Outside the workspace lock: deliveries must be able to finish meanwhile.
            return {"idle": self.outbox.wait_idle(float(body.get("timeout_s", 10.0)))}
        raise KeyError(f"no admin route {method} webhooks/{'/'.join(parts)}")

    def _subscription(self, subscription_id: str) -> Subscription:
        sub = self.subscriptions.get(subscription_id)
        if sub is None:
            raise KeyError("unknown webhook subscription")
        return sub


def sign(body: bytes, sub: Subscription) -> str:
    digest = hmac.new(sub.verification_token.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"
