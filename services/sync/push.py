"""The push step: send dirty mirrors to Google and Notion, write every outcome back.

Google: inserts use ids derived from the block id (a retried insert meets 409 and adopts its own
event), patches and deletes carry If-Match. Notion: creates look the page up by Task ID after an
ambiguous failure. Each item's failure is written to its row (`sync_error`) and returned; the
item stays dirty, so the next sync (or this task's retry) sends only what failed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from db.enums import Provider
from db.models import (
    Assessment,
    CalendarBlock,
    Course,
    IntegrationSettings,
    NotionTask,
    StudyTask,
    Topic,
)
from db.session import session_scope
from integrations.errors import ConflictError, IntegrationError, NeedsReauthError
from integrations.google_calendar import (
    EventWrite,
    EventWriteResult,
    GoogleCalendarClient,
    event_id_for_block,
)
from integrations.notion import NotionClient, NotionStatus, NotionTaskContent, content_hash_of
from integrations.notion.errors import is_ambiguous_write
from integrations.notion.transients import Recovered
from planner.lifecycle import EventSource, TaskStatus
from services.sync.gather import Gathered
from services.sync.report import RecordedError, SyncReport
from services.task_state import change_status
from sync.reconcile import NOTION_OF_STATUS

DESCRIPTION_FOOTER = "\n\n— planned by studyplanner"


@dataclass
class PushOutcome:
    writes: int = 0
    failed: int = 0
    errors: list[IntegrationError] = field(default_factory=list)
    failed_objects: list[str] = field(default_factory=list)
    recovered: list[tuple[str | None, Recovered]] = field(default_factory=list)

    def fail(self, object_id: str, error: IntegrationError) -> None:
        self.failed += 1
        self.errors.append(error)
        self.failed_objects.append(object_id)


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
        tasks = _tasks_of(session, (b.study_task_id for b in blocks))
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
        owners = _tasks_of(session, (b.study_task_id for b in blocks_by_id.values()))
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


# --- Notion -----------------------------------------------------------------------------------


def notion_content(task: StudyTask, course_code: str) -> NotionTaskContent:
    return NotionTaskContent(
        task_id=str(task.id),
        title=task.title,
        status=NotionStatus(NOTION_OF_STATUS[task.status]),
        scheduled_start=task.scheduled_start,
        scheduled_end=task.scheduled_end,
        due=None,
        course=course_code or None,
        task_type=task.task_type.value,
        minutes=task.estimated_duration_min,
        priority=round(task.priority_score, 3),
        topics=(),
        description=task.plan_reason,
    )


def push_notion(
    engine: Engine,
    client: NotionClient,
    user_id: uuid.UUID,
    data_source_id: str,
    *,
    now: datetime,
    due_of: Callable[[StudyTask], datetime | None] = lambda _t: None,
    topics_of: Callable[[StudyTask], tuple[str, ...]] = lambda _t: (),
) -> PushOutcome:
    """Three steps, so the database work does not grow with the pages: load every dirty page
    (and mark the creates in flight, committed before any call), call Notion page by page, write
    every outcome back in one transaction. A worker killed in between loses only write-backs:
    the in-flight mark makes the retry look a created page up by Task ID, and updates and trashes
    are safe to send again. Only a create still marked from an earlier push is looked up first:
    a first push of N pages costs N calls, not 2N."""
    outcome = PushOutcome()
    with session_scope(engine) as session:
        pages = list(
            session.scalars(
                select(NotionTask).where(
                    NotionTask.user_id == user_id,
                    NotionTask.is_dirty.is_(True),
                    NotionTask.is_trashed.is_(False),
                )
            )
        )
        if not pages:
            return outcome
        tasks = _tasks_of(session, (p.study_task_id for p in pages))
        courses = dict(
            session.execute(select(Course.id, Course.code).where(Course.user_id == user_id)).all()
        )
        unconfirmed = {p.id for p in pages if _creates(p) and _in_flight(p.sync_error)}
        before = {p.id: p.sync_error for p in pages if _creates(p) and p.id not in unconfirmed}
        if before:
            session.execute(
                update(NotionTask)
                .where(NotionTask.id.in_(list(before)))
                .values(sync_error=CREATE_IN_FLIGHT)
                .execution_options(synchronize_session=False)
            )
    written: dict[uuid.UUID, dict[str, Any]] = {}
    for page in pages:
        task = tasks[page.study_task_id]
        try:
            written[page.id] = _push_page(
                client,
                page,
                task,
                data_source_id,
                _with_extras(
                    notion_content(task, courses.get(task.course_id, "")),
                    due_of(task),
                    topics_of(task),
                ),
                retrying=page.id in unconfirmed,
            )
            outcome.writes += written[page.id].pop("_wrote")
        except IntegrationError as error:
            may_exist = _creates(page) and _may_have_landed(error)
            text = f"{CREATE_IN_FLIGHT}; {error}" if may_exist else str(error)
            written[page.id] = {"sync_error": text[:2000]}
            outcome.fail(str(page.id), error)
            if not error.retryable:
                break
        finally:
            outcome.recovered += [(str(page.id), r) for r in client.take_recovered()]
    for page_id, previous in before.items():
        written.setdefault(page_id, {"sync_error": previous})  # never sent: the mark goes
    with session_scope(engine) as session:
        rows = {
            p.id: p
            for p in session.scalars(select(NotionTask).where(NotionTask.id.in_(list(written))))
        }
        owners = _tasks_of(session, (p.study_task_id for p in rows.values()))
        for page_id, values in written.items():
            row = rows.get(page_id)
            if row is None:
                continue
            for column, value in values.items():
                setattr(row, column, value)
            if values.get("notion_page_id"):
                owners[row.study_task_id].notion_page_id = values["notion_page_id"]
            if "content_hash" in values:
                row.last_sync_at = now
    return outcome


def _creates(page: NotionTask) -> bool:
    return not page.notion_page_id and not page.pending_trash


def _in_flight(sync_error: str | None) -> bool:
    """Marked by an earlier push that never learnt whether its create landed."""
    return bool(sync_error and sync_error.startswith(CREATE_IN_FLIGHT))


def _may_have_landed(error: IntegrationError) -> bool:
    # A refused create (429, 400) created nothing; an ambiguous one, or a failed lookup or
    # adoption after one, may have: keep the mark so the next push looks before creating.
    return is_ambiguous_write(error) or error.operation != "create_page"


def _push_page(
    client: NotionClient,
    page: NotionTask,
    task: StudyTask,
    data_source_id: str,
    content: NotionTaskContent,
    *,
    retrying: bool,
) -> dict[str, Any]:
    """One page's call; returns the columns to write back (and `_wrote`: 1 if Notion changed)."""
    done: dict[str, Any] = {"is_dirty": False, "sync_error": None}
    if page.pending_trash:
        if page.notion_page_id:
            client.trash_page(page.notion_page_id)
        return {**done, "is_trashed": True, "_wrote": int(bool(page.notion_page_id))}
    if page.notion_page_id:
        result = client.update_changed(
            page.notion_page_id, content, page.notion_properties, data_source_id=data_source_id
        )
        if result is None:  # nothing we own differs from what we sent last
            return {**done, "_wrote": 0}
    else:
        result = client.create_page(data_source_id, content, check_existing=retrying)
    return {
        **done,
        "notion_page_id": result.page_id,
        # Agree on what WE sent, not on what came back: if the student edited the page in
        # between, the page differs from this hash and the next pull takes their edit.
        "content_hash": content_hash_of(content),
        "notion_properties": dict(result.properties),
        "is_synced": True,
        "_wrote": 1,
    }


CREATE_IN_FLIGHT = "create sent, outcome not recorded (the next push looks the page up first)"


def _with_extras(
    content: NotionTaskContent, due: datetime | None, topics: tuple[str, ...]
) -> NotionTaskContent:
    from dataclasses import replace

    return replace(content, due=due, topics=topics)


def _tasks_of(session: Session, ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, StudyTask]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return {t.id: t for t in session.scalars(select(StudyTask).where(StudyTask.id.in_(wanted)))}


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
            due, topics = _notion_extras(engine, user_id)
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


def _notion_extras(engine: Engine, user_id: uuid.UUID) -> tuple[Any, Any]:
    with session_scope(engine) as session:
        due = dict(
            session.execute(
                select(Assessment.id, Assessment.due_date)
                .join(Course)
                .where(Course.user_id == user_id)
            ).all()
        )
        names = {
            str(t.id): t.name
            for t in session.scalars(select(Topic).join(Course).where(Course.user_id == user_id))
        }
    return (
        lambda task: due.get(task.assessment_id) if task.assessment_id else None,
        lambda task: tuple(names[t] for t in task.topic_ids if t in names),
    )
