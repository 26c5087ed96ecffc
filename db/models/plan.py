"""The plan and its mirrors (seed 003): study paths, tasks, their event log, Google blocks and
Notion pages."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.enums import (
    Difficulty,
    PathStatus,
    TaskType,
)
from db.models.base import (
    Base,
    TimestampMixin,
    str_enum,
    time_ordered_uuid,
    user_fk,
    utcnow,
    uuid_pk,
)
from planner.lifecycle import EventSource, TaskEventType, TaskStatus

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
        # The task list's filters (services.history): see migration 0008.
        Index(
            "ix_study_tasks_user_id_status_scheduled_start", "user_id", "status", "scheduled_start"
        ),
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
