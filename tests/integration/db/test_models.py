"""Model round trips and constraint violations, on SQLite and PostgreSQL (schema by migration)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Uuid, bindparam, literal_column, select, text
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from db.enums import AssessmentType, Difficulty, Provider, SyncOutcome, Trend
from db.models import (
    AssessmentFeed,
    AssessmentTopic,
    CalendarBlock,
    IntegrationSettings,
    MasteryRecord,
    NotionTask,
    PerformanceRecord,
    StudyPath,
    SyncError,
    SyncRun,
    TaskEvent,
    UserPreferences,
)
from db.session import AppendOnlyViolation
from planner.lifecycle import EventSource, TaskEventType, TaskStatus
from tests.integration.db.factories import (
    add_assessment,
    add_course,
    add_task,
    add_topic,
    add_user,
)


def reload(session: Session, _obj: object) -> None:
    session.flush()
    session.expire_all()


def test_user_preferences_round_trip(session: Session) -> None:
    user = add_user(session, timezone="America/New_York")
    prefs = UserPreferences(
        user_id=user.id,
        max_hours_per_day=3.5,
        earliest_start_time=time(7, 30),
        weekly_availability={"monday": [{"start": "18:00", "end": "22:00"}]},
        study_mode_preferences={"c1": ["reading", "flashcards"]},
    )
    session.add(prefs)
    reload(session, prefs)
    got = session.scalars(select(UserPreferences).where(UserPreferences.user_id == user.id)).one()
    assert got.max_hours_per_day == 3.5
    assert got.preferred_block_length_min == 50  # seed default
    assert got.break_length_min == 10
    assert got.earliest_start_time == time(7, 30)
    assert got.latest_end_time == time(22, 0)
    assert got.weekly_availability == {"monday": [{"start": "18:00", "end": "22:00"}]}
    assert got.enable_spaced_repetition is True
    assert got.user.timezone == "America/New_York"


def test_timestamps_come_back_aware_utc(session: Session) -> None:
    user = add_user(session)
    course = add_course(session, user)
    berlin_due = datetime(2026, 12, 1, 23, 59, tzinfo=ZoneInfo("Europe/Berlin"))
    assessment = add_assessment(session, course, due_date=berlin_due)
    reload(session, assessment)
    got = session.get(type(assessment), assessment.id)
    assert got is not None
    assert got.due_date.tzinfo is not None
    assert got.due_date.utcoffset() == timedelta(0)
    assert got.due_date == berlin_due  # the same instant
    assert got.created_at.tzinfo is not None


def test_naive_datetime_is_refused(session: Session) -> None:
    user = add_user(session)
    course = add_course(session, user)
    with pytest.raises(StatementError, match="naive datetime"):
        add_assessment(session, course, due_date=datetime(2026, 12, 1, 12, 0))


def test_course_topic_assessment_graph_round_trip(session: Session) -> None:
    user = add_user(session)
    course = add_course(session, user, code="CSE 110")
    limits = add_topic(session, course, name="Limits", order_index=0)
    derivs = add_topic(
        session,
        course,
        name="Derivatives",
        order_index=1,
        estimated_difficulty=Difficulty.HARD,
        prerequisite_topic_ids=[str(limits.id)],
    )
    exam = add_assessment(session, course, name="Midterm", type=AssessmentType.MIDTERM)
    session.add_all(
        [
            AssessmentTopic(assessment_id=exam.id, topic_id=limits.id, weight_in_assessment=40),
            AssessmentTopic(assessment_id=exam.id, topic_id=derivs.id, weight_in_assessment=60),
        ]
    )
    reload(session, exam)
    got = session.get(type(course), course.id)
    assert got is not None
    assert [t.name for t in got.topics] == ["Limits", "Derivatives"]
    assert got.topics[1].prerequisite_topic_ids == [str(limits.id)]
    assert got.topics[1].estimated_difficulty is Difficulty.HARD
    weights = sorted(link.weight_in_assessment or 0 for link in got.assessments[0].topic_links)
    assert weights == [40, 60]


def test_performance_mastery_task_and_mirrors_round_trip(session: Session) -> None:
    user = add_user(session)
    course = add_course(session, user)
    topic = add_topic(session, course)
    quiz = add_assessment(session, course)
    done_at = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    session.add(
        PerformanceRecord(
            user_id=user.id,
            course_id=course.id,
            assessment_id=quiz.id,
            score=8,
            max_score=10,
            percentage=80,
            time_spent_min=25,
            completed_at=done_at,
            topic_breakdown={str(topic.id): {"correct": 4, "total": 5}},
        )
    )
    session.add(
        MasteryRecord(
            user_id=user.id,
            topic_id=topic.id,
            mastery_score=66.0,
            confidence_interval=13.5,
            trend=Trend.IMPROVING,
            next_review_date=date(2026, 11, 24),
            fsrs_card={"state": 2, "stability": 3.1},
        )
    )
    path = StudyPath(user_id=user.id, course_id=course.id, current_topic_id=topic.id)
    session.add(path)
    session.flush()
    task = add_task(
        session, user, course, path_id=path.id, plan_key="k1", topic_ids=[str(topic.id)]
    )
    block = CalendarBlock(
        user_id=user.id,
        study_task_id=task.id,
        google_event_id="sp0123456789abcdef",
        start_time=task.scheduled_start,
        end_time=task.scheduled_end,
    )
    page = NotionTask(user_id=user.id, study_task_id=task.id, notion_properties={"Status": "To do"})
    session.add_all([block, page])
    reload(session, block)

    perf = session.scalars(select(PerformanceRecord).where(PerformanceRecord.user_id == user.id))
    assert perf.one().topic_breakdown == {str(topic.id): {"correct": 4, "total": 5}}
    mastery = session.scalars(select(MasteryRecord).where(MasteryRecord.user_id == user.id)).one()
    assert (mastery.trend, mastery.next_review_date) == (Trend.IMPROVING, date(2026, 11, 24))
    assert mastery.fsrs_card == {"state": 2, "stability": 3.1}
    got_task = session.get(type(task), task.id)
    assert got_task is not None and got_task.status is TaskStatus.PENDING
    got_block = session.scalars(
        select(CalendarBlock).where(CalendarBlock.study_task_id == task.id)
    ).one()
    assert got_block.is_dirty and not got_block.is_synced and not got_block.manually_modified
    got_page = session.scalars(select(NotionTask).where(NotionTask.study_task_id == task.id)).one()
    assert got_page.notion_properties == {"Status": "To do"}


def test_sync_bookkeeping_round_trip(session: Session) -> None:
    user = add_user(session)
    run = SyncRun(user_id=user.id, providers=["google", "notion"], counts={"created": 3})
    session.add(run)
    session.flush()
    session.add(
        SyncError(
            user_id=user.id,
            sync_run_id=run.id,
            provider=Provider.NOTION,
            operation="pages.create",
            http_status=529,
            error_code="service_overload",
            message="Notion is overloaded",
            retryable=True,
        )
    )
    reload(session, run)
    got = session.get(SyncRun, run.id)
    assert got is not None and got.outcome is SyncOutcome.RUNNING
    error = session.scalars(select(SyncError).where(SyncError.sync_run_id == run.id)).one()
    assert (error.provider, error.http_status, error.retryable) == (Provider.NOTION, 529, True)


def test_task_events_are_append_only(session: Session) -> None:
    user = add_user(session)
    task = add_task(session, user, add_course(session, user))
    event = TaskEvent(
        task_id=task.id,
        user_id=user.id,
        event_type=TaskEventType.CREATED,
        source=EventSource.PLANNER,
        payload={"why": "new assessment"},
    )
    session.add(event)
    session.flush()
    event.payload = {"why": "rewritten history"}
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()


def test_task_events_cannot_be_deleted(session: Session) -> None:
    user = add_user(session)
    task = add_task(session, user, add_course(session, user))
    event = TaskEvent(
        task_id=task.id, user_id=user.id, event_type=TaskEventType.CREATED, source=EventSource.CLI
    )
    session.add(event)
    session.flush()
    session.delete(event)
    with pytest.raises(AppendOnlyViolation):
        session.flush()
    session.rollback()


# --- constraints ----------------------------------------------------------------------------------


def assert_refused(session: Session, obj: object) -> None:
    session.add(obj)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_email_is_unique(session: Session) -> None:
    add_user(session, email="same@example.edu")
    with pytest.raises(IntegrityError):
        add_user(session, email="same@example.edu")
    session.rollback()


def test_course_end_must_follow_start(session: Session) -> None:
    user = add_user(session)
    with pytest.raises(IntegrityError, match=r"(?i)dates_ordered"):
        add_course(session, user, start_date=date(2026, 9, 1), end_date=date(2026, 9, 1))
    session.rollback()


def test_mastery_is_unique_per_user_and_topic(session: Session) -> None:
    user = add_user(session)
    topic = add_topic(session, add_course(session, user))
    session.add(MasteryRecord(user_id=user.id, topic_id=topic.id, mastery_score=50))
    session.flush()
    assert_refused(session, MasteryRecord(user_id=user.id, topic_id=topic.id, mastery_score=60))


@pytest.mark.parametrize(
    ("field", "value"),
    [("mastery_score", 101.0), ("confidence_interval", 51.0), ("review_interval_days", 0)],
)
def test_mastery_ranges(session: Session, field: str, value: float) -> None:
    user = add_user(session)
    topic = add_topic(session, add_course(session, user))
    record = MasteryRecord(user_id=user.id, topic_id=topic.id)
    setattr(record, field, value)
    assert_refused(session, record)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_hours_per_day", 0.5),
        ("max_hours_per_day", 17.0),
        ("preferred_block_length_min", 10),
        ("preferred_block_length_min", 181),
        ("break_length_min", 4),
        ("break_length_min", 61),
    ],
)
def test_preference_ranges(session: Session, field: str, value: float) -> None:
    user = add_user(session)
    prefs = UserPreferences(user_id=user.id)
    setattr(prefs, field, value)
    assert_refused(session, prefs)


def test_performance_score_cannot_exceed_max(session: Session) -> None:
    user = add_user(session)
    course = add_course(session, user)
    assert_refused(
        session,
        PerformanceRecord(
            user_id=user.id,
            course_id=course.id,
            score=11,
            max_score=10,
            percentage=100,
            time_spent_min=5,
            completed_at=datetime(2026, 11, 1, tzinfo=UTC),
        ),
    )


def test_enum_value_outside_the_list_is_refused_by_the_database(session: Session) -> None:
    user = add_user(session)
    task = add_task(session, user, add_course(session, user))
    # Bypass the ORM's own enum check to prove the CHECK constraint exists in the schema.
    statement = text("UPDATE study_tasks SET task_type = 'napping' WHERE id = :id").bindparams(
        bindparam("id", type_=Uuid())
    )
    with pytest.raises(IntegrityError, match=r"(?i)task_type"):
        session.execute(statement, {"id": task.id})
    session.rollback()


def test_foreign_keys_are_enforced(session: Session) -> None:
    import uuid

    assert_refused(session, StudyPath(user_id=uuid.uuid4(), course_id=uuid.uuid4()))


def test_deleting_a_user_cascades(session: Session) -> None:
    user = add_user(session)
    course = add_course(session, user)
    task = add_task(session, user, course)
    session.add(IntegrationSettings(user_id=user.id))
    session.flush()
    task_id, course_id = task.id, course.id
    session.delete(user)
    session.flush()
    session.expire_all()
    assert session.get(type(task), task_id) is None
    assert session.get(type(course), course_id) is None


def test_feed_url_is_stored_encrypted(session: Session) -> None:
    user = add_user(session)
    secret_url = "https://school.instructure.com/feeds/calendars/user_SECRETTOKEN123.ics"
    feed = AssessmentFeed(user_id=user.id, label="Canvas", url=secret_url)
    session.add(feed)
    session.flush()
    raw: bytes = session.execute(
        select(literal_column("url"))
        .select_from(AssessmentFeed.__table__)
        .where(AssessmentFeed.id == feed.id)
    ).scalar_one()
    assert b"SECRETTOKEN123" not in bytes(raw)
    session.expire_all()
    got = session.get(AssessmentFeed, feed.id)
    assert got is not None and got.url == secret_url
