"""Task history (seed 003): filtered lists, summaries, one task's timeline, progress per path,
expiry of missed tasks and archiving of old events."""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    Select,
    String,
    bindparam,
    cast,
    delete,
    false,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.orm import Session

from db.enums import Difficulty, PathStatus
from db.models import (
    Course,
    MasteryRecord,
    PerformanceRecord,
    StudyPath,
    StudyTask,
    TaskEvent,
    TaskEventArchive,
    Topic,
    User,
)
from planner.lifecycle import EventSource, TaskStatus, expired_tasks
from planner.paths import PathProgress, TopicActivity, path_progress
from services.task_state import change_status


@dataclass(frozen=True, slots=True)
class TaskFilter:
    since: datetime | None = None
    until: datetime | None = None
    course_code: str | None = None
    topic_name: str | None = None
    difficulty: Difficulty | None = None
    status: TaskStatus | None = None
    limit: int = 500
    offset: int = 0  # for a page further down the list (the API's ?offset=)


def task_history(session: Session, user: User, flt: TaskFilter) -> list[StudyTask]:
    """Newest first. Uses idx_task_user_status_start / idx_task_scheduled."""
    query, params = _task_query("tasks", session, user.id, flt)
    return list(session.scalars(query, params))


# What a task list shows (the API's TaskOut): every column but the mirrors' ids and the mastery
# figures, so the rows are plain tuples instead of ORM objects with their bookkeeping.
TASK_LIST_COLUMNS = (
    StudyTask.id, StudyTask.user_id, StudyTask.course_id, StudyTask.path_id,
    StudyTask.plan_key, StudyTask.title, StudyTask.description, StudyTask.task_type,
    StudyTask.difficulty, StudyTask.topic_ids, StudyTask.status, StudyTask.scheduled_start,
    StudyTask.scheduled_end, StudyTask.actual_start, StudyTask.actual_end,
    StudyTask.estimated_duration_min, StudyTask.completion_percentage,
    StudyTask.priority_score, StudyTask.is_pinned, StudyTask.score, StudyTask.evaluation,
    StudyTask.plan_reason, StudyTask.created_at, StudyTask.updated_at,
)  # fmt: skip


def task_list_rows(session: Session, user_id: uuid.UUID, flt: TaskFilter) -> list[Any]:
    """`task_history` as rows of TASK_LIST_COLUMNS plus `course_code`, in one query."""
    query, params = _task_query("rows", session, user_id, flt)
    return list(session.execute(query, params))


# The filters that take a plain value, in TaskFilter's names: each one present adds
# `column <op> :name` to the WHERE clause.
_VALUE_FILTERS = ("status", "since", "until", "difficulty", "course_code")


def _task_query(
    base: str, session: Session, user_id: uuid.UUID, flt: TaskFilter
) -> tuple[Select[Any], dict[str, Any]]:
    """The statement for `flt` and its parameters. Without a topic the statement is one of a few
    built once (`_prepared`), values as bound parameters: building a SELECT with its filters
    and computing its cache key cost more CPU than PostgreSQL spends running it. A topic adds
    one LIKE per matching topic id, so that statement is built each time."""
    present = tuple(name for name in _VALUE_FILTERS if getattr(flt, name) is not None)
    params: dict[str, Any] = {name: getattr(flt, name) for name in present}
    params |= {"user_id": user_id, "page_limit": flt.limit, "page_offset": flt.offset}
    query = _prepared(base, present)
    if flt.topic_name is None:
        return query, params
    topic_ids = session.scalars(
        select(Topic.id).join(Course).where(Course.user_id == user_id, Topic.name == flt.topic_name)
    ).all()
    # In SQL, so a page is exact: `topic_ids` is a JSON list of id strings on both
    # databases, and a quoted UUID can only match a whole element.
    text = cast(StudyTask.topic_ids, String)
    return query.where(or_(false(), *(text.like(f'%"{t}"%') for t in topic_ids))), params


@functools.cache
def _prepared(base: str, present: tuple[str, ...]) -> Select[Any]:
    query: Select[Any]
    if base == "rows":
        query = select(*TASK_LIST_COLUMNS, Course.code.label("course_code")).join(
            Course, Course.id == StudyTask.course_id
        )
    else:
        query = select(StudyTask)
    user_id: BindParameter[uuid.UUID] = bindparam("user_id")
    wheres: dict[str, ColumnElement[bool]] = {
        "status": StudyTask.status == bindparam("status"),
        "since": StudyTask.scheduled_start >= bindparam("since"),
        "until": StudyTask.scheduled_start < bindparam("until"),
        "difficulty": StudyTask.difficulty == bindparam("difficulty"),
        "course_code": StudyTask.course_id.in_(
            select(Course.id).where(
                Course.user_id == user_id, Course.code == bindparam("course_code")
            )
        ),
    }
    query = query.where(StudyTask.user_id == user_id)
    for name in present:
        query = query.where(wheres[name])
    return (
        query.order_by(StudyTask.scheduled_start.desc().nulls_last(), StudyTask.id)
        .offset(bindparam("page_offset", type_=Integer))
        .limit(bindparam("page_limit", type_=Integer))
    )


@dataclass(frozen=True, slots=True)
class HistorySummary:
    counts_by_status: dict[str, int]
    accuracy_by_topic: dict[str, float]  # topic name -> % correct over all scored results
    upcoming_reviews: list[tuple[str, date]]  # (topic name, next review date), overdue first
    today: date


def summarize(session: Session, user: User, *, today: date) -> HistorySummary:
    counts = dict(
        session.execute(
            select(StudyTask.status, func.count())
            .where(StudyTask.user_id == user.id)
            .group_by(StudyTask.status)
        ).all()
    )
    names = {
        str(t.id): t.name
        for t in session.scalars(select(Topic).join(Course).where(Course.user_id == user.id))
    }
    correct: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for breakdown in session.scalars(
        select(PerformanceRecord.topic_breakdown).where(PerformanceRecord.user_id == user.id)
    ):
        for topic_id, result in breakdown.items():
            if isinstance(result, dict) and result.get("total"):
                correct[topic_id] += int(result.get("correct", 0))
                total[topic_id] += int(result["total"])
    accuracy = {
        names.get(t, t): round(100.0 * correct[t] / total[t], 1) for t in sorted(total) if total[t]
    }
    reviews = [
        (names.get(str(m.topic_id), str(m.topic_id)), m.next_review_date)
        for m in session.scalars(
            select(MasteryRecord)
            .where(MasteryRecord.user_id == user.id, MasteryRecord.next_review_date.is_not(None))
            .order_by(MasteryRecord.next_review_date)
            .limit(20)
        )
        if m.next_review_date is not None
    ]
    return HistorySummary(
        counts_by_status={str(k.value if hasattr(k, "value") else k): v for k, v in counts.items()},
        accuracy_by_topic=accuracy,
        upcoming_reviews=reviews,
        today=today,
    )


def find_task(session: Session, user: User, ref: str) -> StudyTask:
    """One of the student's tasks by its id or a unique start of it (`tasks` shows 8
    characters). InvalidInput naming the reason if there is none, or several."""
    from planner.problems import InvalidInput
    from services.catalog import _id_prefix_bounds

    ref = ref.strip()
    query = select(StudyTask).where(StudyTask.user_id == user.id)
    try:
        query = query.where(StudyTask.id == uuid.UUID(ref))
    except ValueError:
        bounds = _id_prefix_bounds(ref)
        if bounds is None:
            raise InvalidInput.single(
                f"'{ref}' is not a task id (give the id or at least its first 4 characters)",
                "task_id",
            ) from None
        low, high = bounds
        query = query.where(StudyTask.id >= low)
        if high is not None:
            query = query.where(StudyTask.id < high)
    matches = list(session.scalars(query.order_by(StudyTask.id).limit(5)))
    if len(matches) > 1:
        shown = ", ".join(f"{m.id} ({m.title})" for m in matches)
        raise InvalidInput.single(
            f"'{ref}' is the start of several task ids: {shown}; give more of it", "task_id"
        )
    if not matches:
        raise InvalidInput.single(
            f"no task '{ref}' of {user.email} ('studyplanner tasks')", "task_id"
        )
    return matches[0]


def task_timeline(session: Session, user: User, task_id: uuid.UUID) -> list[TaskEvent]:
    return list(
        session.scalars(
            select(TaskEvent)
            .where(TaskEvent.task_id == task_id, TaskEvent.user_id == user.id)
            .order_by(TaskEvent.created_at, TaskEvent.id)
        )
    )


def refresh_path(session: Session, path: StudyPath, *, now: datetime) -> PathProgress:
    """Recompute a path's progress from tasks and mastery and store it on the row."""
    from services.catalog import path_topics

    course = session.get(Course, path.course_id)
    assert course is not None
    topics = path_topics(session, course)
    mastery = {
        str(m.topic_id): m.mastery_score
        for m in session.scalars(
            select(MasteryRecord).where(
                MasteryRecord.user_id == path.user_id,
                MasteryRecord.topic_id.in_([uuid.UUID(t.id) for t in topics]),
            )
        )
    }
    statuses: dict[str, list[str]] = {}
    for task in session.scalars(
        select(StudyTask).where(
            StudyTask.user_id == path.user_id, StudyTask.course_id == path.course_id
        )
    ):
        for topic_id in task.topic_ids:
            statuses.setdefault(str(topic_id), []).append(task.status.value)
    activity = {
        t.id: TopicActivity(mastery.get(t.id), tuple(statuses.get(t.id, ()))) for t in topics
    }
    progress = path_progress(topics, activity)
    results = {
        str(assessment_id): round(percentage, 1)
        for assessment_id, percentage in session.execute(
            select(PerformanceRecord.assessment_id, PerformanceRecord.percentage)
            .where(
                PerformanceRecord.user_id == path.user_id,
                PerformanceRecord.course_id == path.course_id,
                PerformanceRecord.assessment_id.is_not(None),
            )
            .order_by(PerformanceRecord.completed_at)
        )
    }
    path.status = PathStatus(progress.status)
    path.completed_topic_ids = list(progress.completed_topic_ids)
    path.current_topic_id = (
        uuid.UUID(progress.current_topic_id) if progress.current_topic_id else None
    )
    path.assessment_results = results
    path.last_accessed_at = now
    return progress


def expire_missed(session: Session, user_id: uuid.UUID | None, *, now: datetime) -> int:
    """Scheduled tasks whose time passed without a start become `expired` (with an event)."""
    query = select(StudyTask).where(
        StudyTask.status == TaskStatus.SCHEDULED, StudyTask.scheduled_end < now
    )
    if user_id is not None:
        query = query.where(StudyTask.user_id == user_id)
    candidates = list(session.scalars(query.with_for_update(skip_locked=True)))
    expired = expired_tasks(candidates, now=now)
    for task in expired:
        change_status(session, task, TaskStatus.EXPIRED, source=EventSource.SYSTEM, at=now)
    return len(expired)


def archive_events(session: Session, *, older_than: datetime, batch: int = 5000) -> int:
    """Move events older than the cut-off to task_events_archive (the aggregates stay on the
    task). The one sanctioned way rows leave task_events: copied first, in the same transaction."""
    moved = 0
    while True:
        ids = list(
            session.scalars(
                select(TaskEvent.id).where(TaskEvent.created_at < older_than).limit(batch)
            )
        )
        if not ids:
            return moved
        columns = [c.name for c in TaskEvent.__table__.columns]
        session.execute(
            insert(TaskEventArchive).from_select(
                columns,
                select(*[TaskEvent.__table__.c[c] for c in columns]).where(TaskEvent.id.in_(ids)),
            )
        )
        session.execute(delete(TaskEvent).where(TaskEvent.id.in_(ids)))
        moved += len(ids)


def months_ago(now: datetime, months: int) -> datetime:
    return now - timedelta(days=round(30.44 * months))


def as_rows(tasks: list[StudyTask], courses: dict[uuid.UUID, str]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(t.id),
            "title": t.title,
            "course": courses.get(t.course_id, ""),
            "type": t.task_type.value,
            "difficulty": t.difficulty.value,
            "status": t.status.value,
            "scheduled_start": t.scheduled_start.isoformat() if t.scheduled_start else "",
            "scheduled_end": t.scheduled_end.isoformat() if t.scheduled_end else "",
            "minutes": t.estimated_duration_min,
            "priority": round(t.priority_score, 3),
            "score": t.score,
        }
        for t in tasks
    ]


def progress_report(
    session: Session, user: User, course_code: str | None, *, now: datetime
) -> list[dict[str, Any]]:
    """Each course's path (recomputed now) with names: what `progress` and the API show."""
    query = select(StudyPath, Course).join(Course).where(StudyPath.user_id == user.id)
    if course_code:
        query = query.where(Course.code == course_code)
    rows: list[dict[str, Any]] = []
    for path, the_course in session.execute(query.order_by(Course.code)).all():
        result = refresh_path(session, path, now=now)
        names = {str(t.id): t.name for t in the_course.topics}
        rows.append(
            {
                "path_id": str(path.id),
                "course_id": str(the_course.id),
                "course": the_course.code,
                "status": result.status,
                "percent_complete": round(result.percent_complete, 1),
                "current_topic": names.get(result.current_topic_id or ""),
                "completed_topics": [names[t] for t in result.completed_topic_ids],
                "path": [names[t] for t in result.ordered_topic_ids],
                "assessment_results": path.assessment_results,
            }
        )
    return rows
