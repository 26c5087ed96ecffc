"""The sync through a real Celery worker: on the embedded folder broker + SQLite and on Redis +
PostgreSQL, against both emulators. Beat's dispatch enqueues due users; the worker syncs them."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import celery.contrib.testing.tasks  # noqa: F401  (the ping task start_worker needs)
import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select, update

from db.models import IntegrationSettings, SyncRun, User
from db.session import make_engine, session_scope
from emulators.google import GoogleEmulator, start_google_emulator
from emulators.notion import NotionEmulator, start_notion_emulator
from services.connect import connect_google, connect_notion
from services.settings import Settings
from tasks.celery_app import create_app
from tasks.sync import SYNC_TASK
from tests.integration.sync.conftest import seed


@dataclass
class Stack:
    app: Celery
    settings: Settings
    google: GoogleEmulator
    notion: NotionEmulator


@pytest.fixture(
    params=["embedded", pytest.param("redis", marks=[pytest.mark.redis, pytest.mark.postgres])]
)
def stack(request: pytest.FixtureRequest, tmp_path: Path, key_ring: list[str]) -> Iterator[Stack]:
    google = start_google_emulator("127.0.0.1", 0)
    notion = start_notion_emulator("127.0.0.1", 0, rate_per_s=100.0, burst=20.0)
    if request.param == "embedded":
        database_url, broker = str(request.getfixturevalue("sqlite_url")), "filesystem://"
    else:
        database_url = str(request.getfixturevalue("postgres_url"))
        broker = str(request.getfixturevalue("redis_url"))
    grant = google.admin.grant()
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=database_url,
        broker_url=broker,
        google_api_endpoint=google.base_url,
        google_token_uri=google.token_uri,
        google_client_id=grant["client_id"],
        google_client_secret=grant["client_secret"],
        notion_base_url=notion.base_url,
        notion_rate_per_s=50.0,
        notion_burst=10,
        dispatch_spread_max_s=0,
        fernet_keys=",".join(key_ring),
    )
    try:
        yield Stack(create_app(settings), settings, google, notion)
    finally:
        google.stop()
        notion.stop()


def connected_student(stack: Stack) -> str:
    from datetime import UTC, datetime

    engine = make_engine(stack.settings.effective_database_url)
    try:
        user_id = seed(engine, datetime.now(UTC))
        workspace = stack.notion.admin.create_workspace()
        with session_scope(engine) as session:
            user = session.get(User, user_id)
            assert user is not None
            connect_google(session, user, stack.google.admin.grant())
            connect_notion(
                session,
                stack.settings,
                user,
                token=workspace.token,
                database_id=workspace.database_id,
            )
    finally:
        engine.dispose()
    return str(user_id)


def runs_of(stack: Stack, user_id: str) -> list[SyncRun]:
    engine = make_engine(stack.settings.effective_database_url)
    try:
        with session_scope(engine) as session:
            return list(
                session.scalars(select(SyncRun).where(SyncRun.user_id == uuid.UUID(user_id)))
            )
    finally:
        engine.dispose()


def test_a_real_worker_syncs_a_student_and_the_second_sync_is_a_no_op(stack: Stack) -> None:
    user_id = connected_student(stack)
    with start_worker(stack.app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        first = stack.app.send_task(SYNC_TASK, args=(user_id,)).get(timeout=120)
        assert first["outcome"] == "ok", first
        assert first["counts"]["google_writes"] > 0 and first["counts"]["notion_writes"] > 0
        second = stack.app.send_task(SYNC_TASK, args=(user_id,)).get(timeout=120)
    assert second["outcome"] == "ok"
    assert second["counts"].get("google_writes", 0) == 0
    assert second["counts"].get("notion_writes", 0) == 0
    assert set(first) == {
        "user_id",
        "outcome",
        "counts",
        "errors",
        "duration_ms",
    }  # ids and counts only
    assert len(runs_of(stack, user_id)) == 2


def test_dispatch_enqueues_due_users_once(stack: Stack) -> None:
    user_id = connected_student(stack)
    with start_worker(stack.app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        dispatched = stack.app.send_task("studyplanner.maintenance.dispatch_due_syncs").get(
            timeout=60
        )
        assert dispatched["dispatched"] >= 1
        again = stack.app.send_task("studyplanner.maintenance.dispatch_due_syncs").get(timeout=60)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and not runs_of(stack, user_id):
            time.sleep(0.5)
    assert again["dispatched"] == 0  # not due again until its interval has passed
    assert [r.outcome.value for r in runs_of(stack, user_id)] == ["ok"]
    engine = make_engine(stack.settings.effective_database_url)
    try:
        with session_scope(engine) as session:
            session.execute(update(IntegrationSettings).values(next_sync_at=None))
    finally:
        engine.dispose()


def test_a_5xx_storm_exhausts_the_configured_retries_and_the_next_sync_recovers(
    stack: Stack,
) -> None:
    """Both providers answer every call with 503: the task retries exactly as often as it is
    configured to (Celery's task_annotations), then gives up and records that; once the storm
    is over the next sync puts everything in place, once."""
    from sqlalchemy import func

    from db.models import CalendarBlock, NotionTask, SyncError

    stack.app.conf.task_annotations = {SYNC_TASK: {"max_retries": 2, "default_retry_delay": 0.2}}
    user_id = connected_student(stack)
    stack.google.admin.fail_next(100_000, 503, retry_after=1)
    stack.notion.admin.inject(503, count=100_000, retry_after_s=1)
    with start_worker(stack.app, pool="solo", perform_ping_check=True, shutdown_timeout=30):
        given_up = stack.app.send_task(SYNC_TASK, args=(user_id,)).get(timeout=120)
        assert given_up["outcome"] == "failed", given_up
        runs = sorted(runs_of(stack, user_id), key=lambda r: r.started_at)
        assert [r.outcome.value for r in runs] == ["failed"] * 3  # the first try + 2 retries
        assert runs[-1].counts.get("retries_exhausted") == 2
        assert all("retries_exhausted" not in r.counts for r in runs[:-1])
        engine = make_engine(stack.settings.effective_database_url)
        try:
            with session_scope(engine) as session:
                limit = session.scalars(
                    select(SyncError).where(
                        SyncError.user_id == uuid.UUID(user_id),
                        SyncError.operation == "retry_limit",
                    )
                ).one()
                assert limit.sync_run_id == runs[-1].id and limit.resolved_at is None
                assert limit.error_code == "retries_exhausted" and limit.http_status == 503
        finally:
            engine.dispose()

        stack.google.admin.clear_faults()
        stack.notion.admin.clear_faults()
        healed = stack.app.send_task(SYNC_TASK, args=(user_id,)).get(timeout=120)
    assert healed["outcome"] == "ok", healed
    assert len(runs_of(stack, user_id)) == 4  # no retry after the storm
    engine = make_engine(stack.settings.effective_database_url)
    try:
        with session_scope(engine) as session:
            uid = uuid.UUID(user_id)
            calendar = session.scalars(
                select(IntegrationSettings.google_calendar_id).where(
                    IntegrationSettings.user_id == uid
                )
            ).one()
            blocks = session.scalar(
                select(func.count()).select_from(CalendarBlock).where(CalendarBlock.user_id == uid)
            )
            pages = session.scalar(
                select(func.count()).select_from(NotionTask).where(NotionTask.user_id == uid)
            )
    finally:
        engine.dispose()
    events = [e for e in stack.google.admin.events(calendar or "") if e["status"] != "cancelled"]
    assert blocks and len(events) == len({e["id"] for e in events}) == blocks
    remote_pages = [p for p in stack.notion.admin.pages() if not p["in_trash"]]
    assert pages and len(remote_pages) == pages
