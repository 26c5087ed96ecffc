"""Maintenance use cases run by beat (heartbeat, token refresh, LMS feeds) and by other front
ends (mastery of a result written elsewhere). Each takes an engine and opens its own units of
work, one per item where one item's failure must not undo the others."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from db.enums import IntegrationHealth
from db.models import AssessmentFeed, IntegrationSettings, PerformanceRecord, User, WorkerHeartbeat
from db.session import session_scope
from integrations.errors import IntegrationError, NeedsReauthError
from integrations.sources.feed_fetch import FeedPolicy
from services.ingest.feeds import due_feeds, refresh_feed
from services.performance import recompute_topic_mastery
from services.settings import Settings


def record_heartbeat(engine: Engine, hostname: str, *, now: datetime) -> int:
    """Count one beat of a worker; returns its beats so far."""
    try:
        with session_scope(engine) as session:
            row = session.get(WorkerHeartbeat, hostname, with_for_update=True)
            if row is None:
                row = WorkerHeartbeat(hostname=hostname, last_seen_at=now, beats=0)
                session.add(row)
            row.beats += 1
            row.last_seen_at = now
            return row.beats
    except IntegrityError:
        # Two first beats of one hostname raced on the insert; the other one counted.
        return 1


@dataclass(frozen=True)
class TokenRefresh:
    refreshed: int
    needs_reauth: int
    failed: int


def refresh_expiring_google_tokens(
    engine: Engine, settings: Settings, *, now: datetime, within: timedelta
) -> TokenRefresh:
    """Refresh access tokens that expire soon, so a sync never starts with a dead one; a
    revoked grant marks the integration (the next sync is not attempted)."""
    from integrations.google_calendar import build_credentials, refresh

    soon = now + within
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
    return TokenRefresh(refreshed, revoked, failed)


def refresh_due_feeds(
    engine: Engine, *, now: datetime, every: timedelta, policy: FeedPolicy | None = None
) -> tuple[int, int]:
    """Fetch every LMS feed not fetched within `every`. One feed's failure is recorded on it and
    in sync_errors; the others go on. Returns (refreshed, failed)."""
    refreshed = failed = 0
    with session_scope(engine) as session:
        feed_ids = [f.id for f in due_feeds(session, now=now, every=every)]
    for feed_id in feed_ids:
        with session_scope(engine) as session:
            feed = session.get(AssessmentFeed, feed_id, with_for_update=True)
            if feed is None:
                continue
            outcome = refresh_feed(session, feed, now=now, policy=policy)
            refreshed += outcome.error is None
            failed += outcome.error is not None
    return refreshed, failed


def recompute_result_mastery(engine: Engine, record_id: uuid.UUID, *, now: datetime) -> int | None:
    """Recompute the mastery of every topic a stored result touches, in one transaction.
    Idempotent: mastery is a fold over the history. None when the result does not exist."""
    with session_scope(engine) as session:
        record = session.get(PerformanceRecord, record_id)
        if record is None:
            return None
        user = session.get(User, record.user_id)
        assert user is not None
        topics = sorted(uuid.UUID(t) for t in record.topic_breakdown)
        for topic_id in topics:
            recompute_topic_mastery(session, user, topic_id, now=now)
    return len(topics)
