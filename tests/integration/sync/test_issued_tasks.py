"""Tasks issued through the API (seed 003's orchestrator) reach Google and Notion on the next
sync, stay where they were issued (the planner plans around them), and cost nothing after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from db.models import StudyPath, StudyTask, User
from db.session import session_scope
from planner.vocabulary import TaskStatus, TaskType
from services.study_tasks import IssuedTaskIn, issue_tasks
from tests.integration.sync.conftest import Student
from tests.integration.sync.test_pipeline import block_of, live_events, live_pages, page_of


def test_an_issued_task_is_mirrored_once_and_never_moved(student: Student) -> None:
    student.sync()
    start = (datetime.now(UTC) + timedelta(days=2)).replace(
        hour=6, minute=0, second=0, microsecond=0
    )
    with session_scope(student.engine) as session:
        user = session.get(User, student.user_id)
        assert user is not None
        path = session.scalars(select(StudyPath).where(StudyPath.user_id == user.id)).first()
        assert path is not None
        issued = issue_tasks(
            session,
            user,
            path.id,
            [
                IssuedTaskIn(
                    external_id="co-17",
                    title="Orchestrated drill",
                    task_type=TaskType.QUIZ,
                    scheduled_start=start,
                    duration_min=30,
                )
            ],
            now=datetime.now(UTC),
        )
        task_id = issued[0].task.id
    events_before, pages_before = len(live_events(student)), len(live_pages(student))

    report = student.sync()

    assert report.counts.get("tasks_adopted") == 1
    assert len(live_events(student)) == events_before + 1
    assert len(live_pages(student)) == pages_before + 1
    block = block_of(student, task_id)
    assert block is not None and block.is_synced and block.start_time == start
    assert page_of(student, task_id).is_synced
    with session_scope(student.engine) as session:
        task = session.get(StudyTask, task_id)
        assert task is not None
        assert (task.status, task.scheduled_start) == (TaskStatus.SCHEDULED, start)

    quiet = student.sync()
    assert quiet.counts.get("google_writes", 0) == 0
    assert quiet.counts.get("notion_writes", 0) == 0
    assert "tasks_adopted" not in quiet.counts
