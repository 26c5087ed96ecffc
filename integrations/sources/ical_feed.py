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

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from html.parser import HTMLParser
from itertools import islice
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr
from icalendar import Calendar, Component, vRecur

__all__ = ["FeedError", "FeedEvent", "FeedKind", "FeedSource", "ParsedFeed", "parse_feed"]

FeedKind = Literal["assessment", "busy"]
FeedSource = Literal["canvas", "moodle", "blackboard", "unknown"]

ALL_DAY_DUE = time(23, 59, 59)
MAX_OCCURRENCES = 1000
MAX_RULE_STEPS = 20_000
DEFAULT_EXPANSION = timedelta(days=366)
_MAX_QUOTE = 60


class FeedError(ValueError):
    """The feed cannot be imported. ``uid`` and ``line`` name the event when there is one."""

    def __init__(self, reason: str, *, uid: str | None = None, line: int | None = None) -> None:
        self.reason = reason
        self.uid = uid
        self.line = line
        where = []
        if uid:
            where.append(f"UID {uid}")
        if line is not None:
            where.append(f"line {line}")
        prefix = f"event {', '.join(where)}: " if where else ""
        super().__init__(f"{prefix}{reason}")


@dataclass(frozen=True, slots=True)
class FeedEvent:
    """One VEVENT. Times are aware UTC: ``due`` is the deadline (all-day: 23:59:59 local),
    ``start``/``end`` the span the event covers (busy time; all-day: from 00:00 local).
    ``occurrences`` lists (start, end) spans: the event itself for a plain event; for a
    recurring one (RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) the instances that overlap the
    expansion window — possibly none."""

    uid: str
    title: str
    kind: FeedKind
    source: FeedSource
    start: datetime
    due: datetime
    end: datetime
    all_day: bool
    course_code: str | None
    course_label: str | None
    url: str | None
    description: str
    recurrence: str | None
    line: int | None
    occurrences: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    source: FeedSource
    calendar_name: str | None
    timezone: str
    events: tuple[FeedEvent, ...]

    @property
    def assessments(self) -> tuple[FeedEvent, ...]:
        return tuple(e for e in self.events if e.kind == "assessment")

    @property
    def busy(self) -> tuple[FeedEvent, ...]:
        return tuple(e for e in self.events if e.kind == "busy")


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


_CHECKED = frozenset(
    {"DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID", "UID"}
)


def _check_errors(component: Component, *, uid: str, line: int | None) -> None:
    # icalendar keeps an unparsable value as a "broken" property and raises only on access.
    for name, reason in getattr(component, "errors", ()):
        if str(name).upper() in _CHECKED:
            raise FeedError(f"bad {name}: {_quote(reason)}", uid=uid, line=line)


def _single(component: Component, name: str, *, uid: str, line: int | None) -> Any:
    value = component.get(name)
    if isinstance(value, list):
        raise FeedError(f"{name} appears {len(value)} times in one event", uid=uid, line=line)
    return value


def _instant(
    value: object, zone: tzinfo, *, all_day_time: time, uid: str, line: int | None
) -> datetime:
    if isinstance(value, datetime):
        local = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    elif isinstance(value, date):
        local = datetime.combine(value, all_day_time, tzinfo=zone)
    else:
        raise FeedError(
            f"DTSTART/DTEND must be a date or date-time, got {type(value).__name__}",
            uid=uid,
            line=line,
        )
    try:
        if local.utcoffset() is None:
            raise FeedError("the event's time zone has no UTC offset", uid=uid, line=line)
        return local.astimezone(UTC)
    except OverflowError:
        raise FeedError(f"date {value} is out of range", uid=uid, line=line) from None


def _end(
    component: Component,
    start_value: object,
    start: datetime,
    due: datetime,
    zone: tzinfo,
    *,
    uid: str,
    line: int | None,
) -> datetime:
    end_prop = _single(component, "DTEND", uid=uid, line=line)
    duration_prop = _single(component, "DURATION", uid=uid, line=line)
    if end_prop is not None:
        end_value = end_prop.dt
        if isinstance(start_value, datetime) != isinstance(end_value, datetime):
            raise FeedError("DTSTART and DTEND mix a date and a date-time", uid=uid, line=line)
        if end_value == start_value:
            # An instant; Canvas also writes DTEND = DTSTART for an all-day due date.
            return due
        # DTEND of an all-day event is exclusive: the event ends when that day starts.
        end = _instant(end_value, zone, all_day_time=time(0), uid=uid, line=line)
    elif duration_prop is not None:
        length = duration_prop.dt
        if not isinstance(length, timedelta):
            raise FeedError("DURATION is not a duration", uid=uid, line=line)
        if not length:
            return due
        try:
            end = start + length
        except OverflowError:
            raise FeedError(f"DURATION {length} is out of range", uid=uid, line=line) from None
    else:
        return due
    if end < start:
        raise FeedError("the event ends before it starts (DTEND < DTSTART)", uid=uid, line=line)
    return end


# --- recurring events ---------------------------------------------------------------------


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


_BRACKET_SUFFIX = re.compile(r"^(?P<title>.*?)\s*\[(?P<course>[^\[\]]+)\]\s*$", re.DOTALL)
_MOODLE_VERB = re.compile(
    r"^(?P<title>.+?)\s+(?P<verb>is due|due|closes|opens)(?:\s+for\s+\w+)?\s*$",
    re.IGNORECASE | re.DOTALL,
)
_EXAM_WORDS = re.compile(r"\b(exam|examination|midterm|mid-term|final|quiz|test)s?\b", re.I)
_CODE = re.compile(r"(?<![A-Za-z])([A-Za-z]{2,6})[\s_-]?(\d{2,4}[A-Za-z]?)(?![A-Za-z0-9])")
_TERM_WORDS = frozenset(
    {"FALL", "SPRING", "SUMMER", "WINTER", "AUTUMN", "TERM", "SEM", "YEAR", "WEEK", "SECTION"}
)


def _split_course(summary: str) -> tuple[str, str | None]:
    match = _BRACKET_SUFFIX.match(summary)
    if match is None:
        return summary, None
    course = match.group("course").strip()
    return match.group("title").strip(), course or None


def _split_moodle_verb(title: str) -> tuple[str, str | None]:
    match = _MOODLE_VERB.match(title)
    if match is None:
        return title, None
    return match.group("title").strip(), match.group("verb").lower()


def _course_code(label: str | None) -> str | None:
    if not label:
        return None
    for match in _CODE.finditer(label):
        department = match.group(1).upper()
        if department in _TERM_WORDS:
            continue
        return f"{department} {match.group(2).upper()}"
    return None


def _first_category(value: Any) -> str | None:
    properties = value if isinstance(value, list) else [value] if value is not None else []
    for prop in properties:
        for category in getattr(prop, "cats", ()):
            text = str(category).strip()
            if text:
                return text
    return None


def _recurrence(component: Component) -> str | None:
    rule = component.get("RRULE")
    if rule is None:
        return None
    first: Any = rule[0] if isinstance(rule, list) else rule
    ical = first.to_ical()
    return ical.decode("utf-8", "replace") if isinstance(ical, bytes) else str(ical)


def _kind(
    *, uid: str, title: str, verb: str | None, recurring: bool, instant: bool, all_day: bool
) -> FeedKind:
    if recurring or verb == "opens":
        return "busy"
    if verb in ("is due", "due", "closes") or "assignment" in uid.lower():
        return "assessment"
    names_exam = _EXAM_WORDS.search(title) is not None
    if "calendar-event" in uid.lower():
        return "assessment" if names_exam else "busy"
    if instant or all_day or names_exam:
        return "assessment"
    return "busy"


def _url(value: Any) -> str | None:
    if value is None:
        return None
    text = _text(value).strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme in ("http", "https") and parts.netloc else None


def _description(component: Component) -> str:
    raw = _text(component.get("DESCRIPTION"))
    if not raw.strip():
        raw = _text(component.get("X-ALT-DESC"))
    return _strip_html(raw)


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "br", "div", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
    )
    _HIDDEN = frozenset({"script", "style"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def _strip_html(raw: str) -> str:
    extractor = _TextExtractor()
    extractor.feed(raw)
    extractor.close()
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    collapsed: list[str] = []
    for line in lines:
        if line or (collapsed and collapsed[-1]):
            collapsed.append(line)
    return "\n".join(collapsed).strip()


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value)


def _quote(exc: object) -> str:
    text = " ".join(str(exc).split())
    if len(text) > 2 * _MAX_QUOTE:
        text = text[: 2 * _MAX_QUOTE] + "…"
    return text or type(exc).__name__
