"""Which students are due a sync. One rule for beat's dispatch and `studyplanner sync --all`:
an enabled, healthy integration whose `next_sync_at` has passed; claiming them moves the cursor
by each one's interval in the same transaction, so two dispatchers never claim one student.
A student whose push is healthy (services.realtime.health) is polled at the longer
`push_healthy_poll_interval_min`: push brings their edits, polling is only the safety net."""

from __future__ import annotations

import uuid
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from db.enums import IntegrationHealth
from db.models import CalendarBlock, IntegrationSettings, NotionTask
from services.realtime.health import push_healthy_users
from services.settings import Settings


@dataclass(frozen=True)
class DueUser:
    user_id: uuid.UUID
    interval_min: int


def claim_due_users(
    session: Session, *, now: datetime, settings: Settings | None = None
) -> list[DueUser]:
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
    intervals = {user_id: interval for user_id, interval in due}
    if settings is not None and settings.push_enabled:
        longer = settings.push_healthy_poll_interval_min
        for user_id in push_healthy_users(session, settings, list(intervals), now):
            intervals[user_id] = max(intervals[user_id], longer)
    by_interval: dict[int, list[uuid.UUID]] = {}
    for user_id, interval in intervals.items():
        by_interval.setdefault(interval, []).append(user_id)
    for interval, users in by_interval.items():
        session.execute(
            update(IntegrationSettings)
            .where(IntegrationSettings.user_id.in_(users))
            .values(next_sync_at=now + timedelta(minutes=interval))
        )
    return [DueUser(user_id, interval) for user_id, interval in intervals.items()]


def spread_countdown(user_id: uuid.UUID, interval_min: int, max_spread_s: int) -> int:
    """A stable phase per user inside the interval, so 10,000 due users do not all start in
    the same second. Capped well under Redis' visibility timeout (1 h)."""
    window = min(interval_min * 60, max_spread_s)
    return zlib.crc32(user_id.bytes) % window if window > 0 else 0


def users_with_failed_pushes(session: Session) -> list[uuid.UUID]:
    """Users with a mirror whose last push failed: a sync pushes only what is dirty."""
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
    return sorted(users, key=str)
