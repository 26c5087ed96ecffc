"""SQL statements per user sync: a small, fixed budget that does not grow with the tasks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, event, select

from db.models import Course
from db.session import session_scope
from services.catalog import upsert_assessment
from services.schemas import AssessmentIn
from tests.integration.sync.conftest import Student

BUDGET = 15  # issue 7's target, the database lease lock included


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    with counting_text(engine) as statements:
        yield statements


def no_op_statements(student: Student) -> int:
    student.sync()
    with counting(student.engine) as statements:
        report = student.sync()
    assert report.counts.get("google_writes", 0) == 0
    return len(statements)


def test_a_no_op_sync_stays_within_the_budget_whatever_the_number_of_tasks(
    student: Student,
) -> None:
    few = no_op_statements(student)
    assert few <= BUDGET
    with session_scope(student.engine) as session:
        course = session.scalars(select(Course).where(Course.user_id == student.user_id)).one()
        now = datetime.now(UTC)
        for index in range(4):
            upsert_assessment(
                session,
                course,
                AssessmentIn(
                    name=f"Extra {index}",
                    type="assignment",
                    weight_percent=5,
                    due_date=now + timedelta(days=4 + index),
                    estimated_duration_min=150,
                    topic_weights={"Limits": 100},
                ),
            )
    many = no_op_statements(student)
    assert many == few


def test_a_sync_reads_the_task_rows_once(student: Student) -> None:
    """The rows the reconcile step compares are the ones the planner's inputs come from."""
    student.sync()
    with counting_text(student.engine) as statements:
        student.sync()
    task_reads = [s for s in statements if s.startswith("SELECT") and "FROM study_tasks" in s]
    assert len(task_reads) == 1, task_reads


@contextmanager
def counting_text(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
