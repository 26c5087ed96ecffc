"""Free/busy queries cut to Google's limits (≤ 50 calendars, ≤ 90 days each) and read back:
a calendar reported with an error inside a 200 raises, its busy times are unknown."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from integrations.google_calendar.errors import FreeBusyCalendarError, map_status
from integrations.google_calendar.wire import JsonDict, parse_busy
from planner.values import BusyInterval


def raise_for_freebusy_entry(cal_id: str, position: int, entry: JsonDict | None) -> None:
    if entry is None:
        raise FreeBusyCalendarError(
            f"calendar #{position} missing from the free/busy answer",
            calendar_id=cal_id,
            reason="missing",
        )
    errors = entry.get("errors") or []
    if not errors:
        return
    reason = str(errors[0].get("reason") or "unknown")
    if reason in ("internalError", "backendError"):
        raise map_status(
            503, reason, "free/busy temporarily unavailable", operation="freebusy.query"
        )
    raise FreeBusyCalendarError(
        f"free/busy of calendar #{position} is unavailable ({reason})",
        calendar_id=cal_id,
        reason=reason,
    )


def collect(answer: JsonDict, chunk: list[str], busy: dict[str, list[BusyInterval]]) -> None:
    """Add the busy intervals of `chunk`'s calendars from one freeBusy answer to `busy`."""
    calendars = answer.get("calendars") or {}
    for position, cal_id in enumerate(chunk):
        entry = calendars.get(cal_id)
        raise_for_freebusy_entry(cal_id, position, entry)
        assert entry is not None
        busy[cal_id].extend(parse_busy(cal_id, entry.get("busy") or []))


def windows(start: datetime, end: datetime, size: timedelta) -> list[tuple[datetime, datetime]]:
    windows: list[tuple[datetime, datetime]] = []
    cursor = start
    while cursor < end:
        windows.append((cursor, min(cursor + size, end)))
        cursor += size
    return windows


def chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for offset in range(0, len(items), size):
        yield items[offset : offset + size]


def merge_busy(intervals: list[BusyInterval]) -> list[BusyInterval]:
    merged: list[BusyInterval] = []
    for interval in sorted(intervals, key=lambda b: (b.start, b.end)):
        if merged and interval.start <= merged[-1].end:
            last = merged[-1]
            merged[-1] = BusyInterval(
                start=last.start, end=max(last.end, interval.end), calendar_id=last.calendar_id
            )
        else:
            merged.append(interval)
    return merged
