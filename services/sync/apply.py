"""Row changes of the write step: reconcile decisions and plan writes become task changes, task
events and dirty mirrors, inside the caller's transaction. The push step sends what is dirty."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from db.enums import Difficulty, TaskType
from db.models import CalendarBlock, NotionTask, StudyTask
from db.user_rows import UserRows
from planner.lifecycle import EventSource, TaskEventType, TaskStatus
from planner.values import PlannedTask
from services.task_state import change_status, record_created, record_note
from sync.diff import TaskWrite
from sync.reconcile import Decision


@dataclass
class Mirrors:
    """Which remotes this user syncs to (a mirror row exists only for an enabled remote)."""

    google_calendar_id: str | None
    notion_database_id: str | None


def mark_google_dirty(rows: UserRows, task: StudyTask, mirrors: Mirrors) -> None:
    if (
        mirrors.google_calendar_id is None
        or task.scheduled_start is None
        or task.scheduled_end is None
    ):
        return
    block = rows.blocks.get(task.id)
    if block is None:
        block = CalendarBlock(
            id=uuid.uuid4(),
            user_id=task.user_id,
            study_task_id=task.id,
            google_calendar_id=mirrors.google_calendar_id,
            start_time=task.scheduled_start,
            end_time=task.scheduled_end,
            is_dirty=True,
        )
        rows.blocks[task.id] = block
        return
    if block.is_tombstoned:
        return
    block.start_time, block.end_time = task.scheduled_start, task.scheduled_end
    block.is_dirty = True
    block.pending_delete = False


def remove_google_block(rows: UserRows, task: StudyTask) -> None:
    block = rows.blocks.get(task.id)
    if block is not None and not block.is_tombstoned:
        block.pending_delete = True
        block.is_dirty = True


def mark_notion_dirty(
    rows: UserRows, task: StudyTask, mirrors: Mirrors, *, trash: bool = False
) -> None:
    if mirrors.notion_database_id is None:
        return
    page = rows.pages.get(task.id)
    if page is None:
        if trash:
            return
        page = NotionTask(
            id=uuid.uuid4(),
            user_id=task.user_id,
            study_task_id=task.id,
            notion_database_id=mirrors.notion_database_id,
            is_dirty=True,
        )
        rows.pages[task.id] = page
        return
    if page.is_trashed:
        return
    page.is_dirty = True
    page.pending_trash = page.pending_trash or trash


def take_listed_etags(rows: UserRows, etags: dict[str, str]) -> None:
    for task_id, etag in etags.items():
        block = rows.blocks.get(uuid.UUID(task_id))
        if block is not None:
            block.google_etag = etag


def apply_decisions(
    session: Session,
    rows: UserRows,
    decisions: Iterable[Decision],
    mirrors: Mirrors,
    *,
    now: datetime,
) -> list[str]:
    """Apply each decision; returns one line per change, for the sync report."""
    lines = []
    for d in decisions:
        task = rows.tasks[uuid.UUID(d.task_id)]
        block = rows.blocks.get(task.id)
        page = rows.pages.get(task.id)
        if d.accept_google_hash is not None and block is not None:
            block.content_hash = d.accept_google_hash
        if d.accept_notion_hash is not None and page is not None:
            page.content_hash = d.accept_notion_hash
            page.last_remote_edit_at = now
        if d.conflict is not None:
            record_note(
                session,
                task,
                TaskEventType.CONFLICT,
                source=EventSource.SYSTEM,
                at=now,
                details={
                    "google": dict(d.conflict.google),
                    "notion": dict(d.conflict.notion),
                    "winner": d.conflict.winner,
                },
            )
            lines.append(f"conflict on '{task.title}': {d.conflict.winner} edited last and wins")
        if d.tombstone_google and block is not None:
            block.is_tombstoned = True
            block.is_dirty = False
            block.pending_delete = False
            block.manually_modified = True
            lines.append(f"'{task.title}' was deleted in Google Calendar: it will not come back")
        if d.notion_trashed and page is not None:
            page.is_trashed = True
            page.is_dirty = False
            lines.append(f"'{task.title}' was trashed in Notion")
        if d.title is not None:
            task.title = d.title
            lines.append(f"renamed in {d.title_source}: '{d.title}'")
        if d.pin_to is not None:
            source = EventSource(d.pin_source or "google")
            start, end = d.pin_to
            details = {"from": _iso(task.scheduled_start), "to": start.isoformat(), "pinned": True}
            if task.status in (TaskStatus.SCHEDULED, TaskStatus.PENDING):
                target = TaskStatus.SCHEDULED
                change_status(session, task, target, source=source, at=now, details=details)
            else:
                record_note(
                    session, task, TaskEventType.SYNCED, source=source, at=now, details=details
                )
            task.scheduled_start, task.scheduled_end = start, end
            task.estimated_duration_min = max(1, round((end - start).total_seconds() / 60))
            task.is_pinned = True
            if block is not None:
                block.start_time, block.end_time = start, end
                block.manually_modified = d.pin_source == "google" or block.manually_modified
            lines.append(
                f"'{task.title}' moved in {d.pin_source} to {start:%a %d %b %H:%M} UTC: pinned"
            )
        for step in d.status_path:
            change_status(
                session, task, step, source=EventSource(d.status_source or "notion"), at=now
            )
        if d.status_path:
            lines.append(f"'{task.title}' is now {task.status.value} ({d.status_source})")
        if d.remove_google_block:
            remove_google_block(rows, task)
        if d.push_google and not d.remove_google_block:
            mark_google_dirty(rows, task, mirrors)
        if d.push_notion:
            mark_notion_dirty(rows, task, mirrors)
    return lines


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def apply_plan_writes(
    session: Session,
    rows: UserRows,
    writes: Sequence[TaskWrite],
    mirrors: Mirrors,
    *,
    user_id: uuid.UUID,
    now: datetime,
) -> dict[str, int]:
    counts: dict[str, int] = {}
    # New tasks first, born scheduled, in one batched INSERT: their events and mirrors refer to
    # them, and without ORM relationships the flush would not order those inserts after them.
    created = [
        _new_task(w.plan_key, w.planned, user_id)
        for w in writes
        if w.planned and w.kind == "create"
    ]
    session.add_all(created)
    if created:
        session.flush()
    for task in created:
        rows.tasks[task.id] = task
        record_created(
            session,
            task,
            source=EventSource.PLANNER,
            at=now,
            details={"start": _iso(task.scheduled_start), "reason": task.plan_reason},
        )
        mark_google_dirty(rows, task, mirrors)
        mark_notion_dirty(rows, task, mirrors)
    for write in writes:
        counts[write.kind] = counts.get(write.kind, 0) + 1
        if write.kind == "create":
            continue
        assert write.task_id is not None
        task = rows.tasks[uuid.UUID(write.task_id)]
        if write.kind == "drop":
            change_status(
                session,
                task,
                TaskStatus.SKIPPED,
                source=EventSource.PLANNER,
                at=now,
                details={"why": "no longer needed by the plan"},
            )
            remove_google_block(rows, task)
            mark_notion_dirty(rows, task, mirrors, trash=True)
            continue
        assert write.planned is not None
        planned = write.planned
        if write.kind in ("move", "revive"):
            details = {
                "from": _iso(task.scheduled_start),
                "to": planned.scheduled_start.isoformat(),
            }
            change_status(
                session,
                task,
                TaskStatus.SCHEDULED,
                source=EventSource.PLANNER,
                at=now,
                details=details,
            )
        _copy_plan(task, planned)
        mark_google_dirty(rows, task, mirrors)
        mark_notion_dirty(rows, task, mirrors)
    for block in rows.blocks.values():
        if block not in session:
            session.add(block)
    for page in rows.pages.values():
        if page not in session:
            session.add(page)
    return counts


def _new_task(key: str, planned: PlannedTask, user_id: uuid.UUID) -> StudyTask:
    task = StudyTask(
        id=uuid.uuid4(),
        user_id=user_id,
        course_id=uuid.UUID(planned.course_id),
        assessment_id=uuid.UUID(planned.assessment_id) if planned.assessment_id else None,
        plan_key=key,
        status=TaskStatus.SCHEDULED,
        task_type=TaskType(planned.task_type),
    )
    _copy_plan(task, planned)
    return task


def _copy_plan(task: StudyTask, planned: PlannedTask) -> None:
    task.title = planned.title
    task.description = planned.reason
    task.plan_reason = planned.reason
    task.task_type = TaskType(planned.task_type)
    task.difficulty = Difficulty(planned.difficulty)
    task.topic_ids = list(planned.topic_ids)
    task.estimated_duration_min = planned.duration_min
    task.scheduled_start = planned.scheduled_start
    task.scheduled_end = planned.scheduled_end
    task.priority_score = planned.priority_score
    task.expected_mastery_gain = planned.expected_mastery_gain


def adopt_unmirrored(rows: UserRows, mirrors: Mirrors, *, now: datetime) -> int:
    """Open tasks still ahead that no remote shows yet — issued by another system through the
    API, or made before an account was connected — get their mirrors now."""
    adopted = 0
    for task in rows.tasks.values():
        if task.status not in (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS):
            continue
        if task.scheduled_end is None or task.scheduled_end <= now:
            continue
        missing_block = mirrors.google_calendar_id is not None and task.id not in rows.blocks
        missing_page = mirrors.notion_database_id is not None and task.id not in rows.pages
        if missing_block:
            mark_google_dirty(rows, task, mirrors)
        if missing_page:
            mark_notion_dirty(rows, task, mirrors)
        adopted += missing_block or missing_page
    return adopted
