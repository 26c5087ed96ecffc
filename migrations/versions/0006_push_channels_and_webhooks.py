"""push: Google watch channels, the per-student debounce row, the Notion webhook secret and
handled Notion event ids

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "push_channels",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("calendar_id", sa.String(length=1024), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.String(length=255), nullable=True),
        sa.Column("token", sa.LargeBinary(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_message_number", sa.BigInteger(), nullable=True),
        sa.Column("last_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("echo_expected_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "active",
                "stopped",
                "failed",
                name="channel_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("status_reason", sa.Text(), nullable=True),
        *_stamps(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_push_channels_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_channels")),
        sa.UniqueConstraint("channel_id", name=op.f("uq_push_channels_channel_id")),
    )
    with op.batch_alter_table("push_channels", schema=None) as batch_op:
        batch_op.create_index(
            "ix_push_channels_status_expires_at", ["status", "expires_at"], unique=False
        )
        batch_op.create_index(
            "ix_push_channels_user_id_calendar_id", ["user_id", "calendar_id"], unique=False
        )

    op.create_table(
        "sync_requests",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("first_requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("lock_retries", sa.Integer(), nullable=False),
        sa.Column("last_reason", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_sync_requests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_sync_requests")),
    )

    op.create_table(
        "webhook_secrets",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refused_count", sa.Integer(), nullable=False),
        sa.Column("last_refused_at", sa.DateTime(timezone=True), nullable=True),
        *_stamps(),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_webhook_secrets")),
    )

    op.create_table(
        "notion_webhook_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_notion_webhook_events")),
    )
    with op.batch_alter_table("notion_webhook_events", schema=None) as batch_op:
        batch_op.create_index("ix_notion_webhook_events_received_at", ["received_at"], unique=False)

    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        batch_op.create_index(
            "ix_integration_settings_notion_data_source_id",
            ["notion_data_source_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        batch_op.drop_index("ix_integration_settings_notion_data_source_id")
    op.drop_table("notion_webhook_events")
    op.drop_table("webhook_secrets")
    op.drop_table("sync_requests")
    op.drop_table("push_channels")
