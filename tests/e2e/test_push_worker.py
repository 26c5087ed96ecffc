"""Push through a real Celery worker, on the folder broker + SQLite and on Redis +
PostgreSQL: a burst of 200 Google notifications for one student ends in exactly one sync, and
a notification while a sync holds the student's lock is followed by exactly one more."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import celery.contrib.testing.tasks  # noqa: F401  (the ping task start_worker needs)
import pytest
from celery.contrib.testing.worker import start_worker
from sqlalchemy import Engine, select

from db.enums import ChannelStatus, SyncOutcome
from db.models import PushChannel, SyncRequest, SyncRun
from db.session import make_engine, session_scope
from services.realtime.receive import receive_google_notification
from services.sync.lock import UserLock
from tasks.celery_app import create_app
from tasks.realtime import CelerySyncScheduler
from tests.e2e.test_sync_worker import Stack, connected_student, stack  # noqa: F401

WAIT_S = 120.0


@pytest.fixture
def push(stack: Stack) -> Iterator[Stack]:  # noqa: F811  (the imported fixture)
    settings = stack.settings.model_copy(
        update={
            "push_enabled": True,
            "public_base_url": "http://127.0.0.1:9",
            "push_debounce_s": 3.0,
            "push_storm_cap_s": 30.0,
        }
    )
    yield Stack(create_app(settings), settings, stack.google, stack.notion)


@dataclass
class CountingScheduler:
    """The real Celery scheduler, counting how often it was asked."""

    inner: CelerySyncScheduler
    calls: list[uuid.UUID] = field(default_factory=list)

    def schedule(self, user_id: uuid.UUID, countdown_s: float) -> None:
        self.calls.append(user_id)
        self.inner.schedule(user_id, countdown_s)


def watch(engine: Engine, user_id: uuid.UUID) -> tuple[str, str]:
    """A channel as `ensure_channels` leaves it (the watch call itself is tested elsewhere)."""
    channel_id, token = "sp-" + uuid.uuid4().hex, secrets.token_urlsafe(32)
    with session_scope(engine) as session:
        session.add(
            PushChannel(
                user_id=user_id,
                calendar_id="primary",
                channel_id=channel_id,
                resource_id="res-1",
                token=token,
                status=ChannelStatus.ACTIVE,
            )
        )
    return channel_id, token


def notification(channel: tuple[str, str], number: int) -> dict[str, str]:
    return {
        "X-Goog-Channel-ID": channel[0],
        "X-Goog-Channel-Token": channel[1],
        "X-Goog-Resource-ID": "res-1",
        "X-Goog-Resource-State": "exists",
        "X-Goog-Message-Number": str(number),
    }


def push_runs(engine: Engine, user_id: uuid.UUID) -> list[SyncRun]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(SyncRun)
                .where(SyncRun.user_id == user_id, SyncRun.trigger == "push")
                .order_by(SyncRun.started_at)
            )
        )


def settled(engine: Engine, user_id: uuid.UUID) -> bool:
    """Nothing pending for the student and their last push sync finished (not skipped): no
    task of theirs can start another sync."""
    with session_scope(engine) as session:
        if session.get(SyncRequest, user_id) is not None:
            return False
    runs = push_runs(engine, user_id)
    return (
        bool(runs)
        and runs[-1].finished_at is not None
        and (runs[-1].outcome != SyncOutcome.SKIPPED)
    )


def wait_until(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def test_a_burst_of_200_notifications_is_one_sync(push: Stack) -> None:
    user_id = uuid.UUID(connected_student(push))
    engine = make_engine(push.settings.effective_database_url)
    scheduler = CountingScheduler(CelerySyncScheduler(push.app))
    channel = watch(engine, user_id)
    try:
        with start_worker(push.app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
            results = [
                receive_google_notification(
                    engine, push.settings, notification(channel, n), scheduler
                ).result
                for n in range(1, 201)
            ]
            with session_scope(engine) as session:
                pending = session.get(SyncRequest, user_id)
                # The burst was faster than the debounce, so it all landed on one request.
                assert pending is not None and pending.count == 200
            wait_until(lambda: settled(engine, user_id), "the debounced sync")
        assert set(results) == {"sync_requested"} and scheduler.calls == [user_id]
        runs = push_runs(engine, user_id)
        assert [r.outcome for r in runs] == [SyncOutcome.OK]
        assert runs[0].counts.get("google_writes", 0) > 0  # a real sync of a real student
    finally:
        engine.dispose()


def test_a_notification_during_a_running_sync_gets_exactly_one_more(push: Stack) -> None:
    user_id = uuid.UUID(connected_student(push))
    engine = make_engine(push.settings.effective_database_url)
    scheduler = CountingScheduler(CelerySyncScheduler(push.app))
    channel = watch(engine, user_id)
    lock = UserLock(engine, push.settings.effective_redis_url, ttl_s=600)
    try:
        with start_worker(push.app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
            with lock.hold(user_id) as held:  # what a running sync holds
                assert held
                outcome = receive_google_notification(
                    engine, push.settings, notification(channel, 1), scheduler
                )
                assert outcome.result == "sync_requested"
                wait_until(lambda: push_runs(engine, user_id), "the sync that finds the lock")
                # More notifications while it runs join the one follow-up.
                for n in range(2, 12):
                    receive_google_notification(
                        engine, push.settings, notification(channel, n), scheduler
                    )
            wait_until(lambda: settled(engine, user_id), "the sync after the running one")
        outcomes = [r.outcome for r in push_runs(engine, user_id)]
        assert outcomes[-1] == SyncOutcome.OK
        assert set(outcomes[:-1]) == {SyncOutcome.SKIPPED}  # each wait of the one follow-up
        assert scheduler.calls == [user_id]  # receivers scheduled once; the task did the rest
    finally:
        engine.dispose()
