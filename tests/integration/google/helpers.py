"""Small builders shared by the Google tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from integrations.google_calendar import EventWrite, EventWriteResult

MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)


def inserts(count: int, *, start: datetime = MONDAY, minutes: int = 45) -> list[EventWrite]:
    """`count` study blocks, one an hour from `start`."""
    return [
        EventWrite(
            "insert",
            uuid.uuid4(),
            start=start + timedelta(hours=i),
            end=start + timedelta(hours=i, minutes=minutes),
            summary=f"Study block {i}",
            description=f"Topic {i % 7}",
            private_props={"studyplanner_task_id": str(i)},
        )
        for i in range(count)
    ]


def patch_of(result: EventWriteResult, **changes: object) -> EventWrite:
    op = result.op
    return EventWrite(
        "patch",
        op.block_id,
        etag=result.etag,
        start=changes.get("start", op.start),  # type: ignore[arg-type]
        end=changes.get("end", op.end),  # type: ignore[arg-type]
        summary=changes.get("summary", op.summary),  # type: ignore[arg-type]
        description=op.description,
    )


def delete_of(result: EventWriteResult) -> EventWrite:
    return EventWrite("delete", result.op.block_id, etag=result.etag)
