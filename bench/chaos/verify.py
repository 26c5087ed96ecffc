"""The books of a chaos run, balanced against the emulators' own state: one event and one page
per live task, nothing orphaned or duplicated, a `sync_errors` row for every failure that stuck
to a row, and every student edit visible where the student would look — in Google Calendar and
in Notion, not only in our database."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from db.enums import IntegrationHealth
from db.models import CalendarBlock, IntegrationSettings, NotionTask, StudyTask, SyncError, SyncRun
from db.session import session_scope
from emulators.google import GoogleEmulator
from emulators.notion import NotionEmulator
from planner.lifecycle import TaskStatus


@dataclass
class Edit:
    kind: str
    user_id: uuid.UUID
    task_id: uuid.UUID
    start: datetime | None
    end: datetime | None
    made_at: datetime
    was_ahead: bool  # the task's block was still in the future when the student acted
    on_dirty: bool  # our own change to it was waiting to be pushed
    mid_push: bool  # made while a sync of this student was pushing


def task_id_of(page: dict[str, Any]) -> str:
    prop = page.get("properties", {}).get("Task ID", {})
    return "".join(
        part.get("plain_text", part.get("text", {}).get("content", ""))
        for part in prop.get("rich_text", [])
    )


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


@dataclass
class Remote:
    """One student's live events by our task id and pages by Task ID, as the emulators hold
    them."""

    events: dict[str, list[dict[str, Any]]]
    pages: dict[str, list[dict[str, Any]]]

    def event_start(self, task_id: uuid.UUID) -> datetime | None:
        found = self.events.get(str(task_id), [])
        return _instant(found[0]["start"].get("dateTime")) if len(found) == 1 else None

    def page(self, task_id: uuid.UUID) -> dict[str, Any] | None:
        found = self.pages.get(str(task_id), [])
        return found[0] if len(found) == 1 else None

    def page_start(self, task_id: uuid.UUID) -> datetime | None:
        page = self.page(task_id)
        date = (page or {}).get("properties", {}).get("Scheduled", {}).get("date") or {}
        return _instant(date.get("start"))

    def page_status(self, task_id: uuid.UUID) -> str | None:
        page = self.page(task_id)
        status = (page or {}).get("properties", {}).get("Status", {}).get("status") or {}
        return status.get("name")


def reflected_remotely(edit: Edit, remote: Remote) -> bool:
    """The student's edit as both tools show it after the clean cycle."""
    has_event = bool(remote.events.get(str(edit.task_id)))
    if edit.kind in ("move_block", "notion_move"):
        return remote.event_start(edit.task_id) == edit.start == remote.page_start(edit.task_id)
    if edit.kind == "delete_block":
        return not has_event and remote.page_status(edit.task_id) == "Skipped"
    if edit.kind == "notion_done":
        block_gone = not has_event or not edit.was_ahead
        return block_gone and remote.page_status(edit.task_id) == "Done"
    # notion_trash: the page stays in the trash, the task is skipped, its block goes
    return not has_event and remote.page(edit.task_id) is None


def reflected_in_db(edit: Edit, task: StudyTask) -> bool:
    return {
        "move_block": task.scheduled_start == edit.start and task.is_pinned,
        "notion_move": task.scheduled_start == edit.start and task.is_pinned,
        "delete_block": task.status is TaskStatus.SKIPPED,
        "notion_trash": task.status is TaskStatus.SKIPPED,
        "notion_done": task.status is TaskStatus.COMPLETED,
    }[edit.kind]


def _remote_of(
    google: GoogleEmulator, notion: NotionEmulator, calendar_id: str, data_source_id: str
) -> Remote:
    events: dict[str, list[dict[str, Any]]] = {}
    for event in google.admin.events(calendar_id):
        if event.get("status") != "cancelled":
            private = (event.get("extendedProperties") or {}).get("private") or {}
            events.setdefault(str(private.get("studyplanner_task_id", "")), []).append(event)
    pages: dict[str, list[dict[str, Any]]] = {}
    for page in notion.admin.pages(data_source_id=data_source_id):
        if not page.get("in_trash"):
            pages.setdefault(task_id_of(page), []).append(page)
    return Remote(events, pages)


def _check_student(
    session: Session,
    user_id: uuid.UUID,
    info: dict[str, Any],
    google: GoogleEmulator,
    notion: NotionEmulator,
    counts: Counter[str],
    violations: list[str],
) -> Remote:
    who = info["email"]
    row = session.scalars(
        select(IntegrationSettings).where(IntegrationSettings.user_id == user_id)
    ).one()
    if row.google_health != IntegrationHealth.OK or row.notion_health != IntegrationHealth.OK:
        violations.append(f"{who}: integration not healthy after the clean cycle")
    tasks = {
        t.id: t for t in session.scalars(select(StudyTask).where(StudyTask.user_id == user_id))
    }
    blocks = list(session.scalars(select(CalendarBlock).where(CalendarBlock.user_id == user_id)))
    pages = list(session.scalars(select(NotionTask).where(NotionTask.user_id == user_id)))
    live = (TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS)
    counts["live_tasks"] += sum(1 for t in tasks.values() if t.status in live)
    events = [
        e
        for e in google.admin.events(row.google_calendar_id or "")
        if e.get("status") != "cancelled"
    ]
    by_event = Counter(e["id"] for e in events)
    counts["live_events"] += len(events)
    live_blocks = {b.google_event_id for b in blocks if not b.is_tombstoned}
    for block in blocks:
        if block.is_dirty or block.pending_delete:
            violations.append(f"{who}: block {block.id} still dirty after the clean cycle")
        found = by_event[block.google_event_id]
        if not block.is_tombstoned and found != 1:
            violations.append(f"{who}: {block.study_task_id} has {found} events")
            counts["missing_or_duplicate_events"] += 1
    for event_id in by_event:
        if event_id not in live_blocks:
            violations.append(f"{who}: orphan event {event_id}")
            counts["orphan_events"] += 1
    for task in tasks.values():
        if task.status is TaskStatus.SCHEDULED and not any(
            b.study_task_id == task.id for b in blocks
        ):
            violations.append(f"{who}: scheduled task {task.id} has no block")
    data_source = info["workspace"].data_source_id
    remote = _remote_of(google, notion, row.google_calendar_id or "", data_source)
    counts["live_pages"] += sum(len(p) for p in remote.pages.values())
    live_rows = {str(p.study_task_id) for p in pages if not p.is_trashed}
    for page in pages:
        if page.is_dirty:
            violations.append(f"{who}: page of {page.study_task_id} still dirty")
        found = len(remote.pages.get(str(page.study_task_id), []))
        if not page.is_trashed and found != 1:
            violations.append(f"{who}: {page.study_task_id} has {found} pages")
            counts["missing_or_duplicate_pages"] += 1
    for task_id, same in remote.pages.items():
        if task_id not in live_rows:
            violations.append(f"{who}: orphan page for {task_id} ({len(same)})")
            counts["orphan_pages"] += 1
    recorded = set(session.scalars(select(SyncError.object_id).where(SyncError.user_id == user_id)))
    for item in [b for b in blocks if b.sync_error] + [p for p in pages if p.sync_error]:
        if str(item.id) not in recorded:
            violations.append(f"{who}: {item.id} has sync_error but no sync_errors row")
    return remote


def verify(
    engine: Engine,
    google: GoogleEmulator,
    notion: NotionEmulator,
    users: dict[uuid.UUID, dict[str, Any]],
    edits: list[Edit],
) -> tuple[dict[str, int], list[str]]:
    violations: list[str] = []
    names = (
        "edits",
        "edits_reflected",
        "edits_lost",
        "edits_lost_to_notion_write_race",
        "orphan_events",
        "orphan_pages",
    )
    counts: Counter[str] = Counter(dict.fromkeys(names, 0))
    counts.update(dict.fromkeys(("missing_or_duplicate_events", "missing_or_duplicate_pages"), 0))
    with session_scope(engine) as session:
        remotes = {
            user_id: _check_student(session, user_id, info, google, notion, counts, violations)
            for user_id, info in users.items()
        }
        for edit in edits:
            task = session.get(StudyTask, edit.task_id)
            assert task is not None
            counts["edits"] += 1
            counts["edits_on_dirty"] += edit.on_dirty
            counts["edits_mid_push"] += edit.mid_push
            in_db, remote = (
                reflected_in_db(edit, task),
                reflected_remotely(edit, remotes[edit.user_id]),
            )
            if in_db and remote:
                counts["edits_reflected"] += 1
                continue
            if edit.kind.startswith("notion_") and edit.on_dirty and edit.mid_push:
                # Notion has no conditional write (no If-Match): a student's edit that lands
                # between our read and our update of a page we had changed is overwritten by
                # that update. A known, open defect, counted on its own (README, "Sync under
                # faults"); every other lost edit is a violation.
                counts["edits_lost_to_notion_write_race"] += 1
                continue
            counts["edits_lost"] += 1
            where = "in the emulators" if in_db else "in our database"
            violations.append(
                f"edit {edit.kind} of task {edit.task_id} (dirty: {edit.on_dirty}, mid-push: "
                f"{edit.mid_push}) not reflected {where} (task {task.status.value} at "
                f"{task.scheduled_start})"
            )
        counts["sync_runs"] = session.scalar(select(func.count()).select_from(SyncRun)) or 0
        counts["sync_errors"] = session.scalar(select(func.count()).select_from(SyncError)) or 0
    return dict(counts), violations
