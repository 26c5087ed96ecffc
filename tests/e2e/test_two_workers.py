"""Two real `celery worker` processes on Redis and PostgreSQL, several students due at once and
each student's sync sent three times: the per-student lock works across processes (no two runs
of one student overlap, the losers are recorded `skipped`) and nothing is created twice."""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
import redis
from celery import Celery
from sqlalchemy import Engine, select, update

from bench.chaos import Worker
from db import migrate
from db.enums import SyncOutcome
from db.models import CalendarBlock, IntegrationSettings, NotionTask, SyncRun, User
from db.session import make_engine, session_scope
from emulators.google import start_google_emulator
from emulators.notion import EmulatedWorkspace, start_notion_emulator
from services.connect import connect_google, connect_notion
from services.settings import Settings, child_process_env
from tasks.celery_app import SYNC_QUEUE, create_app
from tasks.sync import SYNC_TASK
from tests.integration.notion.helpers import page_text
from tests.integration.sync.conftest import seed
from tests.scratch import create_scratch_postgres, drop_scratch_postgres

STUDENTS = 4
SENDS_PER_STUDENT = 3  # one from beat's dispatch, two more sent at once


@pytest.fixture
def scratch_url(postgres_base_url: str) -> Iterator[str]:
    """A database of its own: dispatch must find only this test's students due."""
    url = create_scratch_postgres(postgres_base_url)
    migrate.upgrade(url)
    yield url
    drop_scratch_postgres(postgres_base_url, url)


def runs_by_student(engine: Engine, users: list[uuid.UUID]) -> dict[uuid.UUID, list[SyncRun]]:
    with session_scope(engine) as session:
        runs = list(session.scalars(select(SyncRun).where(SyncRun.user_id.in_(users))))
        session.expunge_all()
    found: dict[uuid.UUID, list[SyncRun]] = {u: [] for u in users}
    for run in runs:
        found[run.user_id].append(run)
    return found


def wait_for(predicate: object, timeout_s: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
def test_two_worker_processes_never_run_one_student_twice_at_once(
    scratch_url: str, redis_url: str, tmp_path: Path, key_ring: list[str]
) -> None:
    google = start_google_emulator("127.0.0.1", 0)
    notion = start_notion_emulator("127.0.0.1", 0, rate_per_s=200.0, burst=50.0)
    grant = google.admin.grant()
    settings = Settings(
        var_dir=tmp_path / "var",
        database_url=scratch_url,
        broker_url=redis_url,
        fernet_keys=",".join(key_ring),
        google_api_endpoint=google.base_url,
        google_token_uri=google.token_uri,
        google_client_id=grant["client_id"],
        google_client_secret=grant["client_secret"],
        notion_base_url=notion.base_url,
        notion_rate_per_s=100.0,
        notion_burst=20,
        dispatch_spread_max_s=0,
    )
    app = create_app(settings)
    engine = make_engine(scratch_url)
    env = child_process_env(settings, STUDYPLANNER_LOG_LEVEL="WARNING")
    workers = [Worker(env, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        workspaces: dict[uuid.UUID, tuple[str, EmulatedWorkspace]] = {}
        for index in range(STUDENTS):
            student_grant = google.admin.add_user(f"w{index}-{uuid.uuid4().hex[:6]}@example.edu")
            workspace = notion.admin.create_workspace()
            user_id = seed(engine, datetime.now(UTC))
            with session_scope(engine) as session:
                user = session.get(User, user_id)
                assert user is not None
                connect_google(session, user, student_grant)
                connect_notion(
                    session,
                    settings,
                    user,
                    token=workspace.token,
                    database_id=workspace.database_id,
                )
            workspaces[user_id] = (student_grant["email"], workspace)
        users = list(workspaces)
        with session_scope(engine) as session:  # all due now
            session.execute(update(IntegrationSettings).values(next_sync_at=None))
        app.control.purge()
        for worker in workers:
            worker.start()
        wait_for(lambda: len(app.control.ping(timeout=1.0)) == 2, 90, "two workers")

        with app.producer_or_acquire() as producer:
            for user_id in users:
                for _ in range(SENDS_PER_STUDENT - 1):
                    app.send_task(SYNC_TASK, args=(str(user_id), "test"), producer=producer)
        dispatched = app.send_task("studyplanner.maintenance.dispatch_due_syncs").get(timeout=60)
        assert dispatched["dispatched"] == STUDENTS

        def all_handled() -> bool:
            runs = runs_by_student(engine, users)
            return all(len(r) >= SENDS_PER_STUDENT for r in runs.values()) and idle(app)

        wait_for(all_handled, 120, "every sync to be handled")
        hosts = {reply_host for reply in app.control.ping(timeout=1.0) for reply_host in reply}
        assert len(hosts) == 2
    finally:
        for worker in workers:
            worker.stop()
        google_state = {
            user_id: google.admin.events(_calendar_of(engine, user_id)) for user_id in workspaces
        }
        notion_pages = {
            user_id: notion.admin.pages(data_source_id=ws.data_source_id, include_trashed=False)
            for user_id, (_, ws) in workspaces.items()
        }
        google.stop()
        notion.stop()

    runs = runs_by_student(engine, users)
    unfinished = [r.id for student_runs in runs.values() for r in student_runs if not r.finished_at]
    assert unfinished == [], "syncs that crashed (see the worker logs)"
    skipped = 0
    for user_id, student_runs in runs.items():
        ran = sorted(
            (r for r in student_runs if r.outcome is not SyncOutcome.SKIPPED),
            key=lambda r: r.started_at,
        )
        skipped += len(student_runs) - len(ran)
        assert ran and all(r.outcome is SyncOutcome.OK for r in ran), [r.outcome for r in ran]
        for earlier, later in pairwise(ran):
            assert earlier.finished_at is not None
            assert later.started_at >= earlier.finished_at, f"{user_id}: two runs overlap"
    # The lock was contended (else this test proves nothing): both workers took one student.
    assert skipped >= 1

    with session_scope(engine) as session:
        for user_id in users:
            blocks = list(
                session.scalars(select(CalendarBlock).where(CalendarBlock.user_id == user_id))
            )
            pages = list(session.scalars(select(NotionTask).where(NotionTask.user_id == user_id)))
            events = [e for e in google_state[user_id] if e.get("status") != "cancelled"]
            assert sorted(e["id"] for e in events) == sorted(
                b.google_event_id or "" for b in blocks if not b.is_tombstoned
            )
            by_task = Counter(page_text(p, "Task ID") for p in notion_pages[user_id])
            assert by_task == Counter(str(p.study_task_id) for p in pages if not p.is_trashed)
    engine.dispose()


def idle(app: Celery) -> bool:
    """No message waiting in the sync queue and no task running or reserved on any worker."""
    waiting = redis.Redis.from_url(str(app.conf.broker_url)).llen(SYNC_QUEUE)
    inspect = app.control.inspect(timeout=1.0)
    busy = [*(inspect.active() or {}).values(), *(inspect.reserved() or {}).values()]
    return waiting == 0 and not any(busy)


def _calendar_of(engine: Engine, user_id: uuid.UUID) -> str:
    with session_scope(engine) as session:
        calendar = session.scalar(
            select(IntegrationSettings.google_calendar_id).where(
                IntegrationSettings.user_id == user_id
            )
        )
    return calendar or ""
