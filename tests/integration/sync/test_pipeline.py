"""The whole sync of one student against both emulators, through the real clients and the real
database: cold push, no-op, the student's edits in Google and in Notion, conflicts, faults."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from db.enums import IntegrationHealth, Provider, SyncOutcome
from db.models import (
    CalendarBlock,
    IntegrationSettings,
    NotionTask,
    StudyTask,
    SyncError,
    SyncRun,
    TaskEvent,
)
from db.session import session_scope
from planner.lifecycle import EventSource, TaskEventType, TaskStatus
from tests.integration.sync.conftest import Student


def calendar_id(student: Student) -> str:
    with session_scope(student.engine) as s:
        row = s.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == student.user_id)
        ).one()
        assert row.google_calendar_id
        return row.google_calendar_id


def live_events(student: Student) -> list[dict[str, Any]]:
    events = student.google.admin.events(calendar_id(student))
    return [e for e in events if e.get("status") != "cancelled"]


def live_pages(student: Student) -> list[dict[str, Any]]:
    pages = student.notion.admin.pages(data_source_id=student.workspace.data_source_id)
    return [p for p in pages if not p.get("in_trash")]


def tasks(student: Student) -> dict[uuid.UUID, StudyTask]:
    with session_scope(student.engine) as s:
        return {
            t.id: t
            for t in s.scalars(select(StudyTask).where(StudyTask.user_id == student.user_id))
        }


def block_of(student: Student, task_id: uuid.UUID) -> CalendarBlock | None:
    with session_scope(student.engine) as s:
        return s.scalars(
            select(CalendarBlock).where(CalendarBlock.study_task_id == task_id)
        ).first()


def page_of(student: Student, task_id: uuid.UUID) -> NotionTask:
    with session_scope(student.engine) as s:
        return s.scalars(select(NotionTask).where(NotionTask.study_task_id == task_id)).one()


def scheduled(student: Student) -> list[StudyTask]:
    return sorted(
        (t for t in tasks(student).values() if t.status is TaskStatus.SCHEDULED),
        key=lambda t: (t.scheduled_start, str(t.id)),
    )


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def event_start(event: dict[str, Any]) -> datetime:
    return iso(event["start"]["dateTime"])


def test_cold_push_then_a_second_sync_writes_nothing(student: Student) -> None:
    first = student.sync()
    assert first.outcome is SyncOutcome.OK, [e.text() for e in first.errors]
    planned = scheduled(student)
    assert planned and first.counts["tasks_create"] == len(planned)
    assert len(live_events(student)) == len(planned) == len(live_pages(student))
    ours = {e["id"] for e in live_events(student)}
    assert all(block_of(student, t.id).google_event_id in ours for t in planned)  # type: ignore[union-attr]

    google_writes, notion_writes = student.google.admin.writes(), student.notion.admin.writes()
    student.google.admin.reset_counters()
    second = student.sync()
    assert second.counts.get("google_writes", 0) == 0 and second.counts.get("notion_writes", 0) == 0
    assert student.google.admin.writes() == 0
    assert student.notion.admin.writes() == notion_writes  # no new writes
    assert second.counts.get("reconciled") == 0
    counters = student.google.admin.counters()
    assert counters.get("events.list", 0) == 1 and counters.get("events.insert", 0) == 0
    assert google_writes >= len(planned)


def test_student_moves_a_block_in_google(student: Student) -> None:
    student.sync()
    before = {t.id: (t.scheduled_start, t.scheduled_end) for t in scheduled(student)}
    moved = scheduled(student)[0]
    block = block_of(student, moved.id)
    assert block is not None and block.google_event_id
    assert moved.scheduled_start is not None
    new_start = moved.scheduled_start + timedelta(hours=1, minutes=30)
    new_end = new_start + timedelta(minutes=moved.estimated_duration_min)
    student.google.admin.move_event(calendar_id(student), block.google_event_id, new_start, new_end)

    report = student.sync()
    assert report.outcome is SyncOutcome.OK, [e.text() for e in report.errors]
    after = tasks(student)
    assert after[moved.id].is_pinned
    assert (after[moved.id].scheduled_start, after[moved.id].scheduled_end) == (new_start, new_end)
    assert block_of(student, moved.id).manually_modified  # type: ignore[union-attr]
    others_moved = [
        tid
        for tid, span in before.items()
        if tid != moved.id and (after[tid].scheduled_start, after[tid].scheduled_end) != span
    ]
    assert others_moved == [] or all(after[t].scheduled_start for t in others_moved)
    page = next(
        p for p in live_pages(student) if p["id"] == page_of(student, moved.id).notion_page_id
    )
    assert iso(page["properties"]["Scheduled"]["date"]["start"]) == new_start
    # and it stays: a third sync changes nothing
    again = student.sync()
    assert again.counts.get("google_writes", 0) == 0 and again.counts.get("reconciled") == 0


def test_student_deletes_a_block_in_google_and_it_never_comes_back(student: Student) -> None:
    student.sync()
    victim = scheduled(student)[0]
    event_id = block_of(student, victim.id).google_event_id  # type: ignore[union-attr]
    assert event_id
    student.google.admin.delete_event(calendar_id(student), event_id)
    report = student.sync()
    assert report.outcome is SyncOutcome.OK, [e.text() for e in report.errors]
    assert tasks(student)[victim.id].status is TaskStatus.SKIPPED
    assert block_of(student, victim.id).is_tombstoned  # type: ignore[union-attr]
    for _ in range(2):
        student.sync()
        event = student.google.admin.get_event(calendar_id(student), event_id)
        assert event is not None and event["status"] == "cancelled"
    page = page_of(student, victim.id)
    remote = next(p for p in student.notion.admin.pages() if p["id"] == page.notion_page_id)
    assert remote["properties"]["Status"]["status"]["name"] == "Skipped"
    with session_scope(student.engine) as s:
        events = s.scalars(select(TaskEvent).where(TaskEvent.task_id == victim.id)).all()
        assert any(
            e.source is EventSource.GOOGLE and e.payload.get("to") == "skipped" for e in events
        )


def test_done_in_notion_completes_the_task_and_frees_its_google_block(student: Student) -> None:
    student.sync()
    done = scheduled(student)[-1]
    page = page_of(student, done.id)
    student.notion.admin.set_status(page.notion_page_id or "", "Done")
    report = student.sync()
    assert report.outcome is SyncOutcome.OK, [e.text() for e in report.errors]
    task = tasks(student)[done.id]
    assert task.status is TaskStatus.COMPLETED and task.actual_end is not None
    assert block_of(student, done.id) is None  # deleted in Google, row gone
    assert all(e["id"] != f"{done.id}" for e in live_events(student))
    assert len(live_events(student)) == len(scheduled(student))


def test_date_moved_in_notion_moves_the_google_event(student: Student) -> None:
    student.sync()
    task = scheduled(student)[1]
    page = page_of(student, task.id)
    assert task.scheduled_start is not None
    start = task.scheduled_start + timedelta(days=1)
    end = start + timedelta(minutes=task.estimated_duration_min)
    student.notion.admin.move_date(page.notion_page_id or "", start, end)
    report = student.sync()
    assert report.outcome is SyncOutcome.OK, [e.text() for e in report.errors]
    after = tasks(student)[task.id]
    assert after.is_pinned and after.scheduled_start == start
    block = block_of(student, task.id)
    assert block is not None
    event = student.google.admin.get_event(calendar_id(student), block.google_event_id or "")
    assert event is not None and event_start(event) == start


def test_trashed_page_skips_the_task(student: Student) -> None:
    student.sync()
    task = scheduled(student)[0]
    student.notion.admin.trash(page_of(student, task.id).notion_page_id or "")
    student.sync()
    assert tasks(student)[task.id].status is TaskStatus.SKIPPED
    assert block_of(student, task.id) is None


def test_both_sides_edited_later_edit_wins_with_a_conflict_event(student: Student) -> None:
    student.sync()
    task = scheduled(student)[0]
    block = block_of(student, task.id)
    assert block is not None
    start = task.scheduled_start
    assert start is not None
    google_time = start + timedelta(hours=1)
    notion_time = start + timedelta(hours=2)
    student.notion.admin.move_date(
        page_of(student, task.id).notion_page_id or "",
        notion_time,
        notion_time + timedelta(minutes=30),
    )
    # Notion's clock is minute-rounded: the Google edit a minute later is the later one.
    student.notion.admin.set_clock(datetime.now(start.tzinfo) - timedelta(minutes=3))
    student.notion.admin.move_date(
        page_of(student, task.id).notion_page_id or "",
        notion_time,
        notion_time + timedelta(minutes=30),
    )
    student.notion.admin.release_clock()
    student.google.admin.move_event(
        calendar_id(student),
        block.google_event_id or "",
        google_time,
        google_time + timedelta(minutes=30),
    )
    student.sync()
    after = tasks(student)[task.id]
    assert after.scheduled_start == google_time
    with session_scope(student.engine) as s:
        conflict = s.scalars(
            select(TaskEvent).where(
                TaskEvent.task_id == task.id, TaskEvent.event_type == TaskEventType.CONFLICT
            )
        ).one()
        assert conflict.payload["winner"] == "google"
        assert conflict.payload["notion"]["start"] is not None


def test_expired_sync_token_mid_life_finds_deletions_without_duplicates(student: Student) -> None:
    student.sync()
    victim = scheduled(student)[0]
    student.google.admin.delete_event(
        calendar_id(student),
        block_of(student, victim.id).google_event_id or "",  # type: ignore[union-attr]
    )
    student.google.admin.expire_sync_tokens()
    report = student.sync()
    assert report.outcome is SyncOutcome.OK, [e.text() for e in report.errors]
    assert tasks(student)[victim.id].status is TaskStatus.SKIPPED
    ids = [e["id"] for e in live_events(student)]
    assert len(ids) == len(set(ids)) == len(scheduled(student))


def test_safety_valve_when_the_calendar_suddenly_looks_empty(student: Student) -> None:
    student.sync()
    before = {t.id: t.status for t in tasks(student).values()}
    for event in live_events(student):
        student.google.admin.delete_event(calendar_id(student), event["id"])
    report = student.sync()
    assert any(e.operation == "safety_valve" for e in report.errors)
    assert {t.id: t.status for t in tasks(student).values()} == before  # nothing skipped
    with session_scope(student.engine) as s:
        row = s.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == student.user_id)
        ).one()
        assert row.google_health is IntegrationHealth.NEEDS_ATTENTION
        errors = s.scalars(select(SyncError).where(SyncError.user_id == student.user_id)).all()
        assert any("accept-remote-empty" in e.message for e in errors)
        row.google_health = IntegrationHealth.OK
    accepted = student.sync(accept_remote_empty=True, trigger="cli")
    assert not any(e.operation == "safety_valve" for e in accepted.errors)
    assert any(t.status is TaskStatus.SKIPPED for t in tasks(student).values())


def test_revoked_grant_marks_google_and_notion_still_syncs(student: Student) -> None:
    student.sync()
    done = scheduled(student)[0]
    student.notion.admin.set_status(page_of(student, done.id).notion_page_id or "", "Done")
    student.google.admin.revoke_grant()
    student.google.admin.expire_access_tokens()
    report = student.sync()
    assert report.outcome is SyncOutcome.PARTIAL
    assert tasks(student)[done.id].status is TaskStatus.COMPLETED  # Notion's edit went through
    assert report.counts.get("plan_skipped") == 1  # no trustworthy busy times: no re-plan
    with session_scope(student.engine) as s:
        row = s.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == student.user_id)
        ).one()
        assert row.google_health is IntegrationHealth.NEEDS_REAUTH
        errors = s.scalars(select(SyncError).where(SyncError.user_id == student.user_id)).all()
        assert any(e.provider is Provider.GOOGLE and not e.retryable for e in errors)


def test_notion_down_does_not_stop_google(student: Student) -> None:
    student.notion.admin.inject(503, count=1000)
    report = student.sync()
    assert report.counts.get("google_writes", 0) > 0
    assert any(e.provider is Provider.NOTION and e.retryable for e in report.errors)
    assert report.retry_after is not None
    student.notion.admin.clear_faults()
    healed = student.sync()
    assert healed.outcome is SyncOutcome.OK, [e.text() for e in healed.errors]
    assert len(live_pages(student)) == len(scheduled(student))


def test_dry_run_writes_nowhere(student: Student) -> None:
    report = student.sync(dry_run=True)
    assert report.counts.get("tasks_create", 0) > 0
    assert tasks(student) == {} and student.google.admin.writes() <= 1  # the study calendar
    assert live_pages(student) == []
    with session_scope(student.engine) as s:
        assert s.scalars(select(SyncRun).where(SyncRun.user_id == student.user_id)).all() == []


def test_two_syncs_of_one_student_never_run_together(student: Student) -> None:
    results: list[SyncOutcome] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(student.sync().outcome)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.value for r in results) in (["ok", "skipped"], ["ok", "ok"])
    ids = [e["id"] for e in live_events(student)]
    assert len(ids) == len(set(ids)) == len(scheduled(student))


def test_a_status_ticked_between_our_pull_and_our_push_is_not_lost(student: Student) -> None:
    """Notion has no If-Match. The student ticks Done while a sync is about to push a new time
    for the same page: the push must not reset Status, and the next sync must take the Done."""
    from services.sync.providers import notion_client
    from services.sync.push import push_notion

    student.sync()
    task = scheduled(student)[0]
    page = page_of(student, task.id)
    student.notion.admin.set_status(page.notion_page_id or "", "Done")
    with session_scope(student.engine) as s:  # the planner moved it (after our pull)
        row = s.get(StudyTask, task.id)
        assert row is not None and row.scheduled_start is not None and row.scheduled_end
        row.scheduled_start += timedelta(hours=1)
        row.scheduled_end += timedelta(hours=1)
        s.get(NotionTask, page.id).is_dirty = True  # type: ignore[union-attr]
        integration = s.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == student.user_id)
        ).one()
        s.expunge(integration)
    with notion_client(student.settings, integration) as client:
        push_notion(
            student.engine,
            client,
            student.user_id,
            student.workspace.data_source_id,
            now=datetime.now(integration.created_at.tzinfo),
        )
    remote = next(p for p in student.notion.admin.pages() if p["id"] == page.notion_page_id)
    assert remote["properties"]["Status"]["status"]["name"] == "Done"  # not reset to To do
    student.sync()
    assert tasks(student)[task.id].status is TaskStatus.COMPLETED


def test_a_no_op_sync_costs_three_google_calls_and_one_notion_query(student: Student) -> None:
    student.sync()
    student.google.admin.reset_counters()
    student.notion.admin.reset_counters()
    student.sync()
    google = student.google.admin.counters()
    # The calendar list (which calendars' busy time to read), freebusy, the incremental listing.
    assert google.get("http", 0) <= 3, google
    assert google.get("calendarList.list") == 1
    assert student.notion.admin.queries() == 1 and student.notion.admin.writes() == 0
    # Calendars named with --calendar need no list: two calls.
    with session_scope(student.engine) as session:
        row = session.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == student.user_id)
        ).one()
        row.google_monitored_calendars = ["primary"]
    student.google.admin.reset_counters()
    student.sync()
    google = student.google.admin.counters()
    assert google.get("http", 0) <= 2 and "calendarList.list" not in google, google


def test_the_student_wins_a_race_with_our_patch(student: Student) -> None:
    """The planner wants to move a block while the student moves it too: If-Match makes our
    patch fail (412), we stop, and the next sync pins the student's time."""
    from services.sync.providers import google_client
    from services.sync.push import push_google

    student.sync()
    task = scheduled(student)[0]
    block = block_of(student, task.id)
    assert block is not None and task.scheduled_start is not None
    theirs = task.scheduled_start + timedelta(hours=2)
    student.google.admin.move_event(
        calendar_id(student), block.google_event_id or "", theirs, theirs + timedelta(minutes=30)
    )
    with session_scope(student.engine) as s:  # our planner's move, with the old etag
        row = s.get(CalendarBlock, block.id)
        assert row is not None
        row.start_time += timedelta(hours=5)
        row.end_time += timedelta(hours=5)
        row.is_dirty = True
        integration = s.scalars(
            select(IntegrationSettings).where(IntegrationSettings.user_id == student.user_id)
        ).one()
        s.expunge(integration)
    client = google_client(student.settings, integration)
    try:
        outcome = push_google(
            student.engine,
            client,
            student.user_id,
            calendar_id(student),
            now=datetime.now(theirs.tzinfo),
        )
    finally:
        client.close()
    assert outcome.failed == 1  # the 412
    event = student.google.admin.get_event(calendar_id(student), block.google_event_id or "")
    assert event is not None and event_start(event) == theirs  # not overwritten
    student.sync()
    after = tasks(student)[task.id]
    assert after.is_pinned and after.scheduled_start == theirs


def test_an_unshared_notion_database_deletes_nothing(student: Student) -> None:
    student.sync()
    before = {t.id: t.status for t in tasks(student).values()}
    student.notion.admin.unshare(student.workspace.data_source_id)
    report = student.sync()
    assert any(e.provider is Provider.NOTION for e in report.errors)
    assert {t.id: t.status for t in tasks(student).values()} == before
    assert len(live_events(student)) == len(scheduled(student))  # Google untouched
