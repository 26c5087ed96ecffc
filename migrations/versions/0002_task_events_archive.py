"""task events archive

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 00:05:57.335414
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "task_events_archive",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("task_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column(
            "event_type",
            sa.Enum(
                "created",
                "scheduled",
                "rescheduled",
                "started",
                "submitted",
                "evaluated",
                "status_changed",
                "synced",
                "conflict",
                "reopened",
                name="task_event_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "source",
            sa.Enum(
                "planner",
                "google",
                "notion",
                "cli",
                "system",
                name="event_source",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_task_events_archive_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_events_archive")),
    )
    with op.batch_alter_table("task_events_archive", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_events_archive_task_id_created_at", ["task_id", "created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("task_events_archive", schema=None) as batch_op:
        batch_op.drop_index("ix_task_events_archive_task_id_created_at")

    op.drop_table("task_events_archive")
