"""Domain values the rest of the project exchanges with the Notion adapter (no Notion JSON)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from planner.vocabulary import NotionStatus as NotionStatus


@dataclass(frozen=True)
class DataSourceRef:
    id: str
    name: str
    database_id: str


@dataclass(frozen=True)
class SharedItem:
    """A page or data source the student shared with the integration (`database_id` for a
    data source: the database it belongs to)."""

    id: str
    title: str
    database_id: str = ""


@dataclass(frozen=True)
class NotionTaskContent:
    """What one study task looks like as a Notion page."""

    task_id: str
    title: str
    status: NotionStatus
    scheduled_start: datetime | None = None
    scheduled_end: datetime | None = None
    due: datetime | None = None
    course: str | None = None
    task_type: str | None = None
    minutes: int | None = None
    priority: float | None = None
    topics: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class RemotePage:
    """A page as the user may have left it: only the fields the user's edits matter for."""

    page_id: str
    task_id: str | None
    title: str
    status: NotionStatus | None  # None: empty, or an option that is not in our mapping
    scheduled_start: datetime | None
    scheduled_end: datetime | None
    in_trash: bool
    last_edited_time: datetime
    content_hash: str
    scheduled_is_date_only: bool = False  # the user picked a day without a time


@dataclass(frozen=True)
class NotionPageResult:
    """The outcome of a write. `properties` is the property JSON we sent (for
    NotionTask.notion_properties); `content_hash` is computed from Notion's response and equals
    `RemotePage.content_hash` when the page comes back unchanged."""

    page_id: str
    content_hash: str
    last_edited_time: datetime
    properties: dict[str, Any] = field(default_factory=dict)
    adopted: bool = False  # found by Task ID after an ambiguous create, not created by this call


def _instant(value: datetime | None) -> str | None:
    # Minute precision: Notion's date picker has no seconds, so seconds must not look like edits.
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("datetimes exchanged with Notion must be timezone-aware")
    return value.astimezone(UTC).replace(second=0, microsecond=0).isoformat()


def page_content_hash(
    *,
    task_id: str | None,
    title: str,
    status: NotionStatus | None,
    scheduled_start: datetime | None,
    scheduled_end: datetime | None,
    in_trash: bool = False,
) -> str:
    """Hash of the user-editable state of a page; dates compared as instants."""
    payload = json.dumps(
        [
            task_id,
            title,
            status.value if status is not None else None,
            _instant(scheduled_start),
            _instant(scheduled_end),
            in_trash,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def content_hash_of(task: NotionTaskContent, *, in_trash: bool = False) -> str:
    return page_content_hash(
        task_id=task.task_id,
        title=task.title,
        status=task.status,
        scheduled_start=task.scheduled_start,
        scheduled_end=task.scheduled_end,
        in_trash=in_trash,
    )


def push_hash(task: NotionTaskContent) -> str:
    """Hash of everything we push, to tell whether a page needs an update at all."""
    payload = json.dumps(
        [
            task.task_id,
            task.title,
            task.status.value,
            _instant(task.scheduled_start),
            _instant(task.scheduled_end),
            _instant(task.due),
            task.course,
            task.task_type,
            task.minutes,
            task.priority,
            sorted(task.topics),
            task.description,
        ],
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()
