"""What admins and students look at: recent sync runs, open sync errors, integrations that need
someone, and the current plan with its at-risk work. Plain values, for the CLI and the API."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.enums import IntegrationHealth
from db.models import Course, IntegrationSettings, StudyTask, SyncError, SyncRun, User
from planner.vocabulary import TaskStatus

PLANNED = (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS, TaskStatus.PENDING)


@dataclass(frozen=True)
class RunView:
    id: uuid.UUID
    user_id: uuid.UUID
    started_at: datetime
    finished_at: datetime | None
    trigger: str
    outcome: str
    duration_ms: int | None
    counts: dict[str, int]


@dataclass(frozen=True)
class ErrorView:
    id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime
    provider: str
    operation: str
    http_status: int | None
    error_code: str | None
    retryable: bool
    message: str


@dataclass(frozen=True)
class AttentionView:
    user_id: uuid.UUID
    google: str
    notion: str


@dataclass(frozen=True)
class SyncStatus:
    runs: list[RunView]
    errors: list[ErrorView]
    attention: list[AttentionView]
    # email and IANA zone of every user named above: times are shown in the student's zone
    users: dict[uuid.UUID, tuple[str, str]] = field(default_factory=dict)


def sync_status(session: Session, user_id: uuid.UUID | None, *, limit: int) -> SyncStatus:
    """The latest runs and open errors (of one user, or of everyone for an admin)."""
    runs_q = select(SyncRun).order_by(SyncRun.started_at.desc()).limit(limit)
    errors_q = (
        select(SyncError)
        .where(SyncError.resolved_at.is_(None))
        .order_by(SyncError.created_at.desc())
        .limit(limit)
    )
    # Columns only: the rows' tokens stay encrypted (and readable or not, status still shows).
    attention_q = select(
        IntegrationSettings.user_id,
        IntegrationSettings.google_health,
        IntegrationSettings.notion_health,
    ).where(
        (IntegrationSettings.google_health != IntegrationHealth.OK)
        | (IntegrationSettings.notion_health != IntegrationHealth.OK)
    )
    if user_id is not None:
        runs_q = runs_q.where(SyncRun.user_id == user_id)
        errors_q = errors_q.where(SyncError.user_id == user_id)
        attention_q = attention_q.where(IntegrationSettings.user_id == user_id)
    status = SyncStatus(
        runs=[
            RunView(
                r.id,
                r.user_id,
                r.started_at,
                r.finished_at,
                r.trigger,
                r.outcome.value,
                r.duration_ms,
                dict(r.counts),
            )
            for r in session.scalars(runs_q)
        ],
        errors=[
            ErrorView(
                e.id,
                e.user_id,
                e.created_at,
                e.provider.value,
                e.operation,
                e.http_status,
                e.error_code,
                e.retryable,
                e.message,
            )
            for e in session.scalars(errors_q)
        ],
        attention=[
            AttentionView(row.user_id, row.google_health.value, row.notion_health.value)
            for row in session.execute(attention_q)
        ],
    )
    named = {r.user_id for r in status.runs} | {e.user_id for e in status.errors}
    named |= {a.user_id for a in status.attention}
    if named:
        for uid, email, zone in session.execute(
            select(User.id, User.email, User.timezone).where(User.id.in_(named))
        ):
            status.users[uid] = (email, zone)
    return status


@dataclass(frozen=True)
class CurrentPlan:
    """The planned tasks in time order and the at-risk work of the last finished sync."""

    tasks: list[dict[str, Any]]
    at_risk: list[dict[str, Any]]
    last_sync_at: datetime | None
    later: dict[str, Any] = field(default_factory=dict)  # planned beyond the written window


def current_plan(
    session: Session, user_id: uuid.UUID, *, limit: int | None = None, offset: int = 0
) -> CurrentPlan:
    """`limit`/`offset` page the tasks in SQL (the API asks for a page; the CLI for all). Only
    the columns shown are read: a term's plan is hundreds of rows."""
    query = (
        select(
            StudyTask.id,
            StudyTask.scheduled_start,
            StudyTask.scheduled_end,
            Course.code,
            StudyTask.title,
            StudyTask.status,
            StudyTask.is_pinned,
            StudyTask.priority_score,
            StudyTask.plan_reason,
        )
        .join(Course, Course.id == StudyTask.course_id)
        .where(StudyTask.user_id == user_id, StudyTask.status.in_(PLANNED))
        .order_by(StudyTask.scheduled_start, StudyTask.id)
        .offset(offset)
        .limit(limit)
    )
    rows: list[dict[str, Any]] = [
        {
            "id": str(task_id),
            "start": start.isoformat() if start else None,
            "end": end.isoformat() if end else None,
            "course": code,
            "title": title,
            "status": task_status.value,
            "pinned": pinned,
            "priority": round(priority, 3),
            "reason": reason,
        }
        for task_id, start, end, code, title, task_status, pinned, priority, reason in (
            session.execute(query)
        )
    ]
    last = session.scalars(
        select(SyncRun)
        .where(SyncRun.user_id == user_id, SyncRun.finished_at.is_not(None))
        .order_by(SyncRun.started_at.desc())
    ).first()
    details = last.details if last is not None else {}
    return CurrentPlan(
        rows,
        list(details.get("at_risk", [])),
        last.finished_at if last is not None else None,
        dict(details.get("later") or {}),
    )
