"""What the task, path, plan and sync routes send back, and the batch body of seed 003."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from operator import itemgetter
from typing import Any

from pydantic import BaseModel, Field, JsonValue
from sqlalchemy import Row

from api.pagination import Page
from db.models import StudyTask, TaskEvent
from planner.lifecycle import EventSource, TaskEventType
from planner.vocabulary import Difficulty, TaskStatus, TaskType
from services.schemas import Strict
from services.status import ErrorView, RunView
from services.study_tasks import ISSUED_PREFIX, IssuedTaskIn


class TaskBatchIn(Strict):
    """A batch of upcoming tasks for one study path (seed 003's curriculum orchestrator).
    Posting the same `external_id`s again changes nothing."""

    tasks: list[IssuedTaskIn]


class TaskOut(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    course: str = Field(description="The course's code (seed 003's module).")
    path_id: uuid.UUID | None
    external_id: str | None = Field(description="The issuer's id, for issued tasks.")
    title: str
    description: str
    task_type: TaskType
    difficulty: Difficulty
    topic_ids: list[str]
    status: TaskStatus
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    estimated_duration_min: int
    completion_percentage: float
    priority_score: float
    is_pinned: bool
    score: float | None
    evaluation: dict[str, JsonValue]
    plan_reason: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, task: StudyTask, course_code: str) -> TaskOut:
        return cls(
            id=task.id,
            user_id=task.user_id,
            course_id=task.course_id,
            course=course_code,
            path_id=task.path_id,
            external_id=external_id(task.plan_key),
            title=task.title,
            description=task.description,
            task_type=task.task_type,
            difficulty=task.difficulty,
            topic_ids=[str(t) for t in task.topic_ids],
            status=task.status,
            scheduled_start=task.scheduled_start,
            scheduled_end=task.scheduled_end,
            actual_start=task.actual_start,
            actual_end=task.actual_end,
            estimated_duration_min=task.estimated_duration_min,
            completion_percentage=task.completion_percentage,
            priority_score=task.priority_score,
            is_pinned=task.is_pinned,
            score=task.score,
            evaluation=dict(task.evaluation or {}),
            plan_reason=task.plan_reason,
            created_at=task.created_at,
            updated_at=task.updated_at,
        )


def external_id(plan_key: str | None) -> str | None:
    key = plan_key or ""
    return key.split(":", 2)[2] if key.startswith(ISSUED_PREFIX + ":") else None


TASK_FIELDS = tuple(TaskOut.model_fields)


# The row column each TaskOut field comes from: the same name but for these two, whose values
# are then converted (`task_items`).
_FROM_COLUMN = {"course": "course_code", "external_id": "plan_key"}


def task_items(rows: Sequence[Row[Any]]) -> list[dict[str, Any]]:
    """Rows of services.history.task_list_rows as the TaskOuts they stand for, but as dicts:
    the values come typed from the database, and validating 50 models per page cost more than
    the query. pydantic serialises both alike (tests/e2e/api/test_task_list.py holds the JSON
    of the two equal), and the route keeps TaskOut as its documented response model.
    The columns are put in TaskOut's order by one itemgetter per row (the positions are looked
    up once per page): `Row._asdict` and a dict per row cost more than the query's fetch."""
    if not rows:
        return []
    in_row_order = rows[0]._fields
    in_field_order = itemgetter(*(in_row_order.index(_FROM_COLUMN.get(f, f)) for f in TASK_FIELDS))
    items = []
    for row in rows:
        item = dict(zip(TASK_FIELDS, in_field_order(row), strict=True))
        item["external_id"] = external_id(item["external_id"])
        item["topic_ids"] = [str(t) for t in item["topic_ids"]]
        item["evaluation"] = dict(item["evaluation"] or {})
        items.append(item)
    return items


class IssuedOut(BaseModel):
    created: bool = Field(description="False when the task was issued before (same external id).")
    task: TaskOut


class BatchOut(BaseModel):
    created: int
    existing: int
    tasks: list[IssuedOut]


class EventOut(BaseModel):
    id: uuid.UUID
    task_id: uuid.UUID
    event_type: TaskEventType
    source: EventSource
    payload: dict[str, JsonValue]
    created_at: datetime

    @classmethod
    def of(cls, event: TaskEvent) -> EventOut:
        return cls(
            id=event.id,
            task_id=event.task_id,
            event_type=event.event_type,
            source=event.source,
            payload=dict(event.payload),
            created_at=event.created_at,
        )


class ReviewOut(BaseModel):
    topic: str
    date: date
    overdue: bool


class SummaryOut(BaseModel):
    counts_by_status: dict[str, int]
    accuracy_by_topic: dict[str, float] = Field(description="Topic → % correct over results.")
    upcoming_reviews: list[ReviewOut]


class PathOut(BaseModel):
    path_id: uuid.UUID
    course_id: uuid.UUID
    course: str
    status: str
    percent_complete: float
    current_topic: str | None
    completed_topics: list[str]
    path: list[str] = Field(description="The course's topics in study order.")
    assessment_results: dict[str, float] = Field(description="Assessment id → best % so far.")


class PlanTaskOut(BaseModel):
    id: uuid.UUID
    start: datetime | None
    end: datetime | None
    course: str
    title: str
    status: TaskStatus
    pinned: bool
    priority: float
    reason: str = Field(description="Why the planner put it there.")


class PlanOut(Page[PlanTaskOut]):
    """The planned tasks in time order (paginated) and the at-risk work of the last sync."""

    at_risk: list[dict[str, JsonValue]]
    last_sync_at: datetime | None


class RunOut(BaseModel):
    id: uuid.UUID
    started_at: datetime
    finished_at: datetime | None
    trigger: str
    outcome: str
    duration_ms: int | None
    counts: dict[str, int]

    @classmethod
    def of(cls, run: RunView) -> RunOut:
        return cls(
            id=run.id,
            started_at=run.started_at,
            finished_at=run.finished_at,
            trigger=run.trigger,
            outcome=run.outcome,
            duration_ms=run.duration_ms,
            counts=run.counts,
        )


class SyncErrorOut(BaseModel):
    id: uuid.UUID
    created_at: datetime
    provider: str
    operation: str
    http_status: int | None
    error_code: str | None
    retryable: bool
    message: str

    @classmethod
    def of(cls, error: ErrorView) -> SyncErrorOut:
        return cls(
            id=error.id,
            created_at=error.created_at,
            provider=error.provider,
            operation=error.operation,
            http_status=error.http_status,
            error_code=error.error_code,
            retryable=error.retryable,
            message=error.message,
        )


class SyncStatusOut(BaseModel):
    """The latest sync runs and the open sync errors, newest first; `limit`/`offset` page both
    lists at once."""

    runs: list[RunOut]
    errors: list[SyncErrorOut]
    google: str = Field(description="ok, needs_reauth or needs_attention.")
    notion: str
    limit: int
    offset: int
    next_offset: int | None
    next: str | None


class SyncQueuedOut(BaseModel):
    task_id: str = Field(description="The Celery task id of the queued sync.")
    status_url: str = Field(description="Where its run shows up once a worker took it.")
