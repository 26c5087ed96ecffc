"""Parse an LMS calendar feed (Canvas, Moodle, Blackboard iCalendar export) into ``FeedEvent``s.

Pure: bytes in, frozen values out; fetching the feed (its URL is a secret) is the caller's job.
Any bad input — not iCalendar, wrong encoding, an event without UID or DTSTART, a broken date —
raises ``FeedError`` naming the event (UID and the line of its ``BEGIN:VEVENT``) and the reason.
No other exception escapes ``parse_feed``.

Mapping (see also API-FACTS.md, "LMS calendar feeds"):

* **source** from PRODID: "Instructure"/"Canvas" → canvas, "Moodle" → moodle, "Blackboard" →
  blackboard, anything else → unknown.
* **course**: a bracketed suffix of SUMMARY (Canvas: ``Homework 1 [CSE 110 Fall 2026]``) or, when
  there is none, the first CATEGORIES value (Moodle: ``2026 Autumn - HIST-210 - Modern Europe``).
  ``course_label`` keeps that raw text; ``course_code`` is a normalised guess — the first
  "letters + number" pair that is not a term word, upper-cased and joined by one space
  (``CSE 110``, ``MATH 101``, ``BISC 104``, ``HIST 210``) — or None.
* **title**: SUMMARY without the bracketed course and without Moodle's "is due" / "due" /
  "closes" / "opens" suffix.
* **due** (aware UTC) = DTSTART. A TZID is resolved through the feed's VTIMEZONE (or the IANA
  name), a floating time is read in the feed's zone (``X-WR-TIMEZONE`` if valid, else
  ``default_tz``), and an all-day date (``VALUE=DATE``) is due at 23:59:59 local time that day.
  ``start`` is the same instant (all-day: 00:00 local that day).
  ``end`` = DTEND, or DTSTART + DURATION, or ``due`` (all-day: the start of the DTEND day).
* **kind**: ``busy`` for recurring events (RRULE/RDATE: a weekly lecture), Moodle "X opens"
  markers and Canvas calendar events (``event-calendar-event-…``: office hours) unless the title
  names an exam or quiz; ``assessment`` for Canvas assignments (``event-assignment-…``), "X is
  due"/"X closes", deadlines (an instant or an all-day date) and titles naming an exam, midterm,
  final, quiz or test; any other timed event with a duration is ``busy``.
* **description**: DESCRIPTION (or X-ALT-DESC) with HTML tags stripped, entities unescaped,
  whitespace collapsed; **url**: the URL property if it is http(s).

* **occurrences**: ``((start, end),)`` for a plain event. A recurring event is expanded —
  RRULE in its own wall-clock time (a 10:00 lecture stays at 10:00 across DST), plus RDATE,
  minus EXDATE, with RECURRENCE-ID overrides moving or cancelling single instances — and keeps
  the instances overlapping the ``window`` (at most 1000).

Overrides (RECURRENCE-ID) are folded into their series, not returned as events. Two events with
the same UID are an error: the importer upserts by UID.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from icalendar import Calendar, Component

from integrations.sources.ical_parts import (
    _MAX_QUOTE,
    ALL_DAY_DUE,
    FeedError,
    FeedEvent,
    FeedKind,
    FeedSource,
    ParsedFeed,
    _check_errors,
    _course_code,
    _description,
    _end,
    _first_category,
    _instant,
    _kind,
    _quote,
    _recurrence,
    _single,
    _split_course,
    _split_moodle_verb,
    _text,
    _url,
)
from integrations.sources.ical_recurrence import _expand

__all__ = ["FeedError", "FeedEvent", "FeedKind", "FeedSource", "ParsedFeed", "parse_feed"]


__all__ = ["FeedError", "FeedEvent", "ParsedFeed", "parse_feed"]


def parse_feed(
    data: bytes,
    *,
    default_tz: tzinfo | str = "UTC",
    window: tuple[datetime, datetime] | None = None,
) -> ParsedFeed:
    """Parse an iCalendar feed.

    ``default_tz`` (the user's zone) reads floating times and all-day dates when the feed does
    not name its own zone (``X-WR-TIMEZONE``). Recurring events are expanded into the
    ``occurrences`` that overlap ``window`` (aware [start, end), e.g. now → now + the planning
    horizon) or, when it is None, the 366 days from their first instance; at most 1000 each.
    """
    fallback_zone = _zone(default_tz)
    if window is not None and any(
        bound.tzinfo is None or bound.utcoffset() is None for bound in window
    ):
        raise ValueError("window bounds must be timezone-aware")
    text = _decode(data)
    calendar = _read_calendar(text)
    event_lines = _vevent_lines(text)
    try:
        source = _source(_text(calendar.get("PRODID")))
        calendar_name = _text(calendar.get("X-WR-CALNAME")) or None
        feed_zone = _feed_zone(_text(calendar.get("X-WR-TIMEZONE")), fallback_zone)
        components = list(calendar.walk("VEVENT"))
    except FeedError:
        raise
    except Exception as exc:  # icalendar raises many types on malformed input; see module doc
        raise FeedError(f"cannot read the calendar: {_quote(exc)}") from None

    checked = [_checked_uid(c, i, event_lines, len(components)) for i, c in enumerate(components)]
    series = {uid for component, uid, _ in checked if component.get("RECURRENCE-ID") is None}
    overrides: dict[str, list[tuple[Component, int | None]]] = {}
    events: list[FeedEvent] = []
    seen: dict[str, int | None] = {}
    for component, uid, line in checked:
        if component.get("RECURRENCE-ID") is not None and uid in series:
            overrides.setdefault(uid, []).append((component, line))
    for component, uid, line in checked:
        if component.get("RECURRENCE-ID") is not None and uid in series:
            continue
        if uid in seen:
            raise FeedError(f"duplicate UID (first seen at line {seen[uid]})", uid=uid, line=line)
        seen[uid] = line
        try:
            event = _event(component, uid=uid, line=line, source=source, zone=feed_zone)
            if event.recurrence is not None or component.get("RDATE") is not None:
                occurrences = _expand(
                    component,
                    event,
                    overrides.get(uid, []),
                    zone=feed_zone,
                    window=window,
                )
                event = replace(event, occurrences=occurrences)
        except FeedError:
            raise
        except Exception as exc:  # a broken property icalendar only reports on access
            raise FeedError(f"cannot read the event: {_quote(exc)}", uid=uid, line=line) from None
        events.append(event)
    return ParsedFeed(
        source=source,
        calendar_name=calendar_name,
        timezone=str(feed_zone),
        events=tuple(events),
    )


def _checked_uid(
    component: Component, index: int, event_lines: list[int], count: int
) -> tuple[Component, str, int | None]:
    line = event_lines[index] if len(event_lines) == count else None
    uid_value = component.get("UID")
    uid = _text(uid_value).strip()
    if isinstance(uid_value, list):
        raise FeedError("UID appears more than once in one event", uid=uid, line=line)
    if not uid:
        raise FeedError(f"VEVENT number {index + 1} has no UID", line=line)
    return component, uid, line


# --- reading the calendar -----------------------------------------------------------------


def _decode(data: bytes) -> str:
    if not isinstance(data, bytes | bytearray):
        raise FeedError(f"expected the feed as bytes, got {type(data).__name__}")
    try:
        text = bytes(data).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FeedError(
            f"not UTF-8 text: invalid byte 0x{data[exc.start]:02x} at line {line}, "
            f"offset {exc.start} (iCalendar feeds are UTF-8)"
        ) from None
    if "\x00" in text:
        raise FeedError("not an iCalendar feed: the data contains NUL bytes")
    return text


def _read_calendar(text: str) -> Component:
    first = text.lstrip().split("\n", 1)[0].strip()
    if first.upper() != "BEGIN:VCALENDAR":
        raise FeedError(
            "not an iCalendar feed: expected BEGIN:VCALENDAR on the first line, "
            f"got {first[:_MAX_QUOTE]!r}"
        )
    try:
        calendar = Calendar.from_ical(text)
    except Exception as exc:  # ValueError mostly, but also IndexError/KeyError on odd input
        raise FeedError(f"not a valid iCalendar feed: {_quote(exc)}") from None
    if not isinstance(calendar, Component) or calendar.name != "VCALENDAR":
        raise FeedError("not an iCalendar feed: the top component is not VCALENDAR")
    return calendar


def _vevent_lines(text: str) -> list[int]:
    return [
        number
        for number, raw in enumerate(text.splitlines(), start=1)
        if raw.strip().upper() == "BEGIN:VEVENT"
    ]


def _source(prodid: str) -> FeedSource:
    lowered = prodid.lower()
    if "instructure" in lowered or "canvas" in lowered:
        return "canvas"
    if "moodle" in lowered:
        return "moodle"
    if "blackboard" in lowered:
        return "blackboard"
    return "unknown"


def _zone(value: tzinfo | str) -> tzinfo:
    if isinstance(value, tzinfo):
        return value
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"default_tz must be an IANA time zone, got {value!r}") from None


def _feed_zone(name: str, fallback: tzinfo) -> tzinfo:
    name = name.strip()
    if not name:
        return fallback
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # A feed naming a zone we do not know still imports, read in the user's zone.
        return fallback


# --- one event ----------------------------------------------------------------------------


def _event(
    component: Component, *, uid: str, line: int | None, source: FeedSource, zone: tzinfo
) -> FeedEvent:
    _check_errors(component, uid=uid, line=line)
    start_prop = _single(component, "DTSTART", uid=uid, line=line)
    if start_prop is None:
        raise FeedError("missing DTSTART", uid=uid, line=line)
    start_value = start_prop.dt
    all_day = isinstance(start_value, date) and not isinstance(start_value, datetime)
    start = _instant(start_value, zone, all_day_time=time(0), uid=uid, line=line)
    due = _instant(start_value, zone, all_day_time=ALL_DAY_DUE, uid=uid, line=line)
    end = _end(component, start_value, start, due, zone, uid=uid, line=line)

    summary = _text(component.get("SUMMARY")).strip()
    title, course_label = _split_course(summary)
    if course_label is None:
        course_label = _first_category(component.get("CATEGORIES"))
    title, verb = _split_moodle_verb(title)
    recurrence = _recurrence(component)
    kind = _kind(
        uid=uid,
        title=title,
        verb=verb,
        recurring=recurrence is not None or component.get("RDATE") is not None,
        instant=end in (start, due),
        all_day=all_day,
    )
    return FeedEvent(
        uid=uid,
        title=title or summary or "(untitled)",
        kind=kind,
        source=source,
        start=start,
        due=due,
        end=end,
        all_day=all_day,
        course_code=_course_code(course_label),
        course_label=course_label,
        url=_url(component.get("URL")),
        description=_description(component),
        recurrence=recurrence,
        line=line,
        occurrences=((start, end),),
    )
