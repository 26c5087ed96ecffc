"""What Notion calls cost and what a lost answer leaves behind, over the real pipeline: a first
sync looks nothing up, a create whose outcome was never recorded is looked up (never created
twice), and every transient failure is recorded, also when the sync recovered from it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import select

from db.enums import IntegrationHealth, Provider, SyncOutcome
from db.models import IntegrationSettings, NotionTask, SyncError, SyncRun
from db.session import session_scope
from services.sync.providers import notion_client
from services.sync.push import CREATE_IN_FLIGHT, push_notion
from tests.integration.notion.helpers import page_text
from tests.integration.sync.conftest import Student


def live_pages_by_task(student: Student) -> Counter[str]:
    pages = student.notion.admin.pages(
        data_source_id=student.workspace.data_source_id, include_trashed=False
    )
    return Counter(page_text(p, "Task ID") for p in pages)


def page_rows(student: Student) -> list[NotionTask]:
    with session_scope(student.engine) as s:
        return list(s.scalars(select(NotionTask).where(NotionTask.user_id == student.user_id)))


def sync_errors(student: Student) -> list[SyncError]:
    with session_scope(student.engine) as s:
        return list(s.scalars(select(SyncError).where(SyncError.user_id == student.user_id)))


def integration_row(student: Student) -> IntegrationSettings:
    with session_scope(student.engine) as s:
        row = s.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == student.user_id)
        ).one()
        s.expunge(row)
        return row


def push_pages(student: Student) -> None:
    """The push step alone, as a worker runs it (no pull before it)."""
    with notion_client(student.settings, integration_row(student)) as client:
        push_notion(
            student.engine,
            client,
            student.user_id,
            student.workspace.data_source_id,
            now=datetime.now(UTC),
        )


def test_a_first_sync_of_n_pages_costs_at_most_n_plus_two_notion_calls(student: Student) -> None:
    student.notion.admin.reset_counters()
    report = student.sync()
    assert report.outcome is SyncOutcome.OK, [e.text() for e in report.errors]
    created = student.notion.admin.count("POST /v1/pages")
    assert created == report.counts["notion_writes"] > 0
    assert set(live_pages_by_task(student).values()) == {1}
    # The changes query of the pull, then one create per page: no lookup by Task ID.
    assert student.notion.admin.queries() == 1
    assert student.notion.admin.total_requests() <= created + 2


def test_a_create_left_in_flight_by_a_killed_worker_is_looked_up_not_duplicated(
    student: Student,
) -> None:
    student.sync()
    rows = page_rows(student)
    victim = rows[0]
    # The worker died after Notion created the page and before the page id was written back.
    with session_scope(student.engine) as s:
        row = s.get(NotionTask, victim.id)
        assert row is not None
        row.notion_page_id, row.is_synced, row.is_dirty = None, False, True
        row.sync_error = CREATE_IN_FLIGHT
    student.notion.admin.reset_counters()
    push_pages(student)
    assert student.notion.admin.count("POST /v1/pages") == 0
    assert student.notion.admin.queries() == 1  # the lookup of the one unconfirmed create
    again = {r.id: r for r in page_rows(student)}[victim.id]
    assert again.notion_page_id == victim.notion_page_id and again.sync_error is None
    assert set(live_pages_by_task(student).values()) == {1}


def test_a_create_whose_lookup_failed_stays_in_flight_and_is_looked_up_next_time(
    student: Student,
) -> None:
    """The reply is lost (504 after the write landed) and the lookup that should settle it fails
    too: the page may exist, so the next push must look it up again before creating."""
    student.sync()
    victim = page_rows(student)[0]
    assert victim.notion_page_id
    student.notion.admin.trash(victim.notion_page_id)  # out of the way: one live page per task
    with session_scope(student.engine) as s:
        row = s.get(NotionTask, victim.id)
        assert row is not None
        row.notion_page_id, row.is_synced, row.is_dirty, row.sync_error = None, False, True, None
    student.notion.admin.lose_next_create(mode="504")
    student.notion.admin.inject(503, method="POST", path="/query$")
    push_pages(student)
    failed = {r.id: r for r in page_rows(student)}[victim.id]
    assert failed.notion_page_id is None and (failed.sync_error or "").startswith(CREATE_IN_FLIGHT)
    assert live_pages_by_task(student)[str(victim.study_task_id)] == 1  # the lost create landed

    student.notion.admin.clear_faults()
    student.notion.admin.reset_counters()
    push_pages(student)
    assert student.notion.admin.count("POST /v1/pages") == 0  # adopted, not created again
    healed = {r.id: r for r in page_rows(student)}[victim.id]
    assert healed.notion_page_id and healed.sync_error is None and not healed.is_dirty
    assert set(live_pages_by_task(student).values()) == {1}


def test_a_lost_create_reply_is_recovered_and_recorded(student: Student) -> None:
    student.notion.admin.lose_next_create(mode="504")
    report = student.sync()
    assert report.outcome is SyncOutcome.OK, [e.text() for e in report.errors]
    assert set(live_pages_by_task(student).values()) == {1}  # adopted, no duplicate
    lost = [e for e in sync_errors(student) if e.http_status == 504]
    assert len(lost) == 1, [(e.operation, e.http_status, e.message) for e in sync_errors(student)]
    row = lost[0]
    assert row.provider is Provider.NOTION and row.operation == "create_page"
    assert row.error_code == "gateway_timeout" and row.retryable
    assert row.sync_run_id == report.run_id
    assert row.resolved_at is not None  # recovered: not an open problem
    assert row.object_id in {str(r.id) for r in page_rows(student)}
    assert "recovered" in row.message
    assert integration_row(student).notion_health is IntegrationHealth.OK
    with session_scope(student.engine) as s:
        run = s.get(SyncRun, report.run_id)
        assert run is not None and run.outcome is SyncOutcome.OK


def test_a_rate_limit_the_client_library_retried_is_recorded(student: Student) -> None:
    student.notion.admin.inject(429, method="POST", path="/query$", retry_after_s=0)
    report = student.sync()
    assert report.outcome is SyncOutcome.OK, [e.text() for e in report.errors]
    limited = [e for e in sync_errors(student) if e.http_status == 429]
    assert [(e.operation, e.error_code, e.resolved_at is not None) for e in limited] == [
        ("query_changes", "rate_limited", True)
    ]
    assert integration_row(student).notion_health is IntegrationHealth.OK


def test_a_failure_that_stuck_is_recorded_once_and_stays_open(student: Student) -> None:
    student.notion.admin.inject(503, method="POST", path="^/v1/pages$", count=1)
    student.notion.admin.inject(400, method="POST", path="^/v1/pages$", count=1)
    report = student.sync()
    assert report.outcome is SyncOutcome.PARTIAL
    rows = sync_errors(student)
    # The 503 was recovered (the lookup found nothing, the create was sent again, got 400).
    assert sorted((e.http_status, e.resolved_at is None) for e in rows) == [
        (400, True),
        (503, False),
    ]


def test_a_clean_sync_closes_the_passing_failures_of_earlier_runs(student: Student) -> None:
    student.notion.admin.inject(503, method="POST", path="/query$", count=50)
    failed = student.sync()
    assert failed.outcome is not SyncOutcome.OK
    opened = [e for e in sync_errors(student) if e.resolved_at is None]
    assert opened and all(e.retryable for e in opened)

    student.notion.admin.clear_faults()
    clean = student.sync()
    assert clean.outcome is SyncOutcome.OK, [e.text() for e in clean.errors]
    assert [e for e in sync_errors(student) if e.resolved_at is None] == []
    assert {e.id for e in opened} <= {e.id for e in sync_errors(student)}  # kept, as history
