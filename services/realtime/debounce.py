"""Debounce and coalesce: a burst of notifications for one student becomes one sync.

One `sync_requests` row per student while a burst lasts. Each notification moves its `due_at`
to now + debounce, never past first notification + storm cap (a storm that never pauses
still gets its sync). Only the request that creates the row (or takes over a row whose task
was lost) schedules the debounced task; the task re-schedules itself while `due_at` is ahead,
then deletes the row and syncs. A sync that finds another one holding the lock (SKIPPED)
requests once more, so an edit made during a running sync is seen by exactly one more sync.

Every step is one atomic statement (conditional INSERT/UPDATE/DELETE), the same on PostgreSQL
and SQLite, so concurrent receivers and tasks never schedule twice or sync twice.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, case, delete, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from db.enums import SyncOutcome
from db.models import SyncRequest, utcnow
from db.session import session_scope
from db.types import UTCDateTime
from services.realtime.ports import SyncScheduler
from services.settings import Settings
from services.sync.run import SyncOptions, SyncReport, sync_user

log = logging.getLogger(__name__)

PUSH_TRIGGER = "push"
# A scheduled row whose due time passed this long ago lost its task (a broker that dropped
# it, a crash before publishing): the next request schedules a new one.
STALE_AFTER = timedelta(minutes=10)
# Syncs of one burst that may find the lock taken before we leave it to polling; the waits
# double from the debounce up to MAX_LOCK_WAIT_S.
MAX_LOCK_RETRIES = 6
MAX_LOCK_WAIT_S = 60.0
_ATTEMPTS = 3


@dataclass(frozen=True)
class DebounceWindow:
    debounce_s: float = 5.0
    storm_cap_s: float = 30.0

    @classmethod
    def from_settings(cls, settings: Settings) -> DebounceWindow:
        return cls(settings.push_debounce_s, settings.push_storm_cap_s)


@dataclass(frozen=True)
class SyncRequested:
    """The outcome of one request: `schedule` says the caller must hand the debounced task to
    the scheduler (after its transaction commits) with `countdown_s`."""

    user_id: uuid.UUID
    schedule: bool
    countdown_s: float = 0.0


def request_sync(
    session: Session,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    *,
    window: DebounceWindow = DebounceWindow(),
) -> SyncRequested:
    due = now + timedelta(seconds=window.debounce_s)
    latest = now + timedelta(seconds=window.storm_cap_s)
    reason = reason[:32]
    live = (SyncRequest.scheduled.is_(True)) & (SyncRequest.due_at >= now - STALE_AFTER)
    for _ in range(_ATTEMPTS):
        # The common case inside a burst first: one statement.
        extended = session.execute(
            update(SyncRequest)
            .where(SyncRequest.user_id == user_id, live)
            .values(
                due_at=case(
                    (SyncRequest.latest_due_at < due, SyncRequest.latest_due_at),
                    else_=literal(due, UTCDateTime()),
                ),
                count=SyncRequest.count + 1,
                last_reason=reason,
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(extended) == 1:
            return SyncRequested(user_id, False)
        if _insert_new(session, user_id, now, due, latest, reason):
            return SyncRequested(user_id, True, window.debounce_s)
        # A row exists but its task is lost (stale) or was never enqueued: take it over.
        taken_over = session.execute(
            update(SyncRequest)
            .where(SyncRequest.user_id == user_id, ~live)
            .values(
                scheduled=True,
                first_requested_at=now,
                due_at=due,
                latest_due_at=latest,
                count=1,
                lock_retries=0,
                last_reason=reason,
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(taken_over) == 1:
            return SyncRequested(user_id, True, window.debounce_s)
        # Another request or the task changed the row between our statements: look again.
    raise RuntimeError(f"sync request for {user_id} kept racing with its task")


def _insert_new(
    session: Session,
    user_id: uuid.UUID,
    now: datetime,
    due: datetime,
    latest: datetime,
    reason: str,
) -> bool:
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(SyncRequest)
        .values(
            user_id=user_id,
            first_requested_at=now,
            due_at=due,
            latest_due_at=latest,
            scheduled=True,
            count=1,
            lock_retries=0,
            last_reason=reason,
        )
        .on_conflict_do_nothing(index_elements=[SyncRequest.user_id])
        # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT DO NOTHING.
        .returning(SyncRequest.user_id)
    )
    return session.execute(statement).first() is not None


def rowcount(result: Any) -> int:
    """Rows matched by an INSERT/UPDATE/DELETE run through a Session (a CursorResult)."""
    return int(cast(CursorResult[Any], result).rowcount)


def mark_unscheduled(engine: Engine, user_id: uuid.UUID) -> None:
    """The scheduler refused the task (broker down): the next request schedules again."""
    with session_scope(engine) as session:
        session.execute(
            update(SyncRequest).where(SyncRequest.user_id == user_id).values(scheduled=False)
        )


def schedule_all(
    engine: Engine, requests: list[SyncRequested], scheduler: SyncScheduler
) -> list[uuid.UUID]:
    """Hand every request that needs it to the scheduler (call after commit). Returns the
    students whose task could not be enqueued; their rows are marked unscheduled."""
    failed = []
    for request in requests:
        if not request.schedule:
            continue
        try:
            scheduler.schedule(request.user_id, request.countdown_s)
        except Exception:  # the broker's own error types vary by transport
            log.warning("could not enqueue the debounced sync of %s", request.user_id)
            mark_unscheduled(engine, request.user_id)
            failed.append(request.user_id)
    return failed


@dataclass(frozen=True)
class DebouncedRun:
    """What one run of the debounced task did: `action` is "rescheduled" (the burst goes on),
    "nothing" (no pending request: a duplicate or redelivered task), or "synced"."""

    action: str
    countdown_s: float = 0.0
    report: SyncReport | None = None
    retry_scheduled: bool = False

    def summary(self) -> dict[str, object]:
        out: dict[str, object] = {"action": self.action}
        if self.action == "rescheduled":
            out["countdown_s"] = round(self.countdown_s, 3)
        if self.report is not None:
            out["outcome"] = self.report.outcome.value
            out["retry_scheduled"] = self.retry_scheduled
        return out


SyncFunction = Callable[[Engine, Settings, uuid.UUID], SyncReport]


def _push_sync(engine: Engine, settings: Settings, user_id: uuid.UUID) -> SyncReport:
    return sync_user(engine, settings, user_id, options=SyncOptions(trigger=PUSH_TRIGGER))


def run_debounced_sync(
    engine: Engine,
    settings: Settings,
    user_id: uuid.UUID,
    scheduler: SyncScheduler,
    *,
    clock: Callable[[], datetime] = utcnow,
    sync: SyncFunction = _push_sync,
) -> DebouncedRun:
    """The body of `studyplanner.sync.debounced_sync`. Safe to run twice: only the run whose
    DELETE takes the due row syncs."""
    now = clock()
    due_at: datetime | None = None
    with session_scope(engine) as session:
        claimed = session.execute(
            delete(SyncRequest)
            .where(SyncRequest.user_id == user_id, SyncRequest.due_at <= now)
            .returning(SyncRequest.lock_retries)
        ).first()
        if claimed is None:
            due_at = session.scalar(
                select(SyncRequest.due_at).where(SyncRequest.user_id == user_id)
            )
    if claimed is None:
        if due_at is None:
            return DebouncedRun("nothing")
        countdown = max(0.0, (due_at - now).total_seconds())
        scheduler.schedule(user_id, countdown)
        return DebouncedRun("rescheduled", countdown)

    report = sync(engine, settings, user_id)
    retry = False
    if report.outcome == SyncOutcome.SKIPPED:
        retry = _request_after_lock(engine, settings, user_id, clock(), claimed.lock_retries + 1)
        if retry:
            wait = _lock_wait(settings, claimed.lock_retries + 1)
            scheduler.schedule(user_id, wait)
    return DebouncedRun("synced", report=report, retry_scheduled=retry)


def _lock_wait(settings: Settings, attempt: int) -> float:
    return min(MAX_LOCK_WAIT_S, settings.push_debounce_s * float(2 ** max(0, attempt - 1)))


def _request_after_lock(
    engine: Engine, settings: Settings, user_id: uuid.UUID, now: datetime, attempt: int
) -> bool:
    """Another sync held the lock: it may have read the remotes before the edit that woke
    us, so one more sync must follow it. True when this run must schedule it (no newer burst
    has one scheduled already)."""
    if attempt > MAX_LOCK_RETRIES:
        log.info("sync of %s still locked after %d tries: left to polling", user_id, attempt - 1)
        return False
    wait = _lock_wait(settings, attempt)
    with session_scope(engine) as session:
        requested = request_sync(session, user_id, now, "locked", window=DebounceWindow(wait, wait))
        if requested.schedule:
            session.execute(
                update(SyncRequest)
                .where(SyncRequest.user_id == user_id)
                .values(lock_retries=attempt)
            )
    return requested.schedule
