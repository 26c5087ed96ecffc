"""Everything the planner needs about one student, loaded in a fixed, small number of queries
(no per-row lazy loads, no ORM objects) and turned into the planner's frozen values."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from db.enums import AssessmentStatus
from db.models import (
    Assessment,
    AssessmentTopic,
    Course,
    MasteryRecord,
    StudyTask,
    Topic,
    User,
    UserPreferences,
)
from planner import values as pv
from planner.lifecycle import TaskStatus

OPEN_OR_RECENT = (TaskStatus.PENDING, TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS)
REVIEW_MEMORY = timedelta(days=30)  # a spaced review done lately is not scheduled again


TASK_COLUMNS = (
    StudyTask.id,
    StudyTask.plan_key,
    StudyTask.course_id,
    StudyTask.assessment_id,
    StudyTask.topic_ids,
    StudyTask.status,
    StudyTask.estimated_duration_min,
    StudyTask.scheduled_start,
    StudyTask.scheduled_end,
    StudyTask.is_pinned,
    StudyTask.completion_percentage,
)


# Only what the planner uses: open tasks inside the planning window (fixed blocks, stable
# placements), every task of an upcoming assessment (work already done counts), and recent
# reviews. A student's long history is never loaded. The same rule twice: as SQL for a caller
# without rows, in Python for a sync that loaded them.
def _planner_uses(
    now: datetime, horizon_end: datetime, upcoming: Sequence[uuid.UUID]
) -> ColumnElement[bool]:
    return or_(
        StudyTask.status.in_(OPEN_OR_RECENT)
        & or_(
            StudyTask.scheduled_start.is_(None),
            (StudyTask.scheduled_start < horizon_end)
            & (StudyTask.scheduled_end > now - timedelta(days=1)),
        ),
        StudyTask.assessment_id.in_(upcoming),
        StudyTask.assessment_id.is_(None) & (StudyTask.updated_at >= now - REVIEW_MEMORY),
    )


def _planner_uses_row(
    task: StudyTask, now: datetime, horizon_end: datetime, upcoming: set[uuid.UUID]
) -> bool:
    if task.status in OPEN_OR_RECENT and (
        task.scheduled_start is None
        or (
            task.scheduled_start < horizon_end
            and task.scheduled_end is not None
            and task.scheduled_end > now - timedelta(days=1)
        )
    ):
        return True
    if task.assessment_id is not None:
        return task.assessment_id in upcoming
    return task.updated_at is not None and task.updated_at >= now - REVIEW_MEMORY


def preferences_value(row: UserPreferences | None) -> pv.Preferences:
    if row is None:
        return pv.Preferences()
    return pv.Preferences(
        max_hours_per_day=row.max_hours_per_day,
        preferred_block_length_min=row.preferred_block_length_min,
        break_length_min=row.break_length_min,
        earliest_start_time=row.earliest_start_time,
        latest_end_time=row.latest_end_time,
        weekly_availability=pv.parse_weekly_availability(row.weekly_availability)
        if row.weekly_availability
        else pv.Preferences().weekly_availability,
        difficulty_curve=row.difficulty_curve,
        study_mode_preferences=pv.parse_study_modes(row.study_mode_preferences),
        enable_spaced_repetition=row.enable_spaced_repetition,
        min_review_interval_days=row.min_review_interval_days,
    )


def load_plan_inputs(
    session: Session,
    user_id: uuid.UUID,
    *,
    now: datetime,
    busy: Sequence[pv.BusyInterval] = (),
    horizon_days: int = 14,
    tasks: Iterable[StudyTask] | None = None,
) -> pv.PlanInputs:
    # Columns, not ORM entities: a student has hundreds of open or recent tasks, and building a
    # tracked StudyTask per row (plus decoding JSON columns the planner never reads) cost ~5x
    # the query itself (bench/data). Six round trips: user+preferences, courses, topics,
    # assessments with their topic links, mastery, tasks.
    head = session.execute(
        select(User.timezone, UserPreferences)
        .outerjoin(UserPreferences, UserPreferences.user_id == User.id)
        .where(User.id == user_id)
        .limit(1)
    ).first()
    if head is None:
        raise LookupError(f"no user {user_id}")
    timezone, prefs = head
    courses = session.execute(
        select(Course.id, Course.name, Course.code).where(
            Course.user_id == user_id, Course.is_archived.is_(False)
        )
    ).all()
    course_ids = [c.id for c in courses]
    topics = session.execute(
        select(
            Topic.id,
            Topic.course_id,
            Topic.name,
            Topic.estimated_difficulty,
            Topic.prerequisite_topic_ids,
            Topic.order_index,
        ).where(Topic.course_id.in_(course_ids))
    ).all()
    mastery = session.execute(
        select(
            MasteryRecord.topic_id,
            MasteryRecord.mastery_score,
            MasteryRecord.confidence_interval,
            MasteryRecord.next_review_date,
        ).where(MasteryRecord.user_id == user_id)
    ).all()
    assessments = _assessments(session, course_ids, now)
    upcoming = [uuid.UUID(a.id) for a in assessments]
    horizon_end = now + timedelta(days=horizon_days)
    if tasks is None:
        task_rows: Sequence[Any] = session.execute(
            select(*TASK_COLUMNS).where(
                StudyTask.user_id == user_id, _planner_uses(now, horizon_end, upcoming)
            )
        ).all()
    else:
        # A sync has every task row loaded already (db.user_rows): the same rule in Python,
        # so a sync reads each task once.
        wanted = set(upcoming)
        task_rows = [t for t in tasks if _planner_uses_row(t, now, horizon_end, wanted)]
    return pv.PlanInputs(
        timezone=timezone,
        preferences=preferences_value(prefs),
        courses=tuple(pv.Course(str(c.id), c.name, c.code) for c in courses),
        topics=tuple(
            pv.Topic(
                id=str(t.id),
                course_id=str(t.course_id),
                name=t.name,
                difficulty=t.estimated_difficulty.value,
                prerequisite_ids=tuple(t.prerequisite_topic_ids),
                order_index=t.order_index,
            )
            for t in topics
        ),
        assessments=assessments,
        mastery=tuple(
            pv.Mastery(
                topic_id=str(m.topic_id),
                mastery_score=m.mastery_score,
                confidence=m.confidence_interval,
                next_review_date=m.next_review_date,
            )
            for m in mastery
        ),
        existing_tasks=tuple(
            pv.ExistingTask(
                id=t.plan_key or str(t.id),
                course_id=str(t.course_id),
                assessment_id=str(t.assessment_id) if t.assessment_id else None,
                topic_ids=tuple(t.topic_ids),
                status=t.status.value,
                duration_min=t.estimated_duration_min,
                scheduled_start=t.scheduled_start,
                scheduled_end=t.scheduled_end,
                pinned=t.is_pinned,
                minutes_done=round(t.estimated_duration_min * t.completion_percentage / 100)
                if t.status is TaskStatus.IN_PROGRESS
                else None,
            )
            for t in task_rows
        ),
        busy=tuple(busy),
        horizon_days=horizon_days,
    )


def _assessments(
    session: Session, course_ids: list[uuid.UUID], now: datetime
) -> tuple[pv.Assessment, ...]:
    """Upcoming open assessments with their topics, in one query (an outer join: an assessment
    without topics still counts)."""
    rows = session.execute(
        select(
            Assessment.id,
            Assessment.course_id,
            Assessment.name,
            Assessment.type,
            Assessment.weight_percent,
            Assessment.due_date,
            Assessment.estimated_duration_min,
            Assessment.is_completed,
            AssessmentTopic.topic_id,
            AssessmentTopic.weight_in_assessment,
        )
        .outerjoin(AssessmentTopic, AssessmentTopic.assessment_id == Assessment.id)
        .where(
            Assessment.course_id.in_(course_ids),
            Assessment.status == AssessmentStatus.ACTIVE,
            Assessment.is_completed.is_(False),
            Assessment.due_date >= now,
        )
        .order_by(Assessment.due_date, Assessment.id)
    ).all()
    grouped: dict[uuid.UUID, tuple[Any, list[pv.AssessmentTopic]]] = {}
    for row in rows:
        _, links = grouped.setdefault(row.id, (row, []))
        if row.topic_id is not None:
            links.append(pv.AssessmentTopic(str(row.topic_id), row.weight_in_assessment))
    return tuple(
        pv.Assessment(
            id=str(a.id),
            course_id=str(a.course_id),
            name=a.name,
            type=a.type.value,
            weight_percent=a.weight_percent,
            due=a.due_date,
            estimated_duration_min=a.estimated_duration_min,
            topics=tuple(links),
            is_completed=a.is_completed,
        )
        for a, links in grouped.values()
    )
