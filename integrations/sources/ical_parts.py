"""The parts of an LMS feed event every step shares: the values (FeedEvent, ParsedFeed,
FeedError), strict readers of single properties and instants, and the words of an event: its
course, title, kind (assessment or busy time), URL and description (HTML stripped)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from html.parser import HTMLParser
from typing import Any, Literal
from urllib.parse import urlsplit

from icalendar import Component

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
