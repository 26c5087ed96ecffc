"""the student's browser pages: sign-in links, web sessions, OAuth states; Notion workspace and bot
ids and Google's granted scopes on the integration

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=op.f(f"fk_{table}_user_id_users"), ondelete="CASCADE"
    )


def upgrade() -> None:
    op.create_table(
        "signin_links",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        _user_fk("signin_links"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signin_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_signin_links_token_hash")),
    )
    op.create_index("ix_signin_links_user_id", "signin_links", ["user_id"], unique=False)
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("origin IN ('invite', 'jwt')", name=op.f("ck_web_sessions_origin")),
        _user_fk("web_sessions"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"], unique=False)
    op.create_table(
        "oauth_states",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("nonce_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("redirect_uri", sa.String(length=1024), nullable=False),
        sa.Column("code_verifier", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "provider IN ('google', 'notion')", name=op.f("ck_oauth_states_provider")
        ),
        _user_fk("oauth_states"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_states")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_oauth_states_nonce_hash")),
    )
    op.create_index("ix_oauth_states_user_id", "oauth_states", ["user_id"], unique=False)
    op.create_index("ix_oauth_states_expires_at", "oauth_states", ["expires_at"], unique=False)
    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("notion_workspace_id", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("notion_workspace_name", sa.String(length=200), nullable=True)
        )
        batch_op.add_column(sa.Column("notion_bot_id", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("notion_refresh_token", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("google_granted_scopes", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("integration_settings", schema=None) as batch_op:
        batch_op.drop_column("google_granted_scopes")
        batch_op.drop_column("notion_refresh_token")
        batch_op.drop_column("notion_bot_id")
        batch_op.drop_column("notion_workspace_name")
        batch_op.drop_column("notion_workspace_id")
    op.drop_index("ix_oauth_states_expires_at", table_name="oauth_states")
    op.drop_index("ix_oauth_states_user_id", table_name="oauth_states")
    op.drop_table("oauth_states")
    op.drop_index("ix_web_sessions_user_id", table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_signin_links_user_id", table_name="signin_links")
    op.drop_table("signin_links")
