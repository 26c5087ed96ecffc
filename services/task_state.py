"""Apply the pure task lifecycle (planner.lifecycle) to StudyTask rows and append its events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from db.models import StudyTask, TaskEvent
from planner import lifecycle
from planner.lifecycle import EventSource, TaskEventDraft, TaskStatus


def append_event(session: Session, task: StudyTask, draft: TaskEventDraft) -> TaskEvent:
    event = TaskEvent(
        task_id=task.id,
        user_id=task.user_id,
        event_type=draft.event_type,
        source=draft.source,
        payload=dict(draft.payload),
        created_at=draft.at,
    )
    session.add(event)
    return event


def record_created(
    session: Session,
    task: StudyTask,
    *,
    source: EventSource,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> TaskEvent:
    if task.id is None:
        session.flush()
    return append_event(
        session, task, lifecycle.created(task.status, source=source, at=at, details=details)
    )


def change_status(
    session: Session,
    task: StudyTask,
    target: TaskStatus,
    *,
    source: EventSource,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> TaskEvent:
    """Move the task to `target` (IllegalTransition if the lifecycle forbids it) and log it."""
    draft = lifecycle.transition(task.status, target, source=source, at=at, details=details)
    task.status = draft.to_status
    for column, value in draft.task_updates.items():
        setattr(task, column, value)
    if draft.to_status is TaskStatus.COMPLETED:
        task.completion_percentage = 100.0
    return append_event(session, task, draft)


def record_note(
    session: Session,
    task: StudyTask,
    event_type: lifecycle.TaskEventType,
    *,
    source: EventSource,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> TaskEvent:
    draft = lifecycle.note(event_type, status=task.status, source=source, at=at, details=details)
    return append_event(session, task, draft)
