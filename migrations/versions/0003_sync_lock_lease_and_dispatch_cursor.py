"""sync lock lease and dispatch cursor

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 00:11:14.975286
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("sync_lock_owner", sa.String(length=255), nullable=True))
        batch_op.add_column(
            sa.Column("sync_lock_expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.create_index(
            "ix_integration_settings_next_sync_at", ["next_sync_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        batch_op.drop_index("ix_integration_settings_next_sync_at")
        batch_op.drop_column("sync_lock_expires_at")
        batch_op.drop_column("sync_lock_owner")
        batch_op.drop_column("next_sync_at")
