"""A student's tasks with their Google and Notion mirrors, loaded once per sync (three queries).

The one read of the task rows in a sync: the decide step takes its snapshots from here, the write
step applies its changes to these same objects, and the planner's inputs are built from them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CalendarBlock, NotionTask, StudyTask
from sync.diff import StoredTask
from sync.reconcile import TaskSnapshot


@dataclass
class UserRows:
    """A user's tasks with their mirrors, loaded in three queries."""

    tasks: dict[uuid.UUID, StudyTask]
    blocks: dict[uuid.UUID, CalendarBlock]  # by task id
    pages: dict[uuid.UUID, NotionTask]  # by task id
    blocks_by_event: dict[str, CalendarBlock] = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session, user_id: uuid.UUID) -> UserRows:
        tasks = {
            t.id: t for t in session.scalars(select(StudyTask).where(StudyTask.user_id == user_id))
        }
        blocks = {
            b.study_task_id: b
            for b in session.scalars(select(CalendarBlock).where(CalendarBlock.user_id == user_id))
            if b.study_task_id is not None
        }
        pages = {
            p.study_task_id: p
            for p in session.scalars(select(NotionTask).where(NotionTask.user_id == user_id))
        }
        by_event = {b.google_event_id: b for b in blocks.values() if b.google_event_id}
        return cls(tasks, blocks, pages, by_event)

    def snapshots(self) -> list[TaskSnapshot]:
        out = []
        for task in sorted(self.tasks.values(), key=lambda t: str(t.id)):
            block = self.blocks.get(task.id)
            page = self.pages.get(task.id)
            out.append(
                TaskSnapshot(
                    task_id=str(task.id),
                    status=task.status,
                    title=task.title,
                    start=task.scheduled_start,
                    end=task.scheduled_end,
                    pinned=task.is_pinned,
                    google_hash=block.content_hash if block and block.is_synced else None,
                    notion_hash=page.content_hash if page and page.is_synced else None,
                    google_tombstoned=bool(block and block.is_tombstoned),
                    notion_trashed=bool(page and page.is_trashed),
                )
            )
        return out

    def stored(self) -> list[StoredTask]:
        return [
            StoredTask(
                task_id=str(t.id),
                plan_key=t.plan_key,
                status=t.status,
                start=t.scheduled_start,
                end=t.scheduled_end,
                duration_min=t.estimated_duration_min,
                title=t.title,
                pinned=t.is_pinned,
                block_tombstoned=bool(self.blocks.get(t.id) and self.blocks[t.id].is_tombstoned),
            )
            for t in self.tasks.values()
        ]
