"""The plan against the stored tasks → the task writes that make the database match the plan.
Pure. The remote mirrors follow the tasks: every write here marks them dirty in the shell.

Keys: a planned task's id (the planner's deterministic chunk id) is stored as `plan_key`. If that
key belongs to a task the student skipped, or whose block they deleted in Google, the planner's
work is placed under a derived key (`<key>/again-<n>`), so a deleted block is never recreated
and the re-placed work is a new task with its own history. An expired task under the key is
revived in place (its history shows the miss and the new time).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from planner.lifecycle import TaskStatus
from planner.values import Plan, PlannedTask

AGAIN_NAMESPACE = uuid.UUID("0b6f1f5e-83c2-4d55-a0f1-6f7f2b3c9d10")
OPEN = (TaskStatus.PENDING, TaskStatus.SCHEDULED)


@dataclass(frozen=True, slots=True)
class StoredTask:
    task_id: str
    plan_key: str | None
    status: TaskStatus
    start: datetime | None
    end: datetime | None
    duration_min: int
    title: str
    pinned: bool = False
    block_tombstoned: bool = False


@dataclass(frozen=True, slots=True)
class TaskWrite:
    kind: Literal["create", "move", "update", "revive", "drop"]
    plan_key: str
    planned: PlannedTask | None = None
    task_id: str | None = None  # the stored task it changes (None for create)


def again_key(key: str, attempt: int) -> str:
    return str(uuid.uuid5(AGAIN_NAMESPACE, f"{key}:{attempt}"))


def _blocked(task: StoredTask) -> bool:
    """The key is spoken for by a decision of the student's."""
    return task.status in (TaskStatus.SKIPPED, TaskStatus.COMPLETED) or task.block_tombstoned


def resolve_key(planned_id: str, stored: dict[str, StoredTask]) -> str:
    key, attempt = planned_id, 0
    while key in stored and _blocked(stored[key]):
        attempt += 1
        key = again_key(planned_id, attempt)
    return key


def diff_plan(plan: Plan, stored_tasks: Iterable[StoredTask]) -> list[TaskWrite]:
    stored = {t.plan_key: t for t in stored_tasks if t.plan_key}
    writes: list[TaskWrite] = []
    wanted: set[str] = set()
    for planned in plan.tasks:
        key = resolve_key(planned.id, stored)
        wanted.add(key)
        existing = stored.get(key)
        if existing is None:
            writes.append(TaskWrite("create", key, planned))
        elif existing.status is TaskStatus.EXPIRED:
            writes.append(TaskWrite("revive", key, planned, existing.task_id))
        elif existing.status in OPEN and not existing.pinned:
            if (existing.start, existing.end) != (planned.scheduled_start, planned.scheduled_end):
                writes.append(TaskWrite("move", key, planned, existing.task_id))
            elif (existing.duration_min, existing.title) != (planned.duration_min, planned.title):
                writes.append(TaskWrite("update", key, planned, existing.task_id))
    for key, task in sorted(stored.items()):
        if key not in wanted and task.status in OPEN and not task.pinned:
            writes.append(TaskWrite("drop", key, None, task.task_id))
    return writes
