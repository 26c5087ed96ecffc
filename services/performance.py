"""Recording performance and keeping mastery right.

Mastery of a topic is a pure fold over its scored history (`planner.mastery.recompute_mastery`),
so recording a result recomputes the topics it touches from all their results, in the same
transaction as the insert. That makes it idempotent (a retried task recomputes the same value) and
safe under concurrent writers: the mastery row is locked (`SELECT … FOR UPDATE`) before the
history is read, so a second writer waits, then reads both results — no lost update. The lock row
is created with INSERT … ON CONFLICT DO NOTHING, because two first results for a topic would
otherwise race on the unique (user, topic) index.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Assessment, MasteryRecord, PerformanceRecord, Topic, User
from planner.mastery import AssessmentKind, MasteryState, ScoredResult, recompute_mastery
from planner.problems import InvalidInput, Problem
from services.schemas import PerformanceIn


@dataclass(frozen=True, slots=True)
class RecordedPerformance:
    record_id: uuid.UUID
    topics_updated: tuple[uuid.UUID, ...]
    created: bool  # False when the same result was already recorded (idempotent re-run)


def record_performance(
    session: Session,
    user: User,
    *,
    course_id: uuid.UUID,
    result: PerformanceIn,
    topic_breakdown: dict[uuid.UUID, dict[str, Any]],
    assessment: Assessment | None,
    now: datetime,
) -> RecordedPerformance:
    """Store one scored attempt and update the mastery of every topic in its breakdown.

    `topic_breakdown` maps topic ids to {"correct", "total"[, "time_min"]}; a topic without
    counts gets the overall percentage. The same (user, assessment, attempt, completed_at) twice is
    one record.
    """
    _check_topics_belong(session, course_id, topic_breakdown)
    existing = session.scalars(
        select(PerformanceRecord).where(
            PerformanceRecord.user_id == user.id,
            PerformanceRecord.course_id == course_id,
            PerformanceRecord.assessment_id == (assessment.id if assessment else None),
            PerformanceRecord.attempt_number == result.attempt_number,
            PerformanceRecord.completed_at == result.completed_at,
        )
    ).first()
    created = existing is None
    if existing is None:
        existing = PerformanceRecord(
            user_id=user.id,
            course_id=course_id,
            assessment_id=assessment.id if assessment else None,
            attempt_number=result.attempt_number,
            score=result.score,
            max_score=result.max_score,
            percentage=round(result.percentage, 4),
            time_spent_min=result.time_spent_min,
            completed_at=result.completed_at,
            topic_breakdown={str(k): v for k, v in topic_breakdown.items()},
        )
        session.add(existing)
        session.flush()
    topics = tuple(sorted(topic_breakdown))  # a fixed lock order: no deadlock between writers
    for topic_id in topics:
        recompute_topic_mastery(session, user, topic_id, now=now)
    return RecordedPerformance(existing.id, topics, created)


def _check_topics_belong(
    session: Session, course_id: uuid.UUID, breakdown: dict[uuid.UUID, dict[str, Any]]
) -> None:
    if not breakdown:
        return
    known = set(
        session.scalars(
            select(Topic.id).where(Topic.course_id == course_id, Topic.id.in_(list(breakdown)))
        )
    )
    missing = [str(t) for t in breakdown if t not in known]
    if missing:
        raise InvalidInput(
            [
                Problem(f"topic {t} is not a topic of this course", "topic_breakdown")
                for t in missing
            ]
        )


def topic_history(session: Session, user_id: uuid.UUID, topic_id: uuid.UUID) -> list[ScoredResult]:
    """Every scored result that touched the topic, as plain values for the pure fold."""
    key = str(topic_id)
    rows = session.execute(
        select(PerformanceRecord, Assessment.type)
        .outerjoin(Assessment, Assessment.id == PerformanceRecord.assessment_id)
        .join(Topic, Topic.course_id == PerformanceRecord.course_id)
        .where(PerformanceRecord.user_id == user_id, Topic.id == topic_id)
        .order_by(PerformanceRecord.completed_at, PerformanceRecord.id)
    ).all()
    history = []
    for record, assessment_type in rows:
        counts = record.topic_breakdown.get(key)
        if counts is None:
            continue
        history.append(
            ScoredResult(
                score_percent=_topic_percent(counts, record.percentage),
                assessment_type=assessment_type.value
                if assessment_type
                else AssessmentKind.PRACTICE,
                at=record.completed_at,
                question_count=_int_or_none(counts.get("total"))
                if isinstance(counts, dict)
                else None,
            )
        )
    return history


def _topic_percent(counts: object, overall: float) -> float:
    if isinstance(counts, dict) and counts.get("total"):
        return min(
            100.0, max(0.0, 100.0 * float(counts.get("correct", 0)) / float(counts["total"]))
        )
    return overall


def _int_or_none(value: object) -> int | None:
    return int(value) if isinstance(value, int | float) and value >= 1 else None


def lock_mastery_row(session: Session, user_id: uuid.UUID, topic_id: uuid.UUID) -> MasteryRecord:
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(MasteryRecord)
        .values(id=uuid.uuid4(), user_id=user_id, topic_id=topic_id)
        .on_conflict_do_nothing(index_elements=["user_id", "topic_id"])
    )
    session.execute(statement)
    return session.scalars(
        select(MasteryRecord)
        .where(MasteryRecord.user_id == user_id, MasteryRecord.topic_id == topic_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def recompute_topic_mastery(
    session: Session, user: User, topic_id: uuid.UUID, *, now: datetime
) -> MasteryRecord:
    from zoneinfo import ZoneInfo

    row = lock_mastery_row(session, user.id, topic_id)
    state = recompute_mastery(
        topic_history(session, user.id, topic_id), now=now, tz=ZoneInfo(user.timezone)
    )
    if state is not None:
        apply_state(row, state)
    return row


def apply_state(row: MasteryRecord, state: MasteryState) -> None:
    row.mastery_score = round(state.mastery_score, 6)
    row.confidence_interval = round(state.confidence_interval, 6)
    row.trend = state.trend
    row.last_practiced_at = state.last_practiced_at
    row.next_review_date = state.next_review_date
    row.review_interval_days = state.review_interval_days
    row.practice_count = state.practice_count
    row.quiz_count = state.quiz_count
    row.fsrs_card = dict(state.fsrs_card) if state.fsrs_card is not None else None
