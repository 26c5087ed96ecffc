"""SQLAlchemy 2.0 models: every entity of seed 004, plus study paths and the task event log of
seed 003, sync bookkeeping, LMS feeds and worker heartbeats.

Conventions: UUID primary keys; timestamps are aware UTC (`UTCDateTime`); enums are strings with a
CHECK constraint; secrets use `EncryptedString`; constraint names follow `NAMING_CONVENTION` so
migrations are reviewable and identical on SQLite and PostgreSQL. Index names from seed 004 are
kept as written there.
"""

from __future__ import annotations

import os
import threading
import time as clock
import uuid
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from db.enums import (
    AcademicLevel,
    AssessmentStatus,
    AssessmentType,
    Difficulty,
    DifficultyCurve,
    IntegrationHealth,
    PathStatus,
    Provider,
    SyncOutcome,
    TaskType,
    Trend,
)
from db.types import EncryptedString, UTCDateTime
from planner.lifecycle import EventSource, TaskEventType, TaskStatus

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def str_enum(enum_cls: type[StrEnum], name: str) -> Enum:
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


_sequence_lock = threading.Lock()
_last_sequence = 0


def time_ordered_uuid() -> uuid.UUID:
    """A UUID whose order is the order of creation within a process (nanoseconds, bumped on a
    tie), then random bits: events written in one transaction share a timestamp, and a task's
    timeline must still read in the order they happened."""
    global _last_sequence
    with _sequence_lock:
        _last_sequence = max(_last_sequence + 1, clock.time_ns())
        sequence = _last_sequence
    return uuid.UUID(int=(sequence << 64) | int.from_bytes(os.urandom(8), "big"))


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


def user_fk() -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("users.id", ondelete="CASCADE"))


# --- people ---------------------------------------------------------------------------------------


class User(TimestampMixin, Base):
    __tablename__ = "users"
    __table_args__ = (Index("idx_user_email", "email", unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    email: Mapped[str] = mapped_column(String(320))
    # The product has no login of its own (students live in Google Calendar and Notion); the
    # seed's password hash stays optional for a future web app.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(200))
    school_name: Mapped[str | None] = mapped_column(String(200))
    academic_level: Mapped[AcademicLevel] = mapped_column(
        str_enum(AcademicLevel, "academic_level"), default=AcademicLevel.UNDERGRADUATE
    )
    major: Mapped[str | None] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(2), default="en")
    last_login: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    is_verified: Mapped[bool] = mapped_column(default=False)

    preferences: Mapped[UserPreferences | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )
    integration: Mapped[IntegrationSettings | None] = relationship(
        back_populates="user", cascade="all, delete-orphan", uselist=False
    )
    courses: Mapped[list[Course]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )


class UserPreferences(TimestampMixin, Base):
    """One row per user (the seed's 1:N holds no history worth keeping; updates replace it)."""

    __tablename__ = "user_preferences"
    __table_args__ = (
        CheckConstraint("max_hours_per_day >= 1 AND max_hours_per_day <= 16", name="max_hours"),
        CheckConstraint(
            "preferred_block_length_min >= 15 AND preferred_block_length_min <= 180",
            name="block_length",
        ),
        CheckConstraint("break_length_min >= 5 AND break_length_min <= 60", name="break_length"),
        CheckConstraint(
            "min_review_interval_days >= 1 AND min_review_interval_days <= 365",
            name="review_interval",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    max_hours_per_day: Mapped[float] = mapped_column(Float, default=4.0)
    preferred_block_length_min: Mapped[int] = mapped_column(Integer, default=50)
    break_length_min: Mapped[int] = mapped_column(Integer, default=10)
    earliest_start_time: Mapped[time] = mapped_column(Time, default=time(8, 0))
    latest_end_time: Mapped[time] = mapped_column(Time, default=time(22, 0))
    weekly_availability: Mapped[dict[str, Any]] = mapped_column(default=dict)
    difficulty_curve: Mapped[DifficultyCurve] = mapped_column(
        str_enum(DifficultyCurve, "difficulty_curve"), default=DifficultyCurve.BALANCED
    )
    study_mode_preferences: Mapped[dict[str, Any]] = mapped_column(default=dict)
    enable_spaced_repetition: Mapped[bool] = mapped_column(default=True)
    min_review_interval_days: Mapped[int] = mapped_column(Integer, default=1)

    user: Mapped[User] = relationship(back_populates="preferences")


# --- what is studied ------------------------------------------------------------------------------


class Course(TimestampMixin, Base):
    __tablename__ = "courses"
    __table_args__ = (
        Index("idx_course_user_id", "user_id"),
        Index("idx_course_active", "user_id", "is_archived"),
        UniqueConstraint("user_id", "code"),
        CheckConstraint("end_date > start_date", name="dates_ordered"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    name: Mapped[str] = mapped_column(String(200))
    code: Mapped[str] = mapped_column(String(64))
    instructor_name: Mapped[str | None] = mapped_column(String(200))
    credit_hours: Mapped[float] = mapped_column(Float, default=3.0)
    semester: Mapped[str] = mapped_column(String(64))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    description: Mapped[str | None] = mapped_column(Text)
    color: Mapped[str] = mapped_column(String(7), default="#4F46E5")
    is_archived: Mapped[bool] = mapped_column(default=False)
    # False while the student has not entered every assessment yet: the "weights sum to 100"
    # rule is only enforced once the list is declared complete.
    assessments_complete: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship(back_populates="courses")
    topics: Mapped[list[Topic]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Topic.order_index"
    )
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="course", cascade="all, delete-orphan"
    )


class Topic(TimestampMixin, Base):
    __tablename__ = "topics"
    __table_args__ = (
        Index("idx_topic_course_id", "course_id"),
        UniqueConstraint("course_id", "name"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    estimated_difficulty: Mapped[Difficulty] = mapped_column(
        str_enum(Difficulty, "difficulty"), default=Difficulty.MEDIUM
    )
    prerequisite_topic_ids: Mapped[list[Any]] = mapped_column(default=list)
    resource_links: Mapped[list[Any]] = mapped_column(default=list)
    order_index: Mapped[int] = mapped_column(Integer, default=0)

    course: Mapped[Course] = relationship(back_populates="topics")


class Assessment(TimestampMixin, Base):
    __tablename__ = "assessments"
    __table_args__ = (
        Index("idx_assessment_due_date", "course_id", "due_date"),
        UniqueConstraint("course_id", "name"),
        UniqueConstraint("course_id", "external_uid"),
        CheckConstraint("weight_percent >= 0 AND weight_percent <= 100", name="weight_range"),
        CheckConstraint("estimated_duration_min > 0", name="duration_positive"),
        CheckConstraint("max_score > 0", name="max_score_positive"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(300))
    type: Mapped[AssessmentType] = mapped_column(str_enum(AssessmentType, "assessment_type"))
    weight_percent: Mapped[float] = mapped_column(Float)
    due_date: Mapped[datetime]
    estimated_duration_min: Mapped[int] = mapped_column(Integer)
    max_score: Mapped[float] = mapped_column(Float, default=100.0)
    description: Mapped[str | None] = mapped_column(Text)
    is_completed: Mapped[bool] = mapped_column(default=False)
    status: Mapped[AssessmentStatus] = mapped_column(
        str_enum(AssessmentStatus, "assessment_status"), default=AssessmentStatus.ACTIVE
    )
    # The LMS feed's event UID when the assessment came from a feed (upsert key).
    external_uid: Mapped[str | None] = mapped_column(String(512))
    feed_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessment_feeds.id", ondelete="SET NULL")
    )

    course: Mapped[Course] = relationship(back_populates="assessments")
    topic_links: Mapped[list[AssessmentTopic]] = relationship(
        back_populates="assessment", cascade="all, delete-orphan"
    )


class AssessmentTopic(Base):
    __tablename__ = "assessment_topics"
    __table_args__ = (
        UniqueConstraint("assessment_id", "topic_id"),
        Index("ix_assessment_topics_topic_id", "topic_id"),
        CheckConstraint(
            "weight_in_assessment IS NULL OR "
            "(weight_in_assessment >= 0 AND weight_in_assessment <= 100)",
            name="weight_range",
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    assessment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessments.id", ondelete="CASCADE")
    )
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    question_count: Mapped[int | None] = mapped_column(Integer)
    weight_in_assessment: Mapped[float | None] = mapped_column(Float)

    assessment: Mapped[Assessment] = relationship(back_populates="topic_links")


# --- how the student is doing ---------------------------------------------------------------------


class PerformanceRecord(Base):
    __tablename__ = "performance_records"
    __table_args__ = (
        Index("idx_perf_user_course", "user_id", "course_id"),
        Index("idx_perf_assessment", "assessment_id"),
        Index("idx_perf_completed", "user_id", "completed_at"),
        CheckConstraint("score >= 0 AND score <= max_score", name="score_range"),
        CheckConstraint("max_score > 0", name="max_score_positive"),
        CheckConstraint("percentage >= 0 AND percentage <= 100", name="percentage_range"),
        CheckConstraint("time_spent_min > 0", name="time_spent_positive"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL")
    )
    attempt_number: Mapped[int] = mapped_column(Integer, default=1)
    score: Mapped[float] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float)
    percentage: Mapped[float] = mapped_column(Float)
    time_spent_min: Mapped[int] = mapped_column(Integer)
    completed_at: Mapped[datetime]
    topic_breakdown: Mapped[dict[str, Any]] = mapped_column(default=dict)
    question_data: Mapped[list[Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MasteryRecord(TimestampMixin, Base):
    __tablename__ = "mastery_records"
    __table_args__ = (
        Index("idx_mastery_user_topic", "user_id", "topic_id", unique=True),
        Index("idx_mastery_review", "user_id", "next_review_date"),
        CheckConstraint("mastery_score >= 0 AND mastery_score <= 100", name="mastery_range"),
        CheckConstraint(
            "confidence_interval >= 0 AND confidence_interval <= 50", name="confidence_range"
        ),
        CheckConstraint(
            "review_interval_days >= 1 AND review_interval_days <= 365", name="review_interval"
        ),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    topic_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"))
    mastery_score: Mapped[float] = mapped_column(Float, default=0.0)
    confidence_interval: Mapped[float] = mapped_column(Float, default=15.0)
    trend: Mapped[Trend] = mapped_column(str_enum(Trend, "trend"), default=Trend.NEW)
    last_practiced_at: Mapped[datetime | None]
    next_review_date: Mapped[date | None] = mapped_column(Date)
    review_interval_days: Mapped[int] = mapped_column(Integer, default=1)
    practice_count: Mapped[int] = mapped_column(Integer, default=0)
    quiz_count: Mapped[int] = mapped_column(Integer, default=0)
    # FSRS card state (JSON from fsrs.Card.to_dict) for spaced review scheduling.
    fsrs_card: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- the plan and its mirrors ---------------------------------------------------------------------


class StudyPath(TimestampMixin, Base):
    """A student's path through one course: its ordered topics and their progress (seed 003)."""

    __tablename__ = "study_paths"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    status: Mapped[PathStatus] = mapped_column(
        str_enum(PathStatus, "path_status"), default=PathStatus.NOT_STARTED
    )
    current_topic_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("topics.id", ondelete="SET NULL")
    )
    completed_topic_ids: Mapped[list[Any]] = mapped_column(default=list)
    assessment_results: Mapped[dict[str, Any]] = mapped_column(default=dict)
    last_accessed_at: Mapped[datetime | None]


class StudyTask(TimestampMixin, Base):
    __tablename__ = "study_tasks"
    __table_args__ = (
        Index("idx_task_user_status", "user_id", "status"),
        Index("idx_task_scheduled", "user_id", "scheduled_start"),
        Index("idx_task_priority", "user_id", "priority_score"),
        Index("ix_study_tasks_path_id_scheduled_start", "path_id", "scheduled_start"),
        UniqueConstraint("user_id", "plan_key"),
        CheckConstraint(
            "completion_percentage >= 0 AND completion_percentage <= 100", name="completion_range"
        ),
        CheckConstraint("estimated_duration_min > 0", name="duration_positive"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    assessment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("assessments.id", ondelete="SET NULL")
    )
    path_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("study_paths.id", ondelete="SET NULL")
    )
    # The planner's deterministic id for this piece of work: re-planning finds the same row.
    plan_key: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    task_type: Mapped[TaskType] = mapped_column(str_enum(TaskType, "task_type"))
    difficulty: Mapped[Difficulty] = mapped_column(
        str_enum(Difficulty, "difficulty"), default=Difficulty.MEDIUM
    )
    topic_ids: Mapped[list[Any]] = mapped_column(default=list)
    estimated_duration_min: Mapped[int] = mapped_column(Integer)
    scheduled_start: Mapped[datetime | None]
    scheduled_end: Mapped[datetime | None]
    actual_start: Mapped[datetime | None]
    actual_end: Mapped[datetime | None]
    status: Mapped[TaskStatus] = mapped_column(
        str_enum(TaskStatus, "task_status"), default=TaskStatus.PENDING
    )
    completion_percentage: Mapped[float] = mapped_column(Float, default=0.0)
    priority_score: Mapped[float] = mapped_column(Float, default=0.0)
    # A user moved or resized it in Google Calendar or Notion: the planner must not move it.
    is_pinned: Mapped[bool] = mapped_column(default=False)
    calendar_event_id: Mapped[str | None] = mapped_column(String(1024))
    notion_page_id: Mapped[str | None] = mapped_column(String(64))
    expected_mastery_gain: Mapped[float] = mapped_column(Float, default=0.0)
    actual_mastery_gain: Mapped[float | None] = mapped_column(Float)
    # Seed 003's evaluation aggregates, kept on the task when old events are archived.
    score: Mapped[float | None] = mapped_column(Float)
    evaluation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plan_reason: Mapped[str] = mapped_column(Text, default="")


class TaskEvent(Base):
    """Append-only history of a task (seed 003). Rows are never updated; see db.session."""

    __tablename__ = "task_events"
    __table_args__ = (
        Index("ix_task_events_task_id_created_at", "task_id", "created_at"),
        Index("ix_task_events_user_id_created_at", "user_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=time_ordered_uuid)
    task_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("study_tasks.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = user_fk()
    event_type: Mapped[TaskEventType] = mapped_column(str_enum(TaskEventType, "task_event_type"))
    source: Mapped[EventSource] = mapped_column(str_enum(EventSource, "event_source"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TaskEventArchive(Base):
    """Events older than the retention period, moved here by the archive task (seed 003 §6).
    Same columns as task_events; no foreign key to the task, so the history outlives it."""

    __tablename__ = "task_events_archive"
    __table_args__ = (Index("ix_task_events_archive_task_id_created_at", "task_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    task_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID] = user_fk()
    event_type: Mapped[TaskEventType] = mapped_column(str_enum(TaskEventType, "task_event_type"))
    source: Mapped[EventSource] = mapped_column(str_enum(EventSource, "event_source"))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime]


class CalendarBlock(TimestampMixin, Base):
    __tablename__ = "calendar_blocks"
    __table_args__ = (
        Index("idx_calendar_user_time", "user_id", "start_time"),
        Index("idx_calendar_event", "google_event_id"),
        Index("ix_calendar_blocks_user_id_is_dirty", "user_id", "is_dirty"),
        UniqueConstraint("study_task_id"),
        CheckConstraint("end_time > start_time", name="times_ordered"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    study_task_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("study_tasks.id", ondelete="SET NULL")
    )
    google_calendar_id: Mapped[str | None] = mapped_column(String(1024))
    # Derived from our id (base32hex), so an insert can be retried without duplicates.
    google_event_id: Mapped[str | None] = mapped_column(String(1024))
    google_etag: Mapped[str | None] = mapped_column(String(128))
    # Hash of what we last pushed: an event coming back with this hash is our own write.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    start_time: Mapped[datetime]
    end_time: Mapped[datetime]
    is_synced: Mapped[bool] = mapped_column(default=False)
    is_dirty: Mapped[bool] = mapped_column(default=True)
    # The plan dropped it: delete remotely, then the row goes.
    pending_delete: Mapped[bool] = mapped_column(default=False)
    # The user deleted the event: never recreate it.
    is_tombstoned: Mapped[bool] = mapped_column(default=False)
    last_sync_at: Mapped[datetime | None]
    sync_error: Mapped[str | None] = mapped_column(Text)
    manually_modified: Mapped[bool] = mapped_column(default=False)


class NotionTask(TimestampMixin, Base):
    __tablename__ = "notion_tasks"
    __table_args__ = (
        UniqueConstraint("study_task_id"),
        Index("ix_notion_tasks_notion_page_id", "notion_page_id"),
        Index("ix_notion_tasks_user_id_is_dirty", "user_id", "is_dirty"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    study_task_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("study_tasks.id", ondelete="CASCADE")
    )
    notion_database_id: Mapped[str | None] = mapped_column(String(64))
    notion_page_id: Mapped[str | None] = mapped_column(String(64))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    is_synced: Mapped[bool] = mapped_column(default=False)
    is_dirty: Mapped[bool] = mapped_column(default=True)
    pending_trash: Mapped[bool] = mapped_column(default=False)
    is_trashed: Mapped[bool] = mapped_column(default=False)
    last_sync_at: Mapped[datetime | None]
    last_remote_edit_at: Mapped[datetime | None]
    sync_error: Mapped[str | None] = mapped_column(Text)
    notion_properties: Mapped[dict[str, Any]] = mapped_column(default=dict)


class IntegrationSettings(TimestampMixin, Base):
    __tablename__ = "integration_settings"
    __table_args__ = (
        CheckConstraint(
            "auto_sync_interval_min >= 1 AND auto_sync_interval_min <= 1440", name="sync_interval"
        ),
        Index("ix_integration_settings_last_sync_at", "last_sync_at"),
        Index("ix_integration_settings_next_sync_at", "next_sync_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    google_calendar_enabled: Mapped[bool] = mapped_column(default=False)
    google_access_token: Mapped[str | None] = mapped_column(EncryptedString)
    google_refresh_token: Mapped[str | None] = mapped_column(EncryptedString)
    google_token_expiry: Mapped[datetime | None]
    google_calendar_id: Mapped[str | None] = mapped_column(String(1024))
    google_monitored_calendars: Mapped[list[Any]] = mapped_column(default=list)
    google_sync_token: Mapped[str | None] = mapped_column(String(1024))
    google_health: Mapped[IntegrationHealth] = mapped_column(
        str_enum(IntegrationHealth, "google_health"), default=IntegrationHealth.OK
    )
    notion_enabled: Mapped[bool] = mapped_column(default=False)
    notion_access_token: Mapped[str | None] = mapped_column(EncryptedString)
    notion_database_id: Mapped[str | None] = mapped_column(String(64))
    notion_data_source_id: Mapped[str | None] = mapped_column(String(64))
    notion_two_way_sync: Mapped[bool] = mapped_column(default=False)
    notion_property_map: Mapped[dict[str, Any]] = mapped_column(default=dict)
    notion_watermark: Mapped[datetime | None]
    notion_health: Mapped[IntegrationHealth] = mapped_column(
        str_enum(IntegrationHealth, "notion_health"), default=IntegrationHealth.OK
    )
    auto_sync_interval_min: Mapped[int] = mapped_column(Integer, default=15)
    last_sync_at: Mapped[datetime | None]
    # Dispatch cursor: beat enqueues a sync when this is due and moves it one interval ahead,
    # so a sync waiting in the queue is not enqueued again a minute later.
    next_sync_at: Mapped[datetime | None]
    # The database fallback of the per-user sync lock (Redis is used when configured): a lease
    # that expires on its own if the worker holding it dies.
    sync_lock_owner: Mapped[str | None] = mapped_column(String(255))
    sync_lock_expires_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="integration")


class AssessmentFeed(TimestampMixin, Base):
    """An LMS calendar feed (Canvas, Moodle, Blackboard). Its URL holds a secret token."""

    __tablename__ = "assessment_feeds"
    __table_args__ = (Index("ix_assessment_feeds_user_id", "user_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    label: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(EncryptedString)
    default_course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("courses.id", ondelete="SET NULL")
    )
    is_enabled: Mapped[bool] = mapped_column(default=True)
    last_fetched_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


# --- operations -----------------------------------------------------------------------------------


class SyncRun(Base):
    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_user_id_started_at", "user_id", "started_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    providers: Mapped[list[Any]] = mapped_column(default=list)
    trigger: Mapped[str] = mapped_column(String(32), default="schedule")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[SyncOutcome] = mapped_column(
        str_enum(SyncOutcome, "sync_outcome"), default=SyncOutcome.RUNNING
    )
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # What the student would want to know: the edits reconciled and the work at risk.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SyncError(Base):
    __tablename__ = "sync_errors"
    __table_args__ = (
        Index("ix_sync_errors_user_id_created_at", "user_id", "created_at"),
        Index("ix_sync_errors_sync_run_id", "sync_run_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    sync_run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sync_runs.id", ondelete="SET NULL")
    )
    provider: Mapped[Provider] = mapped_column(str_enum(Provider, "provider"))
    operation: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(1024))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error_code: Mapped[str | None] = mapped_column(String(128))
    message: Mapped[str] = mapped_column(Text)
    retryable: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]


class WorkerHeartbeat(Base):
    """Written by the periodic heartbeat task: proves beat → broker → worker → database works."""

    __tablename__ = "worker_heartbeats"

    hostname: Mapped[str] = mapped_column(String(255), primary_key=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    beats: Mapped[int] = mapped_column(Integer, default=0)
