"""task events may come from the HTTP API

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 11:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("task_events", "task_events_archive")
BEFORE = ("planner", "google", "notion", "cli", "system")
AFTER = (*BEFORE, "api")


def _allow(sources: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{s}'" for s in sources)
    for table in TABLES:
        # SQLite cannot alter a CHECK constraint: batch mode rebuilds the table with the new one.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_event_source"), type_="check")
            batch_op.create_check_constraint("event_source", f"source IN ({listed})")


def upgrade() -> None:
    _allow(AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM task_events_archive WHERE source = 'api'")
    _allow(BEFORE)
