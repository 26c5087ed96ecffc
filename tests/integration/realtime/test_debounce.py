"""A burst of requests for one student becomes one scheduled task and one sync."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.enums import SyncOutcome
from db.models import SyncRequest, SyncRun
from db.session import session_scope
from services.realtime.debounce import (
    MAX_LOCK_RETRIES,
    DebounceWindow,
    mark_unscheduled,
    request_sync,
    run_debounced_sync,
)
from services.settings import Settings
from services.sync.lock import UserLock
from tests.integration.db.factories import add_user
from tests.integration.realtime.conftest import RecordingScheduler, add_student

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
WINDOW = DebounceWindow(debounce_s=5.0, storm_cap_s=30.0)


def test_a_burst_schedules_once_and_moves_the_due_time(session: Session) -> None:
    user = add_user(session)
    outcomes = [
        request_sync(session, user.id, T0 + timedelta(milliseconds=10 * i), "google", window=WINDOW)
        for i in range(200)
    ]
    assert [o.schedule for o in outcomes] == [True] + [False] * 199
    assert outcomes[0].countdown_s == 5.0
    row = session.get(SyncRequest, user.id, populate_existing=True)
    assert row is not None and row.scheduled and row.count == 200
    assert row.due_at == T0 + timedelta(milliseconds=1990, seconds=5)
    assert row.first_requested_at == T0


def test_a_storm_cannot_postpone_its_sync_past_the_cap(session: Session) -> None:
    user = add_user(session)
    for second in range(0, 120, 4):  # a notification every 4 s, never a 5 s pause
        request_sync(session, user.id, T0 + timedelta(seconds=second), "notion", window=WINDOW)
    row = session.get(SyncRequest, user.id, populate_existing=True)
    assert row is not None and row.due_at == T0 + timedelta(seconds=30)


def test_a_lost_task_is_scheduled_again(session: Session, engine: Engine) -> None:
    user = add_user(session)
    assert request_sync(session, user.id, T0, "google", window=WINDOW).schedule
    # Its task never ran: ten minutes past due, the next request takes over.
    late = T0 + timedelta(minutes=11)
    again = request_sync(session, user.id, late, "google", window=WINDOW)
    assert again.schedule
    row = session.get(SyncRequest, user.id, populate_existing=True)
    assert row is not None and row.first_requested_at == late and row.count == 1


def test_an_unscheduled_request_is_scheduled_by_the_next_one(engine: Engine) -> None:
    user_id = add_student(engine)
    with session_scope(engine) as session:
        assert request_sync(session, user_id, T0, "google", window=WINDOW).schedule
    mark_unscheduled(engine, user_id)  # the broker refused the task
    with session_scope(engine) as session:
        assert request_sync(session, user_id, T0 + timedelta(seconds=1), "google").schedule
        assert not request_sync(session, user_id, T0 + timedelta(seconds=2), "google").schedule


def runs(engine: Engine, user_id: uuid.UUID) -> list[SyncRun]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(SyncRun).where(SyncRun.user_id == user_id).order_by(SyncRun.started_at)
            )
        )


def test_the_task_waits_while_the_burst_goes_on_then_syncs_once(
    engine: Engine, settings: Settings
) -> None:
    user_id = add_student(engine, google=False)
    scheduler = RecordingScheduler()
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        request_sync(session, user_id, now, "google", window=WINDOW)
        request_sync(session, user_id, now + timedelta(seconds=3), "google", window=WINDOW)
    early = run_debounced_sync(
        engine, settings, user_id, scheduler, clock=lambda: now + timedelta(seconds=5)
    )
    assert early.action == "rescheduled" and scheduler.calls == [(user_id, 3.0)]
    assert runs(engine, user_id) == []

    done = run_debounced_sync(
        engine, settings, user_id, scheduler, clock=lambda: now + timedelta(seconds=8)
    )
    assert done.action == "synced" and done.report is not None
    assert done.report.outcome != SyncOutcome.SKIPPED and not done.retry_scheduled
    assert [(r.trigger, r.outcome) for r in runs(engine, user_id)] == [
        ("push", done.report.outcome)
    ]
    # A duplicate (redelivered) task finds nothing to do.
    again = run_debounced_sync(
        engine, settings, user_id, scheduler, clock=lambda: now + timedelta(seconds=9)
    )
    assert again.action == "nothing" and len(runs(engine, user_id)) == 1
    with session_scope(engine) as session:
        assert session.get(SyncRequest, user_id) is None


def test_a_sync_that_found_the_lock_taken_is_followed_by_exactly_one_more(
    engine: Engine, settings: Settings
) -> None:
    user_id = add_student(engine, google=False)
    scheduler = RecordingScheduler()
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        request_sync(session, user_id, now - timedelta(seconds=10), "google", window=WINDOW)
    lock = UserLock(engine, None, ttl_s=600)
    with lock.hold(user_id) as held:  # a sync is running
        assert held
        first = run_debounced_sync(engine, settings, user_id, scheduler)
        # Requests arriving meanwhile join the one retry instead of adding another.
        with session_scope(engine) as session:
            joined = request_sync(session, user_id, datetime.now(UTC), "google", window=WINDOW)
    assert first.report is not None and first.report.outcome == SyncOutcome.SKIPPED
    assert first.retry_scheduled and not joined.schedule
    assert scheduler.calls == [(user_id, settings.push_debounce_s)]

    later = datetime.now(UTC) + timedelta(minutes=1)
    second = run_debounced_sync(engine, settings, user_id, scheduler, clock=lambda: later)
    assert second.report is not None and second.report.outcome != SyncOutcome.SKIPPED
    assert not second.retry_scheduled
    outcomes = [r.outcome for r in runs(engine, user_id)]
    assert outcomes == [SyncOutcome.SKIPPED, second.report.outcome]


def test_a_lock_held_for_ever_is_left_to_polling(engine: Engine, settings: Settings) -> None:
    user_id = add_student(engine, google=False)
    scheduler = RecordingScheduler()
    with session_scope(engine) as session:
        request_sync(session, user_id, datetime.now(UTC) - timedelta(minutes=1), "google")
    ticks = itertools.count(1)

    def clock() -> datetime:  # each look at the clock is two minutes later: past any wait
        return datetime.now(UTC) + timedelta(minutes=2 * next(ticks))

    with UserLock(engine, None, ttl_s=600).hold(user_id):
        results = [
            run_debounced_sync(engine, settings, user_id, scheduler, clock=clock)
            for _ in range(MAX_LOCK_RETRIES + 2)
        ]
    retried = [r.retry_scheduled for r in results]
    assert retried == [True] * MAX_LOCK_RETRIES + [False, False]
    assert results[-1].action == "nothing"
    waits = [countdown for _, countdown in scheduler.calls]
    assert waits == sorted(waits) and max(waits) <= 60.0
