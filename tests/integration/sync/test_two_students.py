"""Two students on the same database and the same emulators, seeded alike (same courses, same
titles): whatever student A does in Google and Notion, and whatever fails for A, never changes
one of B's rows or one of B's remote objects."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect, select

from db.enums import IntegrationHealth, Provider, SyncOutcome
from db.models import (
    CalendarBlock,
    IntegrationSettings,
    NotionTask,
    StudyTask,
    SyncError,
    SyncRun,
    TaskEvent,
    User,
)
from db.session import session_scope
from emulators.google import GoogleEmulator
from emulators.notion import NotionEmulator
from planner.lifecycle import TaskStatus
from services.connect import connect_google, connect_notion
from services.settings import Settings
from tests.integration.sync.conftest import Student, seed

PER_USER = (StudyTask, CalendarBlock, NotionTask, IntegrationSettings, SyncRun, SyncError)

MakeStudent = Callable[[str], Student]


@pytest.fixture
def make_student(
    engine: Engine, google_emulator: GoogleEmulator, notion_emulator: NotionEmulator, tmp_path: Path
) -> MakeStudent:
    def make(name: str) -> Student:
        grant = google_emulator.admin.add_user(f"{name}-{uuid.uuid4().hex[:6]}@example.edu")
        workspace = notion_emulator.admin.create_workspace()
        settings = Settings(
            var_dir=tmp_path / "var",
            database_url=str(engine.url.render_as_string(hide_password=False)),
            google_api_endpoint=google_emulator.base_url,
            google_token_uri=google_emulator.token_uri,
            google_client_id=grant["client_id"],
            google_client_secret=grant["client_secret"],
            notion_base_url=notion_emulator.base_url,
            notion_rate_per_s=50.0,
            notion_burst=10,
        )
        user_id = seed(engine, datetime.now(UTC))
        with session_scope(engine) as session:
            user = session.get(User, user_id)
            assert user is not None
            connect_google(session, user, grant)
            connect_notion(
                session, settings, user, token=workspace.token, database_id=workspace.database_id
            )
        return Student(
            engine, settings, user_id, google_emulator, notion_emulator, workspace, grant["email"]
        )

    return make


def rows_of(student: Student) -> dict[str, dict[str, Any]]:
    """Every column of every row the student owns (task events included), by table and id."""
    found: dict[str, dict[str, Any]] = {}
    with session_scope(student.engine) as s:
        for model in PER_USER:
            for row in s.scalars(select(model).where(model.user_id == student.user_id)):
                state = inspect(row)
                found[f"{model.__tablename__}/{state.identity}"] = {
                    c.key: getattr(row, c.key) for c in state.mapper.column_attrs
                }
        task_ids = select(StudyTask.id).where(StudyTask.user_id == student.user_id)
        for event in s.scalars(select(TaskEvent).where(TaskEvent.task_id.in_(task_ids))):
            found[f"task_events/{event.id}"] = {"payload": event.payload, "at": event.created_at}
    return found


def integration(student: Student) -> IntegrationSettings:
    with session_scope(student.engine) as s:
        row = s.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == student.user_id)
        ).one()
        s.expunge(row)
        return row


def remote_of(student: Student) -> dict[str, Any]:
    """B's events (etags and all) and pages (last_edited_time and all), as the emulators hold
    them."""
    calendar = integration(student).google_calendar_id or ""
    return {
        "events": sorted(student.google.admin.events(calendar), key=lambda e: str(e["id"])),
        "pages": sorted(
            student.notion.admin.pages(data_source_id=student.workspace.data_source_id),
            key=lambda p: str(p["id"]),
        ),
    }


def scheduled_with_mirrors(student: Student) -> list[tuple[StudyTask, CalendarBlock, NotionTask]]:
    with session_scope(student.engine) as s:
        found = s.execute(
            select(StudyTask, CalendarBlock, NotionTask)
            .join(CalendarBlock, CalendarBlock.study_task_id == StudyTask.id)
            .join(NotionTask, NotionTask.study_task_id == StudyTask.id)
            .where(StudyTask.user_id == student.user_id, StudyTask.status == TaskStatus.SCHEDULED)
            .order_by(StudyTask.scheduled_start, StudyTask.id)
        ).all()
        s.expunge_all()
        return [(t, b, p) for t, b, p in found]


def leave_b_with_pending_work(b: Student) -> dict[str, Any]:
    """B has edits of its own waiting in both tools and pushes that failed last time (a block
    and a page still dirty): A's syncs must take none of it."""
    (edited, edited_block, _), (ticked, _, ticked_page), (_, dirty_block, dirty_page) = (
        scheduled_with_mirrors(b)[:3]
    )
    assert edited.scheduled_start is not None and edited.scheduled_end is not None
    b_start = edited.scheduled_start + timedelta(hours=3)
    b.google.admin.move_event(
        integration(b).google_calendar_id or "",
        edited_block.google_event_id or "",
        b_start,
        edited.scheduled_end + timedelta(hours=3),
    )
    b.notion.admin.set_status(ticked_page.notion_page_id or "", "Done")
    with session_scope(b.engine) as s:
        block = s.get(CalendarBlock, dirty_block.id)
        page = s.get(NotionTask, dirty_page.id)
        assert block is not None and page is not None
        block.is_dirty = page.is_dirty = True
        block.sync_error = "patch: google events.patch: 503 backendError"
        page.sync_error = "notion update_page: 503 service_unavailable"
    return {"edited": (edited.id, b_start), "ticked": ticked.id, "dirty": (block.id, page.id)}


def test_a_students_edits_and_failures_never_touch_another_student(
    make_student: MakeStudent,
) -> None:
    a, b = make_student("a"), make_student("b")
    for student in (a, b):
        assert student.sync().outcome is SyncOutcome.OK
    pending = leave_b_with_pending_work(b)
    b_rows, b_remote = rows_of(b), remote_of(b)
    assert b_remote["events"] and b_remote["pages"]

    # A edits in both tools (the same titles as B's tasks: only the ids tell them apart).
    (moved, moved_block, _), (done, _, done_page), (trashed, _, trashed_page) = (
        scheduled_with_mirrors(a)[:3]
    )
    assert moved.scheduled_start is not None and moved.scheduled_end is not None
    start = moved.scheduled_start + timedelta(hours=2)
    end = moved.scheduled_end + timedelta(hours=2)
    a.google.admin.move_event(
        integration(a).google_calendar_id or "", moved_block.google_event_id or "", start, end
    )
    a.notion.admin.set_status(done_page.notion_page_id or "", "Done")
    a.notion.admin.trash(trashed_page.notion_page_id or "")
    edited = a.sync()
    assert edited.outcome is SyncOutcome.OK and edited.counts.get("reconciled") == 3
    with session_scope(a.engine) as s:
        assert s.get(StudyTask, moved.id).scheduled_start == start  # type: ignore[union-attr]
        assert s.get(StudyTask, done.id).status is TaskStatus.COMPLETED  # type: ignore[union-attr]
        assert s.get(StudyTask, trashed.id).status is TaskStatus.SKIPPED  # type: ignore[union-attr]

    # Then everything fails for A: the grant is revoked, A's data source answers 503.
    a.google.admin.revoke_grant(a.calendar_owner)
    a.notion.admin.inject(503, count=100, path=f"/data_sources/{a.workspace.data_source_id}/query$")
    failed = a.sync()
    assert {e.provider for e in failed.errors} == {Provider.GOOGLE, Provider.NOTION}
    assert integration(a).google_health is IntegrationHealth.NEEDS_REAUTH

    # None of it reached B: not a column of B's rows, not a byte of B's events and pages.
    assert rows_of(b) == b_rows
    assert remote_of(b) == b_remote

    # B's own sync finds B's work just as B left it (the faults are A's).
    own = b.sync()
    assert own.outcome is SyncOutcome.OK, [e.text() for e in own.errors]
    assert own.counts.get("reconciled") == 2  # B's move and B's Done, nothing of A's
    task_id, b_start = pending["edited"]
    block_id, page_id = pending["dirty"]
    with session_scope(b.engine) as s:
        assert s.get(StudyTask, task_id).scheduled_start == b_start  # type: ignore[union-attr]
        ticked = s.get(StudyTask, pending["ticked"])
        assert ticked is not None and ticked.status is TaskStatus.COMPLETED
        for mirror in (s.get(CalendarBlock, block_id), s.get(NotionTask, page_id)):
            assert mirror is not None and not mirror.is_dirty and mirror.sync_error is None
        assert s.scalars(select(SyncError).where(SyncError.user_id == b.user_id)).all() == []
    row = integration(b)
    assert row.google_health is IntegrationHealth.OK and row.notion_health is IntegrationHealth.OK
