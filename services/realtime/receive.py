"""The receivers as the API mounts them: one unit of work each, the debounced task scheduled
only after the commit (a task that ran before it would find no request and do nothing, and
the request would wait for polling). If scheduling fails the route answers 503, so the
provider retries, and the request is left unscheduled for that retry to schedule."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, datetime

from sqlalchemy import Engine

from db.session import session_scope
from services.realtime.debounce import schedule_all
from services.realtime.google import handle_google_notification
from services.realtime.notion import forget_event, handle_notion_webhook
from services.realtime.outcome import WebhookOutcome
from services.realtime.ports import SyncScheduler
from services.settings import Settings


def receive_google_notification(
    engine: Engine,
    settings: Settings,
    headers: Mapping[str, str],
    scheduler: SyncScheduler,
    *,
    now: datetime | None = None,
) -> WebhookOutcome:
    with session_scope(engine) as session:
        outcome = handle_google_notification(session, settings, headers, now or datetime.now(UTC))
    return _schedule(engine, outcome, scheduler)


def receive_notion_webhook(
    engine: Engine,
    settings: Settings,
    raw_body: bytes,
    headers: Mapping[str, str],
    scheduler: SyncScheduler,
    *,
    now: datetime | None = None,
) -> WebhookOutcome:
    with session_scope(engine) as session:
        outcome = handle_notion_webhook(
            session, settings, raw_body, headers, now or datetime.now(UTC)
        )
    return _schedule(engine, outcome, scheduler)


def _schedule(engine: Engine, outcome: WebhookOutcome, scheduler: SyncScheduler) -> WebhookOutcome:
    failed = schedule_all(engine, list(outcome.requests), scheduler)
    if not failed:
        return outcome
    if outcome.event_id is not None:
        with session_scope(engine) as session:
            forget_event(session, outcome.event_id)
    return dataclasses.replace(
        outcome, status_code=503, result="schedule_failed", detail="the task queue is unavailable"
    )
