"""Task values ↔ Notion page-property JSON, within Notion's limits.

Limits (2025-09-03): a text object holds at most 2000 characters, an array at most 100
elements, select option names at most 100 characters and no commas. Long text is split into
several text objects (up to 100 × 2000 characters; beyond that it is truncated). We count
UTF-16 code units, the way Notion's JavaScript backend counts, so an emoji counts twice.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from integrations.notion.schema import SchemaMapping, StatusKind
from integrations.notion.values import (
    NotionStatus,
    NotionTaskContent,
    RemotePage,
    page_content_hash,
)

MAX_TEXT_UNITS = 2000
MAX_ARRAY_ITEMS = 100
MAX_OPTION_CHARS = 100

Json = dict[str, Any]


def _units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def split_text(
    text: str, *, limit: int = MAX_TEXT_UNITS, max_items: int = MAX_ARRAY_ITEMS
) -> list[str]:
    """Chunks of at most `limit` UTF-16 units; at most `max_items` chunks (the rest is cut)."""
    chunks: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = _units(char)
        if used + size > limit:
            chunks.append("".join(current))
            if len(chunks) == max_items:
                return chunks
            current, used = [], 0
        current.append(char)
        used += size
    if current:
        chunks.append("".join(current))
    return chunks[:max_items]


def rich_text(text: str) -> list[Json]:
    return [{"type": "text", "text": {"content": chunk}} for chunk in split_text(text)]


def option_name(raw: str) -> str:
    # Commas separate options in Notion's UI, so the API refuses them in option names.
    cleaned = " ".join(raw.replace(",", " ").split())
    return cleaned[:MAX_OPTION_CHARS] or "-"


def topic_options(topics: tuple[str, ...]) -> list[Json]:
    seen: list[str] = []
    for topic in topics:
        name = option_name(topic)
        if name not in seen:
            seen.append(name)
    return [{"name": name} for name in seen[:MAX_ARRAY_ITEMS]]


def _iso(value: datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("datetimes sent to Notion must be timezone-aware")
    return value.astimezone(UTC).isoformat()


def date_value(start: datetime | None, end: datetime | None) -> Json | None:
    if start is None:
        return None
    return {"start": _iso(start), "end": _iso(end) if end is not None else None}


def _select(value: str | None) -> Json:
    return {"select": {"name": option_name(value)} if value else None}


def build_properties(
    task: NotionTaskContent, mapping: SchemaMapping, status_kind: StatusKind
) -> Json:
    """The full property JSON for a page: every mapped property, so an update resets user edits
    of fields the plan owns (Notion replaces whole property values)."""
    return {
        mapping.title: {"title": rich_text(task.title)},
        mapping.status: {status_kind: {"name": mapping.option_for(task.status)}},
        mapping.scheduled: {"date": date_value(task.scheduled_start, task.scheduled_end)},
        mapping.due: {"date": date_value(task.due, None)},
        mapping.course: _select(task.course),
        mapping.task_type: _select(task.task_type),
        mapping.minutes: {"number": task.minutes},
        mapping.priority: {
            "number": round(task.priority, 4) if task.priority is not None else None
        },
        mapping.topics: {"multi_select": topic_options(task.topics)},
        mapping.task_id: {"rich_text": rich_text(task.task_id)},
        mapping.description: {"rich_text": rich_text(task.description)},
    }


def status_property(status: NotionStatus, mapping: SchemaMapping, status_kind: StatusKind) -> Json:
    return {mapping.status: {status_kind: {"name": mapping.option_for(status)}}}


# ------------------------------------------------------------------------------------ reading


def parse_notion_time(raw: str) -> datetime:
    parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _parse_date_start(raw: str) -> tuple[datetime, bool]:
    if len(raw) == 10:
        day = date.fromisoformat(raw)
        return datetime(day.year, day.month, day.day, tzinfo=UTC), True
    return parse_notion_time(raw), False


def _plain(value: Any) -> str:
    if not isinstance(value, list):
        return ""
    return "".join(
        str(part.get("plain_text") or part.get("text", {}).get("content", "")) for part in value
    )


def _value(properties: Json, name: str) -> Any:
    prop = properties.get(name)
    if not isinstance(prop, dict):
        return None
    return prop.get(prop.get("type", ""))


def parse_page(page: Json, mapping: SchemaMapping) -> RemotePage:
    properties: Json = page.get("properties") or {}
    title = _plain(_value(properties, mapping.title))
    task_id = _plain(_value(properties, mapping.task_id)) or None
    status_value = _value(properties, mapping.status)
    status = (
        mapping.status_for(status_value.get("name")) if isinstance(status_value, dict) else None
    )
    start: datetime | None = None
    end: datetime | None = None
    date_only = False
    scheduled = _value(properties, mapping.scheduled)
    if isinstance(scheduled, dict) and scheduled.get("start"):
        start, date_only = _parse_date_start(str(scheduled["start"]))
        if scheduled.get("end"):
            end, _ = _parse_date_start(str(scheduled["end"]))
    in_trash = bool(page.get("in_trash", page.get("archived", False)))
    return RemotePage(
        page_id=str(page["id"]),
        task_id=task_id,
        title=title,
        status=status,
        scheduled_start=start,
        scheduled_end=end,
        in_trash=in_trash,
        last_edited_time=parse_notion_time(str(page["last_edited_time"])),
        content_hash=page_content_hash(
            task_id=task_id,
            title=title,
            status=status,
            scheduled_start=start,
            scheduled_end=end,
            in_trash=in_trash,
        ),
        scheduled_is_date_only=date_only,
    )
