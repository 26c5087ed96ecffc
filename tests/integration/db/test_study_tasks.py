"""Tasks issued for a study path by another system (seed 003): created once however often the
batch is posted, changed only through the lifecycle, and owned by their student."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import StudyPath, StudyTask, TaskEvent
from planner.lifecycle import IllegalTransition, TaskEventType
from planner.problems import InvalidInput
from planner.vocabulary import TaskStatus, TaskType
from services.catalog import upsert_topic
from services.schemas import TopicIn
from services.study_tasks import IssuedTaskIn, TaskChangeIn, change_task, issue_tasks
from tests.integration.db.factories import enrolled_student

NOW = datetime(2026, 10, 5, 12, tzinfo=UTC)


def path_of(session: Session, user_id: uuid.UUID) -> StudyPath:
    return session.scalars(select(StudyPath).where(StudyPath.user_id == user_id)).one()


def batch(*ids: str, topics: list[str] | None = None) -> list[IssuedTaskIn]:
    return [
        IssuedTaskIn(
            external_id=i,
            title=f"Problem set {i}",
            task_type=TaskType.PROBLEM_SET,
            topics=topics or [],
            scheduled_start=NOW + timedelta(days=1),
            duration_min=45,
        )
        for i in ids
    ]


def events_of(session: Session, task: StudyTask) -> list[TaskEvent]:
    return list(
        session.scalars(
            select(TaskEvent).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id)
        )
    )


def test_a_batch_posted_twice_creates_each_task_once(session: Session) -> None:
    user, course = enrolled_student(session)
    upsert_topic(session, course, TopicIn(name="Limits"))
    path = path_of(session, user.id)

    first = issue_tasks(session, user, path.id, batch("a1", "a2", topics=["Limits"]), now=NOW)
    again = issue_tasks(session, user, path.id, batch("a1", "a2", topics=["Limits"]), now=NOW)

    assert [i.created for i in first] == [True, True]
    assert [i.created for i in again] == [False, False]
    assert [i.task.id for i in first] == [i.task.id for i in again]
    task = first[0].task
    assert task.status is TaskStatus.SCHEDULED and task.is_pinned and task.path_id == path.id
    assert task.scheduled_end == NOW + timedelta(days=1, minutes=45)
    assert [e.source.value for e in events_of(session, task)] == ["api"]


def test_a_batch_with_a_bad_task_writes_nothing_and_names_each_problem(session: Session) -> None:
    user, _ = enrolled_student(session)
    path = path_of(session, user.id)
    before = session.scalar(select(func.count()).select_from(StudyTask))

    with pytest.raises(InvalidInput) as caught:
        issue_tasks(session, user, path.id, [*batch("ok"), *batch("x", topics=["Nope"])], now=NOW)

    assert [p.field for p in caught.value.problems] == ["tasks[1].topics"]
    assert session.scalar(select(func.count()).select_from(StudyTask)) == before


def test_another_students_path_and_task_are_not_found(session: Session) -> None:
    owner, _ = enrolled_student(session)
    other, _ = enrolled_student(session, code="HIST 1301", name="History")
    path = path_of(session, owner.id)
    task = issue_tasks(session, owner, path.id, batch("t"), now=NOW)[0].task

    with pytest.raises(LookupError):
        issue_tasks(session, other, path.id, batch("t2"), now=NOW)
    with pytest.raises(LookupError):
        change_task(session, other, task.id, TaskChangeIn(status=TaskStatus.SKIPPED), now=NOW)
    assert task.status is TaskStatus.SCHEDULED


def test_seed_003_flow_start_evaluate_complete(session: Session) -> None:
    user, _ = enrolled_student(session)
    task = issue_tasks(session, user, path_of(session, user.id).id, batch("f"), now=NOW)[0].task

    change_task(session, user, task.id, TaskChangeIn(status=TaskStatus.IN_PROGRESS), now=NOW)
    change_task(
        session,
        user,
        task.id,
        TaskChangeIn(
            status=TaskStatus.COMPLETED,
            score=1.0,
            evaluation={"passed": True, "runtime_s": 312, "hints_used": 1},
        ),
        now=NOW + timedelta(minutes=40),
    )

    assert task.status is TaskStatus.COMPLETED and task.score == 1.0
    assert task.evaluation == {"passed": True, "runtime_s": 312, "hints_used": 1}
    assert [e.event_type for e in events_of(session, task)] == [
        TaskEventType.CREATED,
        TaskEventType.STARTED,
        TaskEventType.EVALUATED,
        TaskEventType.STATUS_CHANGED,
    ]


def test_an_illegal_change_names_both_states_and_leaves_no_evaluation(session: Session) -> None:
    user, _ = enrolled_student(session)
    task = issue_tasks(session, user, path_of(session, user.id).id, batch("i"), now=NOW)[0].task
    change_task(session, user, task.id, TaskChangeIn(status=TaskStatus.SKIPPED), now=NOW)

    with pytest.raises(IllegalTransition) as caught:
        change_task(
            session,
            user,
            task.id,
            TaskChangeIn(status=TaskStatus.EXPIRED, evaluation={"passed": False}),
            now=NOW,
        )

    assert "skipped" in str(caught.value) and "expired" in str(caught.value)
    assert task.evaluation == {} and task.status is TaskStatus.SKIPPED
    assert len(events_of(session, task)) == 2


def test_an_empty_change_is_refused() -> None:
    with pytest.raises(ValueError, match="give a status"):
        TaskChangeIn()
