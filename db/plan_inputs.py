"""Everything the planner needs about one student, loaded in a fixed, small number of queries
(one per table, no per-row lazy loads) and turned into the planner's frozen values."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from db.enums import AssessmentStatus
from db.models import (
    Assessment,
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
        difficulty_curve=row.difficulty_curve.value,
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
) -> pv.PlanInputs:
    user = session.get(User, user_id)
    if user is None:
        raise LookupError(f"no user {user_id}")
    prefs = session.scalars(
        select(UserPreferences).where(UserPreferences.user_id == user_id)
    ).first()
    courses = list(
        session.scalars(
            select(Course).where(Course.user_id == user_id, Course.is_archived.is_(False))
        )
    )
    course_ids = [c.id for c in courses]
    topics = list(session.scalars(select(Topic).where(Topic.course_id.in_(course_ids))))
    assessments = list(
        session.scalars(
            select(Assessment)
            .where(
                Assessment.course_id.in_(course_ids),
                Assessment.status == AssessmentStatus.ACTIVE,
                Assessment.is_completed.is_(False),
                Assessment.due_date >= now,
            )
            .options(selectinload(Assessment.topic_links))
            .order_by(Assessment.due_date, Assessment.id)
        )
    )
    mastery = list(session.scalars(select(MasteryRecord).where(MasteryRecord.user_id == user_id)))
    # Open tasks, plus tasks finished recently (their minutes count as work already done).
    since = now - timedelta(days=120)
    tasks = list(
        session.scalars(
            select(StudyTask).where(
                StudyTask.user_id == user_id,
                (StudyTask.status.in_(OPEN_OR_RECENT)) | (StudyTask.updated_at >= since),
            )
        )
    )
    return pv.PlanInputs(
        timezone=user.timezone,
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
        assessments=tuple(
            pv.Assessment(
                id=str(a.id),
                course_id=str(a.course_id),
                name=a.name,
                type=a.type.value,
                weight_percent=a.weight_percent,
                due=a.due_date,
                estimated_duration_min=a.estimated_duration_min,
                topics=tuple(
                    pv.AssessmentTopic(str(link.topic_id), link.weight_in_assessment)
                    for link in a.topic_links
                ),
                is_completed=a.is_completed,
            )
            for a in assessments
        ),
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
            for t in tasks
        ),
        busy=tuple(busy),
        horizon_days=horizon_days,
    )
