"""Tasks that another system issues (seed 003's curriculum orchestrator, a school portal, a
front end) and their outcomes: a batch created for a study path, status changes through the
lifecycle with evaluation metrics, one task looked up by its owner.

Issued tasks are kept apart from the planner's: their key is `issued:<path>:<external id>`
(posting the same batch twice changes nothing) and they are pinned, so the planner plans around
them as fixed appointments and never moves or drops them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, Field, JsonValue, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import StudyPath, StudyTask, Topic, User
from planner.lifecycle import EventSource, TaskEventType, transition
from planner.problems import InvalidInput, Problem
from planner.vocabulary import Difficulty, TaskStatus, TaskType
from services.schemas import Strict
from services.task_state import change_status, record_created, record_note

ISSUED_PREFIX = "issued"
MAX_BATCH = 200


class IssuedTaskIn(Strict):
    external_id: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._:-]+$")
    title: str = Field(min_length=1, max_length=300)
    task_type: TaskType
    difficulty: Difficulty = Difficulty.MEDIUM
    topics: list[str] = Field(default_factory=list, max_length=20)
    scheduled_start: AwareDatetime | None = None
    duration_min: int = Field(ge=5, le=600)
    description: str = Field(default="", max_length=5000)


class TaskChangeIn(Strict):
    """Seed 003's PATCH: a new status and/or the evaluation of an attempt."""

    status: TaskStatus | None = None
    score: float | None = Field(default=None, ge=0, le=1)
    evaluation: dict[str, JsonValue] | None = Field(default=None, max_length=50)
    completion_percentage: float | None = Field(default=None, ge=0, le=100)

    @model_validator(mode="after")
    def _something(self) -> TaskChangeIn:
        if self.model_dump(exclude_none=True) == {}:
            raise ValueError("give a status, a score, an evaluation or a completion percentage")
        return self


@dataclass(frozen=True)
class Issued:
    task: StudyTask
    created: bool


def issued_key(path_id: uuid.UUID, external_id: str) -> str:
    return f"{ISSUED_PREFIX}:{path_id.hex[:16]}:{external_id}"


def find_path(session: Session, user: User, path_id: uuid.UUID) -> StudyPath:
    path = session.get(StudyPath, path_id)
    if path is None or path.user_id != user.id:
        raise LookupError(f"no study path {path_id}")
    return path


def find_task(session: Session, user: User, task_id: uuid.UUID) -> StudyTask:
    task = session.get(StudyTask, task_id)
    if task is None or task.user_id != user.id:
        raise LookupError(f"no task {task_id}")
    return task


def issue_tasks(
    session: Session,
    user: User,
    path_id: uuid.UUID,
    items: Sequence[IssuedTaskIn],
    *,
    now: datetime,
    source: EventSource = EventSource.API,
) -> list[Issued]:
    """Create (or find again) each task of the batch on the path; all or nothing."""
    path = find_path(session, user, path_id)
    problems = _batch_problems(items)
    topic_ids = _topic_ids(session, path.course_id)
    for index, item in enumerate(items):
        problems.extend(
            Problem(f"unknown topic '{name}' in this course", f"tasks[{index}].topics")
            for name in item.topics
            if name not in topic_ids
        )
    if problems:
        raise InvalidInput(problems)
    keys = [issued_key(path.id, item.external_id) for item in items]
    existing = {
        t.plan_key: t
        for t in session.scalars(
            select(StudyTask).where(StudyTask.user_id == user.id, StudyTask.plan_key.in_(keys))
        )
    }
    out: list[Issued] = []
    for key, item in zip(keys, items, strict=True):
        if key in existing:
            out.append(Issued(existing[key], created=False))
            continue
        task = _new_issued_task(user, path, key, item, [topic_ids[n] for n in item.topics])
        session.add(task)
        session.flush()
        record_created(
            session,
            task,
            source=source,
            at=now,
            details={"external_id": item.external_id, "path_id": str(path.id)},
        )
        out.append(Issued(task, created=True))
    return out


def change_task(
    session: Session,
    user: User,
    task_id: uuid.UUID,
    change: TaskChangeIn,
    *,
    now: datetime,
    source: EventSource = EventSource.API,
) -> StudyTask:
    """Apply an evaluation and/or a status change. An illegal change raises IllegalTransition
    (naming both states) before anything is written."""
    task = find_task(session, user, task_id)
    moves = change.status is not None and change.status is not task.status
    if moves and change.status is not None:
        transition(task.status, change.status, source=source, at=now)  # raises before any write
    if change.evaluation is not None or change.score is not None:
        metrics: dict[str, Any] = dict(change.evaluation or {})
        if change.score is not None:
            metrics["score"] = change.score
            task.score = change.score
        task.evaluation = {**(task.evaluation or {}), **(change.evaluation or {})}
        record_note(session, task, TaskEventType.EVALUATED, source=source, at=now, details=metrics)
    if change.completion_percentage is not None:
        task.completion_percentage = change.completion_percentage
    if moves and change.status is not None:
        change_status(session, task, change.status, source=source, at=now)
    return task


def _batch_problems(items: Sequence[IssuedTaskIn]) -> list[Problem]:
    problems: list[Problem] = []
    if not items:
        problems.append(Problem("a batch needs at least one task", "tasks"))
    if len(items) > MAX_BATCH:
        problems.append(Problem(f"at most {MAX_BATCH} tasks per batch", "tasks"))
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item.external_id in seen:
            problems.append(
                Problem(f"external_id '{item.external_id}' appears twice", f"tasks[{index}]")
            )
        seen.add(item.external_id)
    return problems


def _topic_ids(session: Session, course_id: uuid.UUID) -> dict[str, str]:
    """Topic names and ids of the course, both accepted as a task's topic."""
    found: dict[str, str] = {}
    for topic_id, name in session.execute(
        select(Topic.id, Topic.name).where(Topic.course_id == course_id)
    ):
        found[name] = found[str(topic_id)] = str(topic_id)
    return found


def _new_issued_task(
    user: User, path: StudyPath, key: str, item: IssuedTaskIn, topic_ids: list[str]
) -> StudyTask:
    start = item.scheduled_start
    return StudyTask(
        id=uuid.uuid4(),
        user_id=user.id,
        course_id=path.course_id,
        path_id=path.id,
        plan_key=key,
        title=item.title,
        description=item.description,
        task_type=item.task_type,
        difficulty=item.difficulty,
        topic_ids=topic_ids,
        estimated_duration_min=item.duration_min,
        scheduled_start=start,
        scheduled_end=start + timedelta(minutes=item.duration_min) if start else None,
        status=TaskStatus.SCHEDULED if start else TaskStatus.PENDING,
        is_pinned=True,
        plan_reason="issued by the curriculum orchestrator",
    )
