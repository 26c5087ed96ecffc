"""Manual entry rules and the performance → mastery pipeline, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import MasteryRecord, StudyPath, User
from db.session import session_scope
from planner.mastery import ScoredResult, recompute_mastery
from planner.problems import InvalidInput
from services.catalog import (
    find_user,
    upsert_assessment,
    upsert_course,
    upsert_topic,
)
from services.performance import record_performance
from services.schemas import AssessmentIn, PerformanceIn, TopicIn
from tests.integration.db.factories import course_in, enrolled_student

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def test_user_course_and_path_are_created_once(session: Session) -> None:
    user, course = enrolled_student(session)
    again = upsert_course(session, user, course_in())
    assert (again.id, again.created, again.changed) == (course.id, False, False)
    paths = session.scalars(select(StudyPath).where(StudyPath.user_id == user.id)).all()
    assert [p.course_id for p in paths] == [course.id]
    assert find_user(session, user.email.upper()).id == user.id
    with pytest.raises(InvalidInput, match=r"no user 'nobody@example\.edu'"):
        find_user(session, "nobody@example.edu")


def test_prerequisites_must_exist_and_must_not_loop(session: Session) -> None:
    _, course = enrolled_student(session)
    upsert_topic(session, course, TopicIn(name="Limits"))
    upsert_topic(session, course, TopicIn(name="Derivatives", prerequisites=("Limits",)))
    with pytest.raises(InvalidInput, match="unknown prerequisite topic\\(s\\) Integrals"):
        upsert_topic(session, course, TopicIn(name="Series", prerequisites=("Integrals",)))
    with pytest.raises(InvalidInput, match=r"circular prerequisites: .*Limits.*Derivatives"):
        upsert_topic(session, course, TopicIn(name="Limits", prerequisites=("Derivatives",)))


def test_assessment_topics_and_weights(session: Session) -> None:
    _, course = enrolled_student(session)
    upsert_topic(session, course, TopicIn(name="Limits"))
    due = datetime(2026, 12, 1, 23, 59, tzinfo=UTC)
    midterm = AssessmentIn(
        name="Midterm",
        type="midterm",
        weight_percent=60,
        due_date=due,
        estimated_duration_min=90,
        topic_weights={"Limits": 100},
    )
    first = upsert_assessment(session, course, midterm)
    assert first.created and upsert_assessment(session, course, midterm).changed is False
    with pytest.raises(InvalidInput, match="unknown topic\\(s\\) Series"):
        upsert_assessment(
            session,
            course,
            AssessmentIn(
                name="Q",
                type="quiz",
                weight_percent=5,
                due_date=due,
                estimated_duration_min=30,
                topic_weights={"Series": 100},
            ),
        )
    with pytest.raises(InvalidInput, match="sum to 110%, more than 100%"):
        upsert_assessment(
            session,
            course,
            AssessmentIn(
                name="Final",
                type="final",
                weight_percent=50,
                due_date=due,
                estimated_duration_min=1,
            ),
        )


def test_recording_performance_updates_mastery_of_each_topic(session: Session) -> None:
    user, course = enrolled_student(session)
    limits = upsert_topic(session, course, TopicIn(name="Limits")).id
    derivs = upsert_topic(session, course, TopicIn(name="Derivatives")).id
    diagnostic = PerformanceIn(
        score=6, max_score=10, time_spent_min=20, completed_at=NOW - timedelta(days=3)
    )
    record_performance(
        session,
        user,
        course_id=course.id,
        result=diagnostic,
        topic_breakdown={limits: {"correct": 6, "total": 10}},
        assessment=None,
        now=NOW,
    )
    quiz = PerformanceIn(
        score=8, max_score=10, time_spent_min=15, completed_at=NOW - timedelta(days=1)
    )
    outcome = record_performance(
        session,
        user,
        course_id=course.id,
        result=quiz,
        topic_breakdown={limits: {"correct": 8, "total": 10}, derivs: {"correct": 2, "total": 4}},
        assessment=None,
        now=NOW,
    )
    assert set(outcome.topics_updated) == {limits, derivs}
    rows = {
        r.topic_id: r
        for r in session.scalars(select(MasteryRecord).where(MasteryRecord.user_id == user.id))
    }
    # Seed 004's worked example: 60 then 80 with alpha 0.3 (a practice result) → 66.
    assert rows[limits].mastery_score == pytest.approx(66.0)
    assert rows[limits].trend.value == "improving"
    assert rows[derivs].mastery_score == pytest.approx(50.0)
    assert rows[derivs].trend.value == "new"
    assert rows[limits].next_review_date is not None and rows[limits].fsrs_card is not None

    again = record_performance(
        session,
        user,
        course_id=course.id,
        result=quiz,
        topic_breakdown={limits: {"correct": 8, "total": 10}, derivs: {"correct": 2, "total": 4}},
        assessment=None,
        now=NOW,
    )
    assert not again.created
    session.expire_all()
    assert session.get(MasteryRecord, rows[limits].id).mastery_score == pytest.approx(66.0)  # type: ignore[union-attr]


def test_topic_of_another_course_is_refused(session: Session) -> None:
    user, course = enrolled_student(session)
    with pytest.raises(InvalidInput, match="is not a topic of this course"):
        record_performance(
            session,
            user,
            course_id=course.id,
            result=PerformanceIn(score=1, max_score=2, time_spent_min=1, completed_at=NOW),
            topic_breakdown={uuid.uuid4(): {"correct": 1, "total": 2}},
            assessment=None,
            now=NOW,
        )


def test_concurrent_writers_lose_no_update(engine: Engine) -> None:
    """Eight writers record results for the same topic at once; mastery reflects all eight."""
    with session_scope(engine) as s:
        user, course = enrolled_student(s)
        topic_id = upsert_topic(s, course, TopicIn(name="Limits")).id
        user_id, course_id = user.id, course.id
    scores = [40, 90, 55, 70, 100, 20, 85, 60]
    barrier = threading.Barrier(len(scores))
    failures: list[BaseException] = []

    def writer(i: int, score: int) -> None:
        try:
            barrier.wait(timeout=30)
            with session_scope(engine) as s:
                u = s.get(User, user_id)
                assert u is not None
                record_performance(
                    s,
                    u,
                    course_id=course_id,
                    result=PerformanceIn(
                        score=score,
                        max_score=100,
                        time_spent_min=10,
                        completed_at=NOW - timedelta(hours=len(scores) - i),
                    ),
                    topic_breakdown={topic_id: {"correct": score, "total": 100}},
                    assessment=None,
                    now=NOW,
                )
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=writer, args=(i, s)) for i, s in enumerate(scores)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    expected = recompute_mastery(
        [
            ScoredResult(float(s), "practice", NOW - timedelta(hours=len(scores) - i), 100)
            for i, s in enumerate(scores)
        ],
        now=NOW,
    )
    assert expected is not None
    with session_scope(engine) as s:
        row = s.scalars(
            select(MasteryRecord).where(
                MasteryRecord.user_id == user_id, MasteryRecord.topic_id == topic_id
            )
        ).one()
        assert row.practice_count + row.quiz_count == len(scores)
        assert row.mastery_score == pytest.approx(expected.mastery_score)
