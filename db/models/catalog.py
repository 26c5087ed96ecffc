"""What the student studies and how they are doing (seed 004): people, courses, topics,
assessments, results, mastery."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.enums import (
    AcademicLevel,
    AssessmentStatus,
    AssessmentType,
    Difficulty,
    DifficultyCurve,
    Trend,
)
from db.models.base import (
    Base,
    TimestampMixin,
    str_enum,
    user_fk,
    utcnow,
    uuid_pk,
)

if TYPE_CHECKING:
    from db.models.operations import IntegrationSettings


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
