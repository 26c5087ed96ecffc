"""One student's sync: gather → decide → write → push → record (ARCHITECTURE.md).

The Celery task `studyplanner.sync.sync_user`, `studyplanner sync` and the API's "sync now" all
end here. Rules it keeps:
- one sync per user at a time (`lock`); a second one is dropped and recorded `skipped`;
- decide, plan and write happen in ONE transaction, together with the new Google sync token and
  Notion watermark: the cursors advance only with the changes they produced (`write`);
- network calls happen outside transactions; each push outcome is written back as it comes;
- a provider failure is recorded (`sync_errors`, the row's `sync_error`) and does not stop the
  other provider; without trustworthy busy times (freebusy failed) nothing is re-planned;
- the safety valve: a remote that suddenly lists none of our items deletes nothing;
- a dry run writes nothing at all (no run row, no integration row, no pushes) and takes no
  lock;
- stored tokens the configured keys cannot decrypt (the Fernet key changed) are a permanent
  failure, recorded like one (`services/unreadable_secrets.py`), never a crash.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.crypto import DecryptionFailed
from db.enums import AssessmentStatus, SyncOutcome
from db.models import Assessment, Course, IntegrationSettings, SyncRun, User
from db.session import session_scope
from services.realtime.health import expect_echo
from services.settings import Settings
from services.sync.gather import Gathered, gather, google_for, notion_for
from services.sync.horizon import planning_horizon
from services.sync.lock import UserLock
from services.sync.push import push
from services.sync.report import SyncOptions, SyncReport, record, record_skipped
from services.sync.write import write
from services.unreadable_secrets import clear_when_readable, record_unreadable

__all__ = ["SyncOptions", "SyncReport", "sync_user"]

DEFAULT_OPTIONS = SyncOptions()


def sync_user(
    engine: Engine,
    settings: Settings,
    user_id: uuid.UUID,
    *,
    now: datetime | None = None,
    options: SyncOptions = DEFAULT_OPTIONS,
) -> SyncReport:
    given_now = now
    try:
        if options.dry_run:
            # Writes nothing anywhere, so it needs no lock and may run beside a real sync.
            now = given_now or datetime.now(UTC)
            return _sync_locked(engine, settings, user_id, now, options)
        # Outlives the task's hard time limit: a sync killed by the limit still holds it.
        lock = UserLock(engine, settings.effective_redis_url, ttl_s=2 * settings.task_time_limit_s)
        with lock.hold(user_id) as held:
            if not held:
                record_skipped(engine, user_id, options)
                return SyncReport(user_id, SyncOutcome.SKIPPED)
            # Read after the lock is ours: a run's start then never precedes the end of the
            # run that held the lock before it.
            now = given_now or datetime.now(UTC)
            return _sync_locked(engine, settings, user_id, now, options)
    except DecryptionFailed:
        return record_unreadable(engine, user_id, options, given_now or datetime.now(UTC))


def _sync_locked(
    engine: Engine, settings: Settings, user_id: uuid.UUID, now: datetime, options: SyncOptions
) -> SyncReport:
    started = time.monotonic()
    report = SyncReport(user_id)
    with session_scope(engine) as session:
        zone, integration, last_deadline = _user_and_integration(
            session, user_id, now, create=not options.dry_run
        )
        if not options.dry_run:
            clear_when_readable(session, integration, now)
            run = SyncRun(
                user_id=user_id,
                providers=_providers(integration),
                trigger=options.trigger,
                started_at=now,
            )
            session.add(run)
            session.flush()
            report.run_id = run.id

    google = google_for(settings, integration, report)
    notion = notion_for(settings, integration, report)
    try:
        horizon = planning_horizon(
            now,
            last_deadline,
            write_days=settings.sync_horizon_days,
            max_days=settings.plan_ahead_max_days,
        )
        gathered = gather(integration, google, notion, now, zone, horizon.plan_days, report)
        pending = write(engine, user_id, zone, integration, gathered, now, options, report, horizon)
        if not options.dry_run:
            push(engine, user_id, integration, gathered, google, notion, now, report, pending)
            _expect_push_echo(engine, settings, user_id, gathered, now, report)
    finally:
        if google is not None:
            google.close()
        if notion is not None:
            notion.close()
    report.duration_ms = round((time.monotonic() - started) * 1000)
    if report.errors:
        pushed_any = report.counts.get("google_writes", 0) + report.counts.get("notion_writes", 0)
        report.outcome = (
            SyncOutcome.PARTIAL if pushed_any or len(report.errors) < 2 else SyncOutcome.FAILED
        )
    if not options.dry_run:
        record(engine, report, now)
    return report


def _expect_push_echo(
    engine: Engine,
    settings: Settings,
    user_id: uuid.UUID,
    gathered: Gathered,
    now: datetime,
    report: SyncReport,
) -> None:
    """We changed the study calendar: its push channel must tell us so, or it is dead."""
    if settings.push_enabled and gathered.google_calendar_id and report.counts.get("google_writes"):
        expect_echo(engine, user_id, gathered.google_calendar_id, since=now)


def _user_and_integration(
    session: Session, user_id: uuid.UUID, now: datetime, *, create: bool
) -> tuple[str, IntegrationSettings, datetime | None]:
    """The user's time zone, a detached copy of their integration row and their last upcoming
    deadline (how far the plan must reach), in one query. A user without an integration row gets
    one; a dry run uses a transient stand-in (nothing enabled) instead."""
    last_deadline = (
        select(func.max(Assessment.due_date))
        .join(Course, Course.id == Assessment.course_id)
        .where(
            Course.user_id == User.id,
            Course.is_archived.is_(False),
            Assessment.status == AssessmentStatus.ACTIVE,
            Assessment.is_completed.is_(False),
            Assessment.due_date >= now,
        )
        .correlate(User)
        .scalar_subquery()
    )
    found = session.execute(
        select(User.timezone, IntegrationSettings, last_deadline)
        .outerjoin(IntegrationSettings, IntegrationSettings.user_id == User.id)
        .where(User.id == user_id)
    ).first()
    if found is None:
        raise LookupError(f"no user {user_id}")
    zone, integration, deadline = found
    if deadline is not None and deadline.tzinfo is None:  # a raw aggregate skips UTCDateTime
        deadline = deadline.replace(tzinfo=UTC)
    if integration is None:
        integration = IntegrationSettings(user_id=user_id)
        if not create:
            return str(zone), integration, deadline
        session.add(integration)
        session.flush()
    session.expunge(integration)
    return str(zone), integration, deadline


def _providers(integration: IntegrationSettings) -> list[str]:
    names = []
    if integration.google_calendar_enabled:
        names.append("google")
    if integration.notion_enabled:
        names.append("notion")
    return names
