"""What the student's pages show, as plain values: each connection's state, the week's blocks,
the at-risk work of the last sync, and the task timeline with its filters."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.enums import IntegrationHealth
from db.models import Assessment, Course, StudyTask, SyncError, SyncRun, Topic, User
from integrations.errors import IntegrationError
from planner.vocabulary import TaskStatus
from services.connect import integration_of
from services.history import TaskFilter, as_rows, task_history, task_timeline
from services.settings import Settings
from services.sync.providers import google_client

HEALTH_TEXT = {
    IntegrationHealth.OK: "working",
    IntegrationHealth.NEEDS_REAUTH: "needs you to connect again",
    IntegrationHealth.NEEDS_ATTENTION: "needs attention (see the last error)",
}


@dataclass(frozen=True)
class ProviderView:
    key: str
    name: str
    connected: bool  # a token is stored
    enabled: bool  # the sync uses it
    health: str
    health_text: str
    detail: str
    next_step: str | None  # "calendars" / "database": a choice still to make


@dataclass(frozen=True)
class ConnectionsView:
    providers: list[ProviderView]
    last_sync_at: datetime | None
    last_outcome: str | None
    errors: list[str]


def connections(session: Session, user: User) -> ConnectionsView:
    row = integration_of(session, user)
    session.flush()
    calendars = len(row.google_monitored_calendars or [])
    google = ProviderView(
        key="google",
        name="Google Calendar",
        connected=bool(row.google_refresh_token),
        enabled=row.google_calendar_enabled and bool(row.google_refresh_token),
        health=row.google_health.value,
        health_text=HEALTH_TEXT[row.google_health],
        detail=f"busy time read from {calendars} calendar(s)" if row.google_refresh_token else "",
        next_step=None,
    )
    workspace = row.notion_workspace_name or "your workspace"
    ready = bool(row.notion_database_id and row.notion_data_source)
    notion = ProviderView(
        key="notion",
        name="Notion",
        connected=bool(row.notion_access_token),
        enabled=row.notion_enabled and bool(row.notion_access_token) and ready,
        health=row.notion_health.value,
        health_text=HEALTH_TEXT[row.notion_health],
        detail=(
            (f"tasks in a database of {workspace}" if ready else f"{workspace}: pick a database")
            if row.notion_access_token
            else ""
        ),
        next_step="database" if row.notion_access_token and not row.notion_enabled else None,
    )
    last = session.scalars(
        select(SyncRun)
        .where(SyncRun.user_id == user.id, SyncRun.finished_at.is_not(None))
        .order_by(SyncRun.started_at.desc())
    ).first()
    errors = [
        f"{e.provider.value}: {e.message}"
        for e in session.scalars(
            select(SyncError)
            .where(SyncError.user_id == user.id, SyncError.resolved_at.is_(None))
            .order_by(SyncError.created_at.desc())
            .limit(5)
        )
    ]
    return ConnectionsView(
        providers=[google, notion],
        last_sync_at=last.finished_at if last else row.last_sync_at,
        last_outcome=last.outcome.value if last else None,
        errors=errors,
    )


@dataclass(frozen=True)
class PlannedBlock:
    task_id: str
    title: str
    course_code: str | None
    start: datetime
    end: datetime
    status: str
    pinned: bool
    reason: str


@dataclass(frozen=True)
class AtRiskItem:
    what: str
    due: datetime | None
    minutes_missing: int
    reason: str


@dataclass(frozen=True)
class Week:
    start: date
    tz: str
    blocks: list[PlannedBlock]
    busy: list[tuple[str, datetime, datetime]]
    busy_note: str | None
    course_colors: dict[str, str]
    at_risk: list[AtRiskItem] = field(default_factory=list)


def week_start_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week(
    session: Session, settings: Settings, user: User, *, start: date, with_busy: bool = True
) -> Week:
    """The seven local days from `start`: the study blocks, busy time (asked of Google now,
    when connected) and the at-risk work."""
    zone = ZoneInfo(user.timezone)
    begin = datetime.combine(start, time(0), tzinfo=zone)
    end = datetime.combine(start + timedelta(days=7), time(0), tzinfo=zone)
    courses = {c.id: c for c in session.scalars(select(Course).where(Course.user_id == user.id))}
    tasks = session.scalars(
        select(StudyTask)
        .where(
            StudyTask.user_id == user.id,
            StudyTask.scheduled_start < end,
            StudyTask.scheduled_end > begin,
            StudyTask.status != TaskStatus.SKIPPED,
        )
        .order_by(StudyTask.scheduled_start)
    )
    blocks = [
        PlannedBlock(
            task_id=str(t.id),
            title=t.title,
            course_code=courses[t.course_id].code if t.course_id in courses else None,
            start=t.scheduled_start,
            end=t.scheduled_end,
            status=t.status.value,
            pinned=t.is_pinned,
            reason=t.plan_reason,
        )
        for t in tasks
        if t.scheduled_start is not None and t.scheduled_end is not None
    ]
    busy: list[tuple[str, datetime, datetime]] = []
    note = None
    if with_busy:
        busy, note = _busy(session, settings, user, begin, end)
    return Week(
        start=start,
        tz=user.timezone,
        blocks=blocks,
        busy=busy,
        busy_note=note,
        course_colors={c.code: c.color for c in courses.values()},
        at_risk=at_risk(session, user),
    )


def _busy(
    session: Session, settings: Settings, user: User, begin: datetime, end: datetime
) -> tuple[list[tuple[str, datetime, datetime]], str | None]:
    row = integration_of(session, user)
    if not row.google_refresh_token or row.google_health != IntegrationHealth.OK:
        return [], "Busy time is not shown: Google Calendar is not connected."
    client = google_client(settings, row)
    try:
        intervals = client.freebusy(row.google_monitored_calendars or ["primary"], begin, end)
    except IntegrationError as exc:
        return [], f"Busy time is not shown: Google Calendar did not answer ({exc.code})."
    finally:
        client.close()
    return [("busy", i.start, i.end) for i in intervals], None


def at_risk(session: Session, user: User) -> list[AtRiskItem]:
    last = session.scalars(
        select(SyncRun)
        .where(SyncRun.user_id == user.id, SyncRun.finished_at.is_not(None))
        .order_by(SyncRun.started_at.desc())
    ).first()
    if last is None:
        return []
    items: list[dict[str, Any]] = list(last.details.get("at_risk", []))
    ids = [uuid.UUID(i["assessment_id"]) for i in items if i.get("assessment_id")]
    mine = select(Course.id).where(Course.user_id == user.id)
    assessments = {
        str(a.id): a
        for a in session.scalars(
            select(Assessment).where(Assessment.id.in_(ids), Assessment.course_id.in_(mine))
        )
    }
    result = []
    for item in items:
        found = assessments.get(item.get("assessment_id") or "")
        result.append(
            AtRiskItem(
                what=found.name if found else "Spaced review",
                due=found.due_date if found else None,
                minutes_missing=int(item.get("minutes_missing", 0)),
                reason=str(item.get("reason", "")),
            )
        )
    return result


@dataclass(frozen=True)
class Timeline:
    rows: list[dict[str, Any]]
    courses: list[str]
    topics: list[str]
    statuses: list[str]
    topic_names: dict[str, list[str]]  # task id -> its topics' names


def timeline(session: Session, user: User, flt: TaskFilter) -> Timeline:
    courses = {
        c.id: c.code for c in session.scalars(select(Course).where(Course.user_id == user.id))
    }
    topics = {
        str(t.id): t.name
        for t in session.scalars(select(Topic).where(Topic.course_id.in_(list(courses))))
    }
    tasks = task_history(session, user, flt)
    return Timeline(
        rows=as_rows(tasks, courses),
        courses=sorted(courses.values()),
        topics=sorted(set(topics.values())),
        statuses=[s.value for s in TaskStatus],
        topic_names={str(t.id): [topics[i] for i in t.topic_ids if i in topics] for t in tasks},
    )


def events_of(session: Session, user: User, task_id: uuid.UUID) -> list[dict[str, Any]]:
    return [
        {
            "at": e.created_at,
            "type": e.event_type.value,
            "source": e.source.value,
            "payload": dict(e.payload),
        }
        for e in task_timeline(session, user, task_id)
    ]
