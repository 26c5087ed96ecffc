"""The Notion webhook receiver (`POST /v1/webhooks/notion`).

One subscription per deployment, made in the integration's settings with our public URL.
Notion first POSTs a one-time `verification_token`: we store it encrypted (the admin reads it
with `studyplanner webhooks notion-token` and pastes it back into Notion). A different token
offered later is refused and counted, never taken silently: whoever could replace it could
sign events. Every event is then checked against `X-Notion-Signature` on the raw body BEFORE
anything parses it, deduplicated by event id (delivery is at least once), and mapped to the
students whose connected data source (or page) it names; each gets a debounced sync. Events
carry ids, not values: the sync fetches the pages.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.models import IntegrationSettings, NotionTask, NotionWebhookEvent, WebhookSecret
from services.realtime.debounce import DebounceWindow, request_sync, rowcount
from services.realtime.health import NOTION
from services.realtime.outcome import WebhookOutcome, ignored, rejected
from services.realtime.signatures import secrets_equal, verify_notion_signature
from services.settings import Settings

log = logging.getLogger(__name__)

SIGNATURE = "x-notion-signature"
# Notion retries a delivery for hours, not days: ids older than this are pruned, and events
# older than this are refused as stale (so a replay after the prune changes nothing either).
EVENT_RETENTION = timedelta(days=3)
MAX_BODY = 256 * 1024
RESET_HINT = "run 'studyplanner webhooks notion-token --reset' to accept a new one"


def handle_notion_webhook(
    session: Session,
    settings: Settings,
    raw_body: bytes,
    headers: Mapping[str, str],
    now: datetime,
) -> WebhookOutcome:
    """Answer the verification request, or check and route one event. `raw_body` exactly as
    received (the signature covers its bytes). The caller commits, then schedules
    `outcome.requests`."""
    if not settings.push_enabled:
        return rejected(404, "push_disabled", "real-time sync is off")
    if len(raw_body) > MAX_BODY:
        return rejected(413, "too_large", f"body over {MAX_BODY} bytes")
    signature = {k.lower(): v for k, v in headers.items()}.get(SIGNATURE)
    stored = session.get(WebhookSecret, NOTION)
    if signature is None:
        return _verification_request(session, stored, raw_body, now)
    if stored is None:
        return rejected(401, "no_token", "no verification token stored yet")
    if not verify_notion_signature(raw_body, signature, stored.secret):
        return rejected(401, "bad_signature", "X-Notion-Signature does not match the body")

    event = _parse(raw_body)
    if event is None:
        return rejected(400, "malformed", "the body is not a Notion event (JSON with an id)")
    stamped = _timestamp(event.get("timestamp"))
    if stamped is not None and stamped < now - EVENT_RETENTION:
        return ignored("stale", "event older than the retention window")
    event_id = str(event["id"])
    if not _first_time(session, event_id, now):
        return ignored("duplicate")
    stored.first_event_at = stored.first_event_at or now
    stored.last_event_at = now
    users = students_for_event(session, event)
    if not users:
        return WebhookOutcome(200, "no_student", event_id=event_id)
    window = DebounceWindow.from_settings(settings)
    requests = tuple(request_sync(session, user, now, NOTION, window=window) for user in users)
    return WebhookOutcome(200, "sync_requested", requests=requests, event_id=event_id)


def _verification_request(
    session: Session, stored: WebhookSecret | None, raw_body: bytes, now: datetime
) -> WebhookOutcome:
    token = _verification_token(raw_body)
    if token is None:
        return rejected(401, "unsigned", "X-Notion-Signature is missing")
    if stored is None:
        if _store_token(session, token, now):
            log.info("Notion verification token stored; show it with 'webhooks notion-token'")
            return WebhookOutcome(200, "verification_stored")
        stored = session.get(WebhookSecret, NOTION, populate_existing=True)
        assert stored is not None  # another request stored one between our two statements
    if secrets_equal(stored.secret, token):
        return WebhookOutcome(200, "verification_repeated")
    stored.refused_count += 1
    stored.last_refused_at = now
    log.warning("a second, different Notion verification token was refused (%s)", RESET_HINT)
    return rejected(409, "verification_refused", f"a token is already stored: {RESET_HINT}")


def _verification_token(raw_body: bytes) -> str | None:
    data = _json(raw_body)
    if not isinstance(data, dict):
        return None
    token = data.get("verification_token")
    if not isinstance(token, str) or not 0 < len(token) <= 512 or "id" in data:
        return None
    return token


def _store_token(session: Session, token: str, now: datetime) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(WebhookSecret)
        .values(
            provider=NOTION,
            secret=token,
            received_at=now,
            refused_count=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[WebhookSecret.provider])
        .returning(WebhookSecret.provider)
    )
    return session.execute(statement).first() is not None


def _first_time(session: Session, event_id: str, now: datetime) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(NotionWebhookEvent)
        .values(event_id=event_id, received_at=now)
        .on_conflict_do_nothing(index_elements=[NotionWebhookEvent.event_id])
        .returning(NotionWebhookEvent.event_id)
    )
    return session.execute(statement).first() is not None


def _json(raw_body: bytes) -> Any:
    try:
        return json.loads(raw_body)
    except (ValueError, UnicodeDecodeError):
        return None


def _parse(raw_body: bytes) -> dict[str, Any] | None:
    data = _json(raw_body)
    if not isinstance(data, dict):
        return None
    event_id = data.get("id")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= 64:
        return None
    return data


def _timestamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@dataclass(frozen=True)
class EventTargets:
    data_sources: frozenset[str]
    databases: frozenset[str]
    pages: frozenset[str]


def event_targets(event: Mapping[str, Any]) -> EventTargets:
    """The ids an event names. The parent's shape varies between API versions ("database"
    with a data_source_id, "data_source_id", "data_source"): read every form."""
    sources: set[str] = set()
    databases: set[str] = set()
    pages: set[str] = set()
    entity = event.get("entity")
    if isinstance(entity, dict) and isinstance(entity.get("id"), str):
        kind = entity.get("type")
        {"page": pages, "data_source": sources, "database": databases}.get(str(kind), set()).add(
            entity["id"]
        )
    data = event.get("data")
    parent = data.get("parent") if isinstance(data, dict) else None
    if isinstance(parent, dict):
        kind, parent_id = parent.get("type"), parent.get("id")
        if isinstance(parent_id, str):
            if kind in ("data_source", "data_source_id"):
                sources.add(parent_id)
            elif kind in ("database", "database_id"):
                databases.add(parent_id)
        for key, bucket in (("data_source_id", sources), ("database_id", databases)):
            if isinstance(parent.get(key), str):
                bucket.add(parent[key])
    return EventTargets(frozenset(sources), frozenset(databases), frozenset(pages))


def students_for_event(session: Session, event: Mapping[str, Any]) -> list[uuid.UUID]:
    """The students with Notion enabled whose data source, database or synced page the event
    names (usually one)."""
    targets = event_targets(event)
    users: set[uuid.UUID] = set()
    conditions = []
    if targets.data_sources:
        conditions.append(
            IntegrationSettings.notion_data_source_id.in_(_spellings(targets.data_sources))
        )
    if targets.databases:
        conditions.append(IntegrationSettings.notion_database_id.in_(_spellings(targets.databases)))
    if conditions:
        users.update(
            session.scalars(
                select(IntegrationSettings.user_id).where(
                    IntegrationSettings.notion_enabled.is_(True), or_(*conditions)
                )
            )
        )
    if targets.pages:
        users.update(
            session.scalars(
                select(NotionTask.user_id)
                .join(IntegrationSettings, IntegrationSettings.user_id == NotionTask.user_id)
                .where(
                    NotionTask.notion_page_id.in_(_spellings(targets.pages)),
                    IntegrationSettings.notion_enabled.is_(True),
                )
            )
        )
    return sorted(users, key=str)


def _spellings(ids: Iterable[str]) -> list[str]:
    """Notion writes ids with and without dashes: match either way."""
    out: set[str] = set()
    for value in ids:
        out.add(value)
        try:
            parsed = uuid.UUID(value)
        except ValueError:
            continue
        out.update({str(parsed), parsed.hex})
    return sorted(out)


# --- the admin's side -----------------------------------------------------------------------------


@dataclass(frozen=True)
class NotionHookState:
    token: str
    received_at: datetime
    first_event_at: datetime | None
    last_event_at: datetime | None
    refused_count: int
    last_refused_at: datetime | None

    @property
    def active(self) -> bool:
        """A signed event arrived: the admin pasted the token and Notion delivers."""
        return self.first_event_at is not None


def notion_hook_state(session: Session) -> NotionHookState | None:
    row = session.get(WebhookSecret, NOTION)
    if row is None:
        return None
    return NotionHookState(
        row.secret,
        row.received_at,
        row.first_event_at,
        row.last_event_at,
        row.refused_count,
        row.last_refused_at,
    )


def forget_notion_token(session: Session) -> bool:
    """Drop the stored token, so the next verification request is accepted. True if one was
    stored."""
    return (
        rowcount(session.execute(delete(WebhookSecret).where(WebhookSecret.provider == NOTION))) > 0
    )


def prune_notion_events(session: Session, now: datetime) -> int:
    """Forget handled event ids older than the retention window (stale events are refused
    by their timestamp instead)."""
    cutoff = now - EVENT_RETENTION
    return rowcount(
        session.execute(delete(NotionWebhookEvent).where(NotionWebhookEvent.received_at < cutoff))
    )


def forget_event(session: Session, event_id: str) -> None:
    session.execute(delete(NotionWebhookEvent).where(NotionWebhookEvent.event_id == event_id))
