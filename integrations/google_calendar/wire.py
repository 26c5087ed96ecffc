"""Google's event JSON ↔ our domain values."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from integrations.google_calendar.values import (
    BLOCK_ID_PROPERTY,
    EventTime,
    EventWrite,
    RemoteEvent,
)
from planner.values import BusyInterval

JsonDict = dict[str, Any]


def parse_event(resource: JsonDict) -> RemoteEvent:
    start, start_all_day = _parse_time(resource.get("start"))
    end, _ = _parse_time(resource.get("end"))
    props = (resource.get("extendedProperties") or {}).get("private") or {}
    return RemoteEvent(
        id=str(resource["id"]),
        etag=resource.get("etag"),
        status=str(resource.get("status") or "confirmed"),
        start=start,
        end=end,
        all_day=start_all_day,
        summary=resource.get("summary"),
        description=resource.get("description"),
        private_props={str(k): str(v) for k, v in props.items()},
        updated=parse_instant(resource["updated"]) if resource.get("updated") else None,
    )


def parse_instant(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("Google sent a date-time without an offset")
    return moment


def parse_busy(calendar_id: str, spans: list[JsonDict]) -> list[BusyInterval]:
    return [
        BusyInterval(
            start=parse_instant(s["start"]).astimezone(UTC),
            end=parse_instant(s["end"]).astimezone(UTC),
            calendar_id=calendar_id,
        )
        for s in spans
    ]


def insert_body(op: EventWrite, event_id: str) -> JsonDict:
    assert op.start is not None and op.end is not None  # EventWrite checks it for inserts
    body: JsonDict = {
        "id": event_id,
        "start": time_value(op.start),
        "end": time_value(op.end),
        "summary": op.summary or "",
        "extendedProperties": {"private": private_props(op)},
    }
    if op.description:
        body["description"] = op.description
    return body


def patch_body(op: EventWrite) -> JsonDict:
    body: JsonDict = {"extendedProperties": {"private": private_props(op)}}
    if op.start is not None and op.end is not None:
        # The other form is nulled explicitly: a patch merges objects, and an event moved from
        # all-day to timed must not keep its old "date".
        body["start"] = time_value(op.start, clear_other=True)
        body["end"] = time_value(op.end, clear_other=True)
    if op.summary is not None:
        body["summary"] = op.summary
    if op.description is not None:
        body["description"] = op.description
    return body


def private_props(op: EventWrite) -> dict[str, str]:
    props = {str(k): str(v) for k, v in op.private_props.items()}
    props[BLOCK_ID_PROPERTY] = str(op.block_id)
    return props


def time_value(value: EventTime, *, clear_other: bool = False) -> JsonDict:
    if isinstance(value, datetime):
        out: JsonDict = {"dateTime": value.isoformat()}
        if clear_other:
            out["date"] = None
        return out
    out = {"date": value.isoformat()}
    if clear_other:
        out["dateTime"] = None
    return out


def _parse_time(raw: object) -> tuple[EventTime | None, bool]:
    if not isinstance(raw, dict):
        return None, False
    if raw.get("date"):
        return date.fromisoformat(str(raw["date"])), True
    if raw.get("dateTime"):
        return parse_instant(str(raw["dateTime"])), False
    return None, False
