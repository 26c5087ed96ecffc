"""Push: Google watch channels, the per-student debounce row, the Notion webhook secret and
the Notion event ids already handled (webhooks are delivered at least once)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.enums import ChannelStatus
from db.models.base import Base, TimestampMixin, str_enum, user_fk, utcnow, uuid_pk
from db.types import EncryptedString


class PushChannel(TimestampMixin, Base):
    """One Google `events.watch` channel on one calendar of one student. A renewal is a new
    row (Google never renews a channel); the old one is stopped once the new one is active."""

    __tablename__ = "push_channels"
    __table_args__ = (
        Index("ix_push_channels_user_id_calendar_id", "user_id", "calendar_id"),
        Index("ix_push_channels_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = user_fk()
    calendar_id: Mapped[str] = mapped_column(String(1024))
    # Ours, random, unique, at most 64 characters (Google's limit): what Google echoes back
    # in X-Goog-Channel-ID and what the receiver looks the channel up by.
    channel_id: Mapped[str] = mapped_column(String(64), unique=True)
    resource_id: Mapped[str | None] = mapped_column(String(255))
    # The per-channel secret Google returns in X-Goog-Channel-Token.
    token: Mapped[str] = mapped_column(EncryptedString)
    expires_at: Mapped[datetime | None]
    last_message_number: Mapped[int | None] = mapped_column(BigInteger)
    last_notified_at: Mapped[datetime | None]
    # When our own sync started changing this calendar: Google must notify us of that change
    # (a notification after this instant) within a grace period, or the channel is silent
    # (dead) and the student falls back to polling.
    echo_expected_since: Mapped[datetime | None]
    status: Mapped[ChannelStatus] = mapped_column(
        str_enum(ChannelStatus, "channel_status"), default=ChannelStatus.PENDING
    )
    status_reason: Mapped[str | None] = mapped_column(Text)


class SyncRequest(Base):
    """A student's pending push-triggered sync: one row per student while a burst of
    notifications is being coalesced into one sync."""

    __tablename__ = "sync_requests"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    first_requested_at: Mapped[datetime]
    due_at: Mapped[datetime]
    # first_requested_at + the storm cap: due_at never moves past it, so a storm that never
    # pauses still gets its sync.
    latest_due_at: Mapped[datetime]
    scheduled: Mapped[bool] = mapped_column(default=False)
    count: Mapped[int] = mapped_column(Integer, default=1)
    # Consecutive syncs of this burst that found another sync holding the lock.
    lock_retries: Mapped[int] = mapped_column(Integer, default=0)
    last_reason: Mapped[str] = mapped_column(String(32), default="")


class WebhookSecret(TimestampMixin, Base):
    """A deployment-wide webhook secret, e.g. Notion's verification token (one per provider)."""

    __tablename__ = "webhook_secrets"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret: Mapped[str] = mapped_column(EncryptedString)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The first correctly signed event: proof the admin activated the subscription.
    first_event_at: Mapped[datetime | None]
    last_event_at: Mapped[datetime | None]
    # A different token offered later is refused, not silently taken: counted for the admin.
    refused_count: Mapped[int] = mapped_column(Integer, default=0)
    last_refused_at: Mapped[datetime | None]


class NotionWebhookEvent(Base):
    """An event id already handled; kept for the retention window, then pruned."""

    __tablename__ = "notion_webhook_events"
    __table_args__ = (Index("ix_notion_webhook_events_received_at", "received_at"),)

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
