"""Small builders shared by the Notion tests."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from notion_client import Client

from integrations.notion import NotionStatus, NotionTaskContent

BASE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def make_task(i: int, **overrides: Any) -> NotionTaskContent:
    start = BASE + timedelta(hours=2 * i)
    values: dict[str, Any] = {
        "task_id": f"task-{i:04d}",
        "title": f"Study session {i}",
        "status": NotionStatus.TODO,
        "scheduled_start": start,
        "scheduled_end": start + timedelta(minutes=50),
        "due": BASE + timedelta(days=7),
        "course": "MATH 101",
        "task_type": "problem_set",
        "minutes": 50,
        "priority": 0.75,
        "topics": ("Limits", "Derivatives"),
        "description": "Work through section 2.3.",
    }
    values.update(overrides)
    return NotionTaskContent(**values)


def page_text(page: dict[str, Any], prop: str) -> str:
    value = page["properties"][prop]
    return "".join(part["plain_text"] for part in value[value["type"]])


def raw_client(base_url: str, token: str) -> Client:
    """notion-client itself, to show what the raw API answers."""
    return Client(
        auth=token, base_url=base_url, logger=logging.getLogger("tests.notion.raw"), retry=False
    )


def as_dict(value: object) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value
