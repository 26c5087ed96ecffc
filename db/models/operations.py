"""Integration settings, LMS feeds and what admins watch: sync runs, sync errors, heartbeats."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from db.enums import (
    IntegrationHealth,
    Provider,
    SyncOutcome,
)
from db.models.base import (
    Base,
    TimestampMixin,
    str_enum,
    user_fk,
    utcnow,
    uuid_pk,
)
from db.types import EncryptedString

if TYPE_CHECKING:
    from db.models.catalog import User


class IntegrationSettings(TimestampMixin, Base):
    __tablename__ = "integration_settings"
    __table_args__ = (
        CheckConstraint(
            "auto_sync_interval_min >= 1 AND auto_sync_interval_min <= 1440", name="sync_interval"
        ),
        Index("ix_integration_settings_last_sync_at", "last_sync_at"),
        Index("ix_integration_settings_next_sync_at", "next_sync_at"),
        # A Notion webhook event names a data source: which student's it is.
        Index("ix_integration_settings_notion_data_source_id", "notion_data_source_id"),
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
    # Set when the student connected Notion through OAuth (a public integration): the bot and
    # workspace the token belongs to, and a refresh token if Notion ever sends one.
    notion_workspace_id: Mapped[str | None] = mapped_column(String(64))
    notion_workspace_name: Mapped[str | None] = mapped_column(String(200))
    notion_bot_id: Mapped[str | None] = mapped_column(String(64))
    notion_refresh_token: Mapped[str | None] = mapped_column(EncryptedString)
    # The scopes Google granted (granular consent may grant fewer than we asked for).
    google_granted_scopes: Mapped[list[Any] | None]
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

    @property
    def notion_data_source(self) -> str | None:
        """The data source our pages live in: the one the schema was prepared for (the property
        map is what every Notion call is built from, so it is the one source of truth)."""
        return (self.notion_property_map or {}).get("data_source_id")


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
