"""The push step: send dirty mirrors to Google and Notion, write every outcome back.

Google: inserts use ids derived from the block id (a retried insert meets 409 and adopts its own
event), patches and deletes carry If-Match. Notion (`push_notion.py`): a create still marked in
flight from an earlier push is looked up by Task ID first. Each item's failure is written to its
row (`sync_error`) and returned; the item stays dirty, so the next sync (or this task's retry)
sends only what failed.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.enums import Provider
from db.models import (
    CalendarBlock,
    IntegrationSettings,
    StudyTask,
)
from db.session import session_scope
from integrations.errors import ConflictError, IntegrationError, NeedsReauthError
from integrations.google_calendar import (
    EventWrite,
    EventWriteResult,
    GoogleCalendarClient,
    event_id_for_block,
)
from integrations.notion import NotionClient
from integrations.notion.transients import Recovered
from planner.lifecycle import EventSource, TaskStatus
from services.sync.gather import Gathered
from services.sync.outcomes import PushOutcome, tasks_of
from services.sync.push_notion import (
    CREATE_IN_FLIGHT,
    notion_content,
    notion_extras,
    push_notion,
)
from services.sync.report import RecordedError, SyncReport
from services.task_state import change_status

__all__ = [
    "CREATE_IN_FLIGHT",
    "PushOutcome",
    "notion_content",
    "push",
    "push_google",
    "push_notion",
]

DESCRIPTION_FOOTER = "\n\n— planned by studyplanner"


# --- Google -----------------------------------------------------------------------------------


def google_op(block: CalendarBlock, task: StudyTask | None) -> EventWrite | None:
    if block.is_tombstoned:
        return None
    event_id = block.google_event_id or event_id_for_block(block.id)
    if block.pending_delete:
        if not block.is_synced:
            return None  # never reached Google: nothing to delete
        return EventWrite("delete", block.id, event_id=event_id, etag=block.google_etag)
    if task is None:
        return None
    summary = task.title
    if not block.is_synced:
        return EventWrite(
            "insert",
            block.id,
            event_id=event_id,
            start=block.start_time,
            end=block.end_time,
            summary=summary,
            description=(task.plan_reason or "") + DESCRIPTION_FOOTER,
            private_props={"studyplanner_task_id": str(task.id)},
        )
    # Description is written once: a student's notes in it are theirs.
    return EventWrite(
        "patch",
        block.id,
        event_id=event_id,
        etag=block.google_etag,
        start=block.start_time,
        end=block.end_time,
        summary=summary,
    )


def push_google(
    engine: Engine,
    client: GoogleCalendarClient,
    user_id: uuid.UUID,
    calendar_id: str,
    *,
    now: datetime,
) -> PushOutcome:
    outcome = PushOutcome()
    with session_scope(engine) as session:
        blocks = list(
            session.scalars(
                select(CalendarBlock).where(
                    CalendarBlock.user_id == user_id,
                    CalendarBlock.is_dirty.is_(True),
                    CalendarBlock.is_tombstoned.is_(False),
                )
            )
        )
        tasks = tasks_of(session, (b.study_task_id for b in blocks))
        ops: list[EventWrite] = []
        silent_deletes = []
        for block in blocks:
            op = google_op(block, tasks.get(block.study_task_id) if block.study_task_id else None)
            if op is None:
                silent_deletes.append(block.id)
            else:
                ops.append(op)
        for block in blocks:
            if block.id in silent_deletes and block.pending_delete:
                session.delete(block)
    if not ops:
        return outcome
    results = client.push(calendar_id, ops)
    with session_scope(engine) as session:
        ids = [r.op.block_id for r in results]
        blocks_by_id = {
            b.id: b for b in session.scalars(select(CalendarBlock).where(CalendarBlock.id.in_(ids)))
        }
        owners = tasks_of(session, (b.study_task_id for b in blocks_by_id.values()))
        for result in results:
            pushed = blocks_by_id.get(result.op.block_id)
            if pushed is not None:
                task = owners.get(pushed.study_task_id) if pushed.study_task_id else None
                _write_back_google(session, pushed, task, result, outcome, now=now)
    return outcome


def _write_back_google(
    session: Session,
    block: CalendarBlock,
    task: StudyTask | None,
    result: EventWriteResult,
    outcome: PushOutcome,
    *,
    now: datetime,
) -> None:
    op = result.op
    if result.outcome == "user_deleted":
        # The student deleted this event (a 409/412 on a cancelled event): never recreate it.
        block.is_tombstoned = True
        block.is_dirty = False
        block.pending_delete = False
        block.sync_error = None
        if task is not None and task.status in (TaskStatus.PENDING, TaskStatus.SCHEDULED):
            change_status(
                session,
                task,
                TaskStatus.SKIPPED,
                source=EventSource.GOOGLE,
                at=now,
                details={"why": "the event was deleted in Google Calendar"},
            )
        return
    if result.succeeded:
        outcome.writes += 1
        if op.kind == "delete" or result.outcome == "already_deleted":
            session.delete(block)
            return
        block.google_event_id = result.event_id
        block.google_etag = result.etag
        block.content_hash = result.event.content_hash if result.event else op.content_hash
        block.is_synced = True
        block.is_dirty = False
        block.sync_error = None
        block.last_sync_at = now
        if task is not None:
            task.calendar_event_id = result.event_id
        return
    error = result.error
    assert error is not None
    if isinstance(error, ConflictError) and op.kind in ("patch", "delete"):
        # 412: the student changed the event after our last look. Never overwrite them: stop
        # pushing; the next pull sees their edit and the reconciler takes it.
        block.is_dirty = False
        block.pending_delete = False
    block.sync_error = f"{op.kind}: {error}"[:2000]
    outcome.fail(str(block.id), error)


# --- the step -------------------------------------------------------------------------------


def push(
    engine: Engine,
    user_id: uuid.UUID,
    integration: IntegrationSettings,
    gathered: Gathered,
    google: GoogleCalendarClient | None,
    notion: NotionClient | None,
    now: datetime,
    report: SyncReport,
    pending: set[str],
) -> None:
    """Send what the write step left dirty; a remote with nothing pending costs nothing."""
    calendar_id = gathered.google_calendar_id
    if (
        "google" in pending
        and google is not None
        and calendar_id
        and not _needs_reauth(report, Provider.GOOGLE)
    ):
        try:
            outcome = push_google(engine, google, user_id, calendar_id, now=now)
            _absorb(report, Provider.GOOGLE, "google", outcome)
        except IntegrationError as exc:
            report.errors.append(RecordedError(Provider.GOOGLE, "push", exc))
    if notion is not None:
        # What the pull got over (a rate limit notion-client waited out) is recorded too.
        _absorb_recovered(report, Provider.NOTION, [(None, r) for r in notion.take_recovered()])
    if notion is not None and "notion" in pending:
        data_source_id = gathered.notion_data_source_id
        if data_source_id:
            due, topics = notion_extras(engine, user_id)
            try:
                outcome = push_notion(
                    engine, notion, user_id, data_source_id, now=now, due_of=due, topics_of=topics
                )
                _absorb(report, Provider.NOTION, "notion", outcome)
            except IntegrationError as exc:
                report.errors.append(RecordedError(Provider.NOTION, "push", exc))


def _needs_reauth(report: SyncReport, provider: Provider) -> bool:
    return any(
        e.provider == provider and isinstance(e.error, NeedsReauthError) for e in report.errors
    )


def _absorb(report: SyncReport, provider: Provider, name: str, outcome: PushOutcome) -> None:
    report.add(f"{name}_writes", outcome.writes)
    if outcome.failed:
        report.add(f"{name}_failed", outcome.failed)
    for object_id, error in zip(outcome.failed_objects, outcome.errors, strict=True):
        report.errors.append(RecordedError(provider, error.operation, error, object_id=object_id))
    _absorb_recovered(report, provider, outcome.recovered)


def _absorb_recovered(
    report: SyncReport, provider: Provider, recovered: list[tuple[str | None, Recovered]]
) -> None:
    for object_id, item in recovered:
        report.recovered.append(
            RecordedError(
                provider,
                item.error.operation,
                item.error,
                message=f"{item.error} (recovered: {item.how})",
                object_id=object_id,
            )
        )
    if recovered:
        report.add(f"{provider.value}_recovered", len(recovered))
