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

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from db.models import CalendarBlock, Course, NotionTask, StudyTask
from db.session import session_scope
from db.task_state import change_status
from integrations.errors import ConflictError, IntegrationError
from integrations.google_calendar import (
    EventWrite,
    EventWriteResult,
    GoogleCalendarClient,
    event_id_for_block,
)
from integrations.notion import NotionClient, NotionStatus, NotionTaskContent, content_hash_of
from planner.lifecycle import EventSource, TaskStatus
from sync.reconcile import NOTION_OF_STATUS

DESCRIPTION_FOOTER = "\n\n— planned by studyplanner"


@dataclass
class PushOutcome:
    writes: int = 0
    failed: int = 0
    errors: list[IntegrationError] = field(default_factory=list)
    failed_objects: list[str] = field(default_factory=list)

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
        for result in results:
            _write_back_google(session, result, outcome, now=now)
    return outcome


def _write_back_google(
    session: Session, result: EventWriteResult, outcome: PushOutcome, *, now: datetime
) -> None:
    block = session.get(CalendarBlock, result.op.block_id)
    if block is None:
        return
    op = result.op
    if result.outcome == "user_deleted":
        # The student deleted this event (a 409/412 on a cancelled event): never recreate it.
        block.is_tombstoned = True
        block.is_dirty = False
        block.pending_delete = False
        block.sync_error = None
        task = session.get(StudyTask, block.study_task_id) if block.study_task_id else None
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
        task = session.get(StudyTask, block.study_task_id) if block.study_task_id else None
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
    outcome = PushOutcome()
    with session_scope(engine) as session:
        page_ids = list(
            session.scalars(
                select(NotionTask.id).where(
                    NotionTask.user_id == user_id,
                    NotionTask.is_dirty.is_(True),
                    NotionTask.is_trashed.is_(False),
                )
            )
        )
        courses = dict(
            session.execute(select(Course.id, Course.code).where(Course.user_id == user_id)).all()
        )
    for page_id in page_ids:
        # One short transaction per page: a crash mid-push loses at most this item's write-back,
        # and the Task ID lookup makes its retry adopt the page instead of duplicating it.
        with session_scope(engine) as session:
            page = session.get(NotionTask, page_id)
            if page is None or not page.is_dirty:
                continue
            task = session.get(StudyTask, page.study_task_id)
            assert task is not None
            try:
                if page.pending_trash:
                    if page.notion_page_id:
                        client.trash_page(page.notion_page_id)
                        outcome.writes += 1
                    page.is_trashed = True
                    page.is_dirty = False
                    page.sync_error = None
                    continue
                content = notion_content(task, courses.get(task.course_id, ""))
                content = _with_extras(content, due_of(task), topics_of(task))
                if page.notion_page_id:
                    changed = client.update_changed(
                        page.notion_page_id,
                        content,
                        page.notion_properties,
                        data_source_id=data_source_id,
                    )
                    if changed is None:  # nothing we own differs from what we sent last
                        page.is_dirty = False
                        page.sync_error = None
                        continue
                    result = changed
                else:
                    retrying = page.sync_error is not None
                    if not retrying:
                        # Committed before the call: if this worker dies before writing the page
                        # id back, the retry sees the mark and looks the page up by Task ID
                        # instead of creating a second page.
                        page.sync_error = CREATE_IN_FLIGHT
                        session.commit()
                    result = client.create_page(data_source_id, content, check_existing=retrying)
                outcome.writes += 1
                page.notion_page_id = result.page_id
                # Agree on what WE sent, not on what came back: if the student edited the page
                # in between, the page differs from this hash and the next pull takes their edit.
                page.content_hash = content_hash_of(content)
                page.notion_properties = dict(result.properties)
                page.is_synced = True
                page.is_dirty = False
                page.sync_error = None
                page.last_sync_at = now
                task.notion_page_id = result.page_id
            except IntegrationError as error:
                page.sync_error = str(error)[:2000]
                outcome.fail(str(page.id), error)
                if not error.retryable:
                    break
    return outcome


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
