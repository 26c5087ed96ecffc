"""Sync entry points. Thin: ids in, a small secret-free summary out (what Flower shows)."""

from __future__ import annotations

import uuid
import zlib
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from sqlalchemy import or_, select, update

from db.enums import IntegrationHealth
from db.models import CalendarBlock, IntegrationSettings, NotionTask, utcnow
from db.session import session_scope
from services.sync.run import SyncOptions, sync_user
from tasks.base import engine_for, settings_for

SYNC_TASK = "studyplanner.sync.sync_user"
MAX_SYNC_RETRIES = 5
# Beat's dispatch publishes one message per this many due users; workers fan them out. One
# publish costs ~0.8 ms (message, sent event, Redis round trip): 10,000 of them in the beat task
# took 7.9 s, 20 of them take a few milliseconds.
PUBLISH_BATCH = 500


@shared_task(bind=True, name=SYNC_TASK, max_retries=MAX_SYNC_RETRIES)
def sync_user_task(self: Task, user_id: str, trigger: str = "schedule") -> dict[str, Any]:
    report = sync_user(
        engine_for(self.app),
        settings_for(self.app),
        uuid.UUID(user_id),
        options=SyncOptions(trigger=trigger),
    )
    retry_after = report.retry_after
    if retry_after is not None and self.request.retries < MAX_SYNC_RETRIES:
        # retry_jitter could make the delay 0 and ignore Retry-After: pass countdown ourselves.
        backoff = min(600.0, max(retry_after, 5.0 * 2**self.request.retries))
        raise self.retry(countdown=backoff)
    return report.summary()


def spread_countdown(user_id: uuid.UUID, interval_min: int, max_spread_s: int) -> int:
    """A stable phase per user inside the interval, so 10,000 due users do not all start in
    the same second. Capped well under Redis' visibility timeout (1 h)."""
    window = min(interval_min * 60, max_spread_s)
    return zlib.crc32(user_id.bytes) % window if window > 0 else 0


@shared_task(bind=True, name="studyplanner.maintenance.dispatch_due_syncs")
def dispatch_due_syncs(self: Task) -> dict[str, Any]:
    now = utcnow()
    engine = engine_for(self.app)
    max_spread = settings_for(self.app).dispatch_spread_max_s
    with session_scope(engine) as session:
        due = session.execute(
            select(IntegrationSettings.user_id, IntegrationSettings.auto_sync_interval_min)
            .where(
                or_(
                    (IntegrationSettings.google_calendar_enabled.is_(True))
                    & (IntegrationSettings.google_health == IntegrationHealth.OK),
                    (IntegrationSettings.notion_enabled.is_(True))
                    & (IntegrationSettings.notion_health == IntegrationHealth.OK),
                ),
                or_(
                    IntegrationSettings.next_sync_at.is_(None),
                    IntegrationSettings.next_sync_at <= now,
                ),
            )
            .with_for_update(skip_locked=True)
        ).all()
        by_interval: dict[int, list[uuid.UUID]] = {}
        for user_id, interval in due:
            by_interval.setdefault(interval, []).append(user_id)
        for interval, users in by_interval.items():
            session.execute(
                update(IntegrationSettings)
                .where(IntegrationSettings.user_id.in_(users))
                .values(next_sync_at=now + timedelta(minutes=interval))
            )
    # Publish after commit: batches of ids, expanded into per-user syncs by the workers.
    batches = 0
    with self.app.producer_or_acquire() as producer:
        for start in range(0, len(due), PUBLISH_BATCH):
            batch = due[start : start + PUBLISH_BATCH]
            publish_syncs.apply_async(
                (
                    [str(user_id) for user_id, _ in batch],
                    [
                        spread_countdown(user_id, interval, max_spread)
                        for user_id, interval in batch
                    ],
                ),
                producer=producer,
            )
            batches += 1
    return {"dispatched": len(due), "batches": batches}


@shared_task(bind=True, name="studyplanner.maintenance.publish_syncs")
def publish_syncs(self: Task, user_ids: list[str], countdowns: list[int]) -> dict[str, Any]:
    """One sync per user, each at its countdown. Running twice only syncs twice: harmless."""
    with self.app.producer_or_acquire() as producer:
        for user_id, countdown in zip(user_ids, countdowns, strict=True):
            sync_user_task.apply_async((user_id,), countdown=countdown, producer=producer)
    return {"published": len(user_ids)}


@shared_task(bind=True, name="studyplanner.maintenance.retry_failed_pushes")
def retry_failed_pushes(self: Task) -> dict[str, Any]:
    """Users with a mirror whose last push failed get a sync now (it pushes only what is dirty)."""
    with session_scope(engine_for(self.app)) as session:
        users = set(
            session.scalars(
                select(CalendarBlock.user_id).where(
                    CalendarBlock.is_dirty.is_(True), CalendarBlock.sync_error.is_not(None)
                )
            )
        ) | set(
            session.scalars(
                select(NotionTask.user_id).where(
                    NotionTask.is_dirty.is_(True), NotionTask.sync_error.is_not(None)
                )
            )
        )
    for user_id in sorted(users, key=str):
        sync_user_task.apply_async((str(user_id), "retry"))
    return {"retried": len(users)}


@shared_task(bind=True, name="studyplanner.maintenance.refresh_google_tokens")
def refresh_google_tokens(self: Task) -> dict[str, Any]:
    """Refresh access tokens that expire within 15 minutes, so a sync never starts with a dead
    one; a revoked grant marks the integration (the next sync is not attempted)."""
    from integrations.errors import IntegrationError, NeedsReauthError
    from integrations.google_calendar import build_credentials, refresh

    settings = settings_for(self.app)
    engine = engine_for(self.app)
    soon = utcnow() + timedelta(minutes=15)
    refreshed = revoked = failed = 0
    with session_scope(engine) as session:
        ids = list(
            session.scalars(
                select(IntegrationSettings.id).where(
                    IntegrationSettings.google_calendar_enabled.is_(True),
                    IntegrationSettings.google_health == IntegrationHealth.OK,
                    IntegrationSettings.google_token_expiry < soon,
                )
            )
        )
    for row_id in ids:
        with session_scope(engine) as session:
            row = session.get(IntegrationSettings, row_id)
            if row is None:
                continue
            try:
                credentials = build_credentials(
                    access_token=row.google_access_token,
                    refresh_token=row.google_refresh_token or "",
                    token_uri=settings.google_token_uri,
                    client_id=settings.google_client_id or "",
                    client_secret=(
                        settings.google_client_secret.get_secret_value()
                        if settings.google_client_secret
                        else ""
                    ),
                    token_expiry=row.google_token_expiry,
                )
                token = refresh(credentials, timeout=20.0)
                row.google_access_token, row.google_token_expiry = token.access_token, token.expiry
                refreshed += 1
            except NeedsReauthError:
                row.google_health = IntegrationHealth.NEEDS_REAUTH
                revoked += 1
            except IntegrationError:
                failed += 1
    return {"refreshed": refreshed, "needs_reauth": revoked, "failed": failed}
