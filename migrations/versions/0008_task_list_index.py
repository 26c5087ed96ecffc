"""the task list's index: a student's tasks of one status by scheduled start

`GET /v1/users/{id}/tasks` filters on the user, usually a status and often a date range. With
(user_id, status) alone PostgreSQL fetches every task of that status and filters the dates on
the table rows; with the start in the index it reads only the rows inside the range.

Not (…, scheduled_start DESC NULLS LAST, id), which would also give the list's order: an
expression index cannot be compared with the models on SQLite (`migrate.check`), and once the
range is applied the rows left to sort are about a page.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_study_tasks_user_id_status_scheduled_start"


def upgrade() -> None:
    with op.batch_alter_table("study_tasks") as batch_op:
        batch_op.create_index(INDEX, ["user_id", "status", "scheduled_start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("study_tasks") as batch_op:
        batch_op.drop_index(INDEX)
