"""Recurring events of an LMS feed: RRULE in the event's own wall-clock time, RDATE, EXDATE and
RECURRENCE-ID overrides, bounded in steps and occurrences (a hostile feed cannot make us loop)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from itertools import islice
from typing import Any

from dateutil.rrule import rrulestr
from icalendar import Component, vRecur

from integrations.sources.ical_parts import (
    DEFAULT_EXPANSION,
    MAX_OCCURRENCES,
    MAX_RULE_STEPS,
    FeedError,
    FeedEvent,
    _check_errors,
    _end,
    _instant,
    _quote,
    _single,
    _text,
)


def _expand(
    component: Component,
    event: FeedEvent,
    overrides: list[tuple[Component, int | None]],
    *,
    zone: tzinfo,
    window: tuple[datetime, datetime] | None,
) -> tuple[tuple[datetime, datetime], ...]:
    """The (start, end) spans of a recurring event that overlap the window, in UTC.

    The rule is expanded in the event's local wall-clock time so a 10:00 lecture stays at 10:00
    across a DST change; only then are the instances converted to UTC.
    """
    uid, line = event.uid, event.line
    start_value = _single(component, "DTSTART", uid=uid, line=line).dt
    local_zone = start_value.tzinfo if isinstance(start_value, datetime) else None
    local_zone = local_zone or zone
    length = max(event.end - event.start, timedelta(0))
    if window is None:
        window_start, window_end = event.start, event.start + DEFAULT_EXPANSION
    else:
        window_start, window_end = (bound.astimezone(UTC) for bound in window)

    def to_utc(value: object) -> datetime:
        return _instant(value, local_zone, all_day_time=time(0), uid=uid, line=line)

    def wall(value: datetime) -> datetime:
        return value.astimezone(local_zone).replace(tzinfo=None)

    try:
        horizon_wall = wall(window_end)
        first_wall = wall(event.start)
    except OverflowError:
        raise FeedError("the recurrence horizon is out of range", uid=uid, line=line) from None

    starts: set[datetime] = {event.start}
    rule = component.get("RRULE")
    if rule is not None:
        rules = rule if isinstance(rule, list) else [rule]
        for recur in rules:
            starts.update(
                to_utc(local.replace(tzinfo=local_zone))
                for local in _rule_instances(
                    recur, first_wall, horizon_wall, local_zone, uid=uid, line=line
                )
            )
    for value in _date_list(component.get("RDATE")):
        starts.add(to_utc(value[0] if isinstance(value, tuple) else value))
    for value in _date_list(component.get("EXDATE")):
        starts.discard(to_utc(value))

    try:
        spans = {begin: begin + length for begin in starts}
        for override, override_line in overrides:
            moved = _override_span(override, local_zone, uid=uid, line=override_line)
            if moved is None:
                continue
            original, span = moved
            spans.pop(original, None)
            if span is not None:
                spans[span[0]] = span[1]
        in_window = sorted(
            (begin, end)
            for begin, end in spans.items()
            if begin < window_end and (end > window_start or begin == window_start)
        )
    except OverflowError:
        raise FeedError("a recurrence instance is out of range", uid=uid, line=line) from None
    return tuple(in_window[:MAX_OCCURRENCES])


def _rule_instances(
    recur: Any,
    first_wall: datetime,
    horizon_wall: datetime,
    zone: tzinfo,
    *,
    uid: str,
    line: int | None,
) -> list[datetime]:
    # COUNT is applied by slicing and UNTIL is clamped to the window's end: an impossible rule
    # (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30) would otherwise make dateutil search to year 9999.
    # MAX_RULE_STEPS bounds the work for fine frequencies (FREQ=MINUTELY over a year).
    try:
        parts: Any = vRecur(dict(recur))
        if not parts.get("FREQ"):
            raise FeedError("RRULE has no FREQ", uid=uid, line=line)
        counts = parts.pop("COUNT", None)
        count = int(counts[0]) if counts else None
        if count is not None and count < 1:
            raise FeedError(f"RRULE COUNT must be at least 1, got {count}", uid=uid, line=line)
        untils = parts.pop("UNTIL", None)
        bound = horizon_wall
        if untils:
            stop = untils[0]
            if isinstance(stop, datetime):
                # RFC 5545: UNTIL is UTC when DTSTART has a zone; a floating one is wall time.
                stop_wall = stop.astimezone(zone).replace(tzinfo=None) if stop.tzinfo else stop
            elif isinstance(stop, date):
                stop_wall = datetime.combine(stop, time(23, 59, 59))
            else:
                raise ValueError(f"UNTIL is not a date: {stop!r}")
            bound = min(bound, stop_wall)
        parts["UNTIL"] = [bound]
        if not _month_days_possible(parts):
            return []
        text = parts.to_ical()
        rule = rrulestr(text.decode() if isinstance(text, bytes) else str(text), dtstart=first_wall)
        limit = MAX_RULE_STEPS if count is None else min(count, MAX_RULE_STEPS)
        return list(islice(iter(rule), limit))
    except FeedError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise FeedError(f"cannot expand RRULE: {_quote(exc)}", uid=uid, line=line) from None


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _month_days_possible(parts: Any) -> bool:
    """False for BYMONTH/BYMONTHDAY pairs no calendar has (30 February): dateutil only checks
    UNTIL when it finds an instance, so such a rule would scan to the year 9999 (seconds of CPU).
    """
    days = [int(day) for day in parts.get("BYMONTHDAY", [])]
    if not days:
        return True
    months = [int(month) for month in parts.get("BYMONTH", [])] or list(range(1, 13))
    return any(
        0 < abs(day) <= _DAYS_IN_MONTH[month - 1]
        for month in months
        if 1 <= month <= 12
        for day in days
    )


def _date_list(value: Any) -> list[Any]:
    if value is None:
        return []
    properties = value if isinstance(value, list) else [value]
    return [item.dt for prop in properties for item in getattr(prop, "dts", ())]


def _override_span(
    override: Component, zone: tzinfo, *, uid: str, line: int | None
) -> tuple[datetime, tuple[datetime, datetime] | None] | None:
    """The instance a RECURRENCE-ID override replaces and its new span (None: cancelled)."""
    _check_errors(override, uid=uid, line=line)
    recurrence_id = _single(override, "RECURRENCE-ID", uid=uid, line=line)
    original = _instant(recurrence_id.dt, zone, all_day_time=time(0), uid=uid, line=line)
    if _text(override.get("STATUS")).strip().upper() == "CANCELLED":
        return original, None
    start_prop = _single(override, "DTSTART", uid=uid, line=line)
    if start_prop is None:
        return None
    start_value = start_prop.dt
    start = _instant(start_value, zone, all_day_time=time(0), uid=uid, line=line)
    end = _end(override, start_value, start, start, zone, uid=uid, line=line)
    return original, (start, end)
