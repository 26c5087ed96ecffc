"""LMS iCalendar feeds: fixtures parse to exact values; bad input is always a FeedError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integrations.sources import FeedError, FeedEvent, ParsedFeed, parse_feed

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ical"


def load(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_uid(feed: ParsedFeed) -> dict[str, FeedEvent]:
    return {event.uid: event for event in feed.events}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, sec: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, sec, tzinfo=UTC)


# --- Canvas -------------------------------------------------------------------------------


def test_canvas_export() -> None:
    feed = parse_feed(load("canvas_student.ics"), default_tz="America/Los_Angeles")
    assert feed.source == "canvas"
    assert feed.calendar_name == "Jordan Lee Calendar (Canvas)"
    events = by_uid(feed)
    assert len(events) == 4

    lab = events["event-assignment-88123"]
    assert lab.kind == "assessment"
    assert lab.title == "Lab 2: Loops, Lists & Strings"  # escaped comma unescaped
    assert lab.course_label == "CSE 110 Fall 2026"
    assert lab.course_code == "CSE 110"
    assert lab.due == utc(2026, 9, 19, 6, 59)  # 23:59 Pacific on 18 September
    assert lab.due.tzinfo is UTC
    assert not lab.all_day
    assert lab.url == "https://canvas.example.edu/courses/4410/assignments/88123"
    assert lab.description == (
        "Submit your lab report as a PDF, max 5 pages.\n\nRubric & template: see Files."
    )
    assert lab.line == 8

    quiz = events["event-assignment-90001@school.instructure.com"]
    assert quiz.all_day and quiz.kind == "assessment"
    assert quiz.title == "Quiz 1: Limits"
    assert (quiz.course_label, quiz.course_code) == ("MATH-101-001", "MATH 101")
    # All-day: due at the end of 2 October in the user's zone (PDT, UTC-7).
    assert quiz.due == utc(2026, 10, 3, 6, 59, 59)
    assert quiz.start == utc(2026, 10, 2, 7, 0)
    assert quiz.description == "Covers sections 1.1 to 1.4.\nOpen book, 30 minutes."

    proposal = events["event-assignment-91234"]
    assert (proposal.course_label, proposal.course_code) == ("25F-BISC104-510", "BISC 104")
    assert proposal.due == utc(2026, 10, 17, 6, 59)
    # Empty DESCRIPTION: the HTML alternative, tags and script stripped.
    assert proposal.description == "Proposal\n\nOne page\n\nCite 3 sources"

    office = events["event-calendar-event-501"]
    assert office.kind == "busy"
    assert (office.start, office.end) == (utc(2026, 9, 21, 17), utc(2026, 9, 21, 18))
    assert office.url is not None and office.url.endswith("include_contexts=course_4410")


def test_all_day_due_follows_the_users_zone() -> None:
    data = load("canvas_student.ics")
    uid = "event-assignment-90001@school.instructure.com"
    in_tokyo = by_uid(parse_feed(data, default_tz=ZoneInfo("Asia/Tokyo")))[uid]
    in_utc = by_uid(parse_feed(data))[uid]
    assert in_tokyo.due == utc(2026, 10, 2, 14, 59, 59)
    assert in_utc.due == utc(2026, 10, 2, 23, 59, 59)
    # Timed events do not depend on the user's zone.
    lab = "event-assignment-88123"
    assert by_uid(parse_feed(data, default_tz="Asia/Tokyo"))[lab].due == utc(2026, 9, 19, 6, 59)


# --- Moodle -------------------------------------------------------------------------------


def test_moodle_export() -> None:
    feed = parse_feed(load("moodle_student.ics"), default_tz="Europe/London")
    assert feed.source == "moodle"
    events = by_uid(feed)

    essay = events["1841@moodle.example.ac.uk"]
    # Folded SUMMARY unfolded, "is due" removed.
    assert essay.title == "Research Portfolio Part 2: Annotated bibliography and literature review"
    assert essay.kind == "assessment"
    # 17:00 in the VTIMEZONE "Campus Local Time" on 23 October = BST (UTC+1).
    assert essay.due == utc(2026, 10, 23, 16, 0)
    assert essay.course_label == "2026 Autumn - HIST-210 - Modern European History"
    assert essay.course_code == "HIST 210"
    assert essay.description.endswith("Late submissions lose 5% per day.")
    assert "sources, Harvard style" in essay.description

    opens = events["1902@moodle.example.ac.uk"]
    closes = events["1903@moodle.example.ac.uk"]
    assert (opens.title, opens.kind) == ("Quiz 3", "busy")
    assert (closes.title, closes.kind) == ("Quiz 3", "assessment")
    # After the UK clocks went back on 25 October: GMT, so 12:00 local = 12:00 UTC.
    assert closes.due == utc(2026, 10, 30, 12, 0)
    assert opens.due == utc(2026, 10, 26, 9, 0)
    assert closes.description == "Ten questions on Newton's laws."
    assert closes.course_code == "PHYS 120"

    lecture = events["2001@moodle.example.ac.uk"]
    assert lecture.kind == "busy"
    assert lecture.recurrence is not None and "FREQ=WEEKLY" in lecture.recurrence
    assert (lecture.start, lecture.end) == (utc(2026, 9, 29, 9), utc(2026, 9, 29, 10))
    # COUNT=10 minus the EXDATE of 27 October; 10:00 local is 09:00 UTC in BST, 10:00 after.
    starts = [begin for begin, _ in lecture.occurrences]
    assert len(starts) == 9
    assert utc(2026, 10, 27, 10) not in starts
    assert starts[0] == utc(2026, 9, 29, 9)
    assert starts[3] == utc(2026, 10, 20, 9)
    assert starts[4] == utc(2026, 11, 3, 10)
    assert starts[-1] == utc(2026, 12, 1, 10)
    assert all(end - begin == timedelta(hours=1) for begin, end in lecture.occurrences)
    assert essay.occurrences == ((essay.start, essay.end),)

    briefing = events["2002@moodle.example.ac.uk"]
    assert briefing.kind == "busy"  # a timed event with a duration, not a deadline


def test_window_selects_the_occurrences_of_recurring_events() -> None:
    window = (utc(2026, 10, 20), utc(2026, 11, 11))
    feed = parse_feed(load("moodle_student.ics"), window=window)
    lecture = by_uid(feed)["2001@moodle.example.ac.uk"]
    assert [begin for begin, _ in lecture.occurrences] == [
        utc(2026, 10, 20, 9),
        utc(2026, 11, 3, 10),
        utc(2026, 11, 10, 10),
    ]
    empty = parse_feed(load("moodle_student.ics"), window=(utc(2027, 1, 1), utc(2027, 2, 1)))
    assert by_uid(empty)["2001@moodle.example.ac.uk"].occurrences == ()
    with pytest.raises(ValueError, match="window bounds must be timezone-aware"):
        parse_feed(load("moodle_student.ics"), window=(datetime(2026, 1, 1), utc(2026, 2, 1)))


def test_vtimezone_is_honoured_over_the_users_zone() -> None:
    feed = parse_feed(load("moodle_student.ics"), default_tz="Pacific/Auckland")
    assert by_uid(feed)["1841@moodle.example.ac.uk"].due == utc(2026, 10, 23, 16, 0)


# --- Blackboard ---------------------------------------------------------------------------


def test_blackboard_export() -> None:
    feed = parse_feed(load("blackboard_student.ics"), default_tz="Europe/Berlin")
    assert feed.source == "blackboard"
    assert feed.timezone == "America/New_York"  # X-WR-TIMEZONE wins over the user's zone
    events = by_uid(feed)

    essay = events["_bb_assign_77123_1@learn.example.edu"]
    assert essay.kind == "assessment"
    assert essay.due == utc(2026, 11, 6, 4, 59)  # floating 23:59 in New York (EST)
    assert (essay.course_label, essay.course_code) == ("ENG-101-02", "ENG 101")

    reading = events["_bb_assign_77124_1@learn.example.edu"]
    assert reading.all_day and reading.kind == "assessment"
    assert reading.due == utc(2026, 11, 11, 4, 59, 59)
    assert reading.end == utc(2026, 11, 11, 5, 0)  # DTEND is exclusive: start of 11 Nov

    exam = events["_bb_event_9001_1@learn.example.edu"]
    assert exam.kind == "assessment"  # an exam sitting has a duration but is still assessed
    assert (exam.due, exam.end) == (utc(2026, 12, 8, 19), utc(2026, 12, 8, 21))
    assert exam.url is None


# --- classification and course codes ------------------------------------------------------


def feed_with(*event_lines: str, prodid: str = "-//Example//Feed//EN") -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{prodid}"]
    lines += ["BEGIN:VEVENT", *event_lines, "END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def one(*event_lines: str, **kwargs: str) -> FeedEvent:
    (event,) = parse_feed(feed_with(*event_lines, **kwargs)).events
    return event


@pytest.mark.parametrize(
    ("label", "code"),
    [
        ("CSE 110 Fall 2026", "CSE 110"),
        ("Fall 2026 CSE 110", "CSE 110"),
        ("MATH-101-001", "MATH 101"),
        ("25F-BISC104-510", "BISC 104"),
        ("Calculus I - MATH 2413", "MATH 2413"),
        ("cs_61a", "CS 61A"),
        ("Introduction to Poetry", None),
    ],
)
def test_course_code_guess(label: str, code: str | None) -> None:
    event = one("UID:x", "DTSTART:20261001T120000Z", f"SUMMARY:Homework [{label}]")
    assert (event.course_label, event.course_code, event.title) == (label, code, "Homework")


def test_rdate_recurring_is_busy_and_unknown_source() -> None:
    event = one(
        "UID:r",
        "SUMMARY:Seminar",
        "DTSTART:20261001T120000Z",
        "RDATE:20261008T120000Z",
    )
    assert (event.kind, event.source) == ("busy", "unknown")


def test_urls_other_than_http_are_dropped() -> None:
    event = one("UID:u", "SUMMARY:HW due", "DTSTART:20261001T120000Z", "URL:javascript:alert(1)")
    assert event.url is None and event.title == "HW" and event.kind == "assessment"


def test_recurrence_overrides_fold_into_their_series() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nPRODID:x\r\n"
        b"BEGIN:VEVENT\r\nUID:lec\r\nSUMMARY:Lecture\r\nDTSTART:20261001T120000Z\r\n"
        b"DTEND:20261001T130000Z\r\nRRULE:FREQ=WEEKLY;COUNT=4\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:lec\r\nRECURRENCE-ID:20261008T120000Z\r\nSUMMARY:Lecture\r\n"
        b"DTSTART:20261008T140000Z\r\nDTEND:20261008T150000Z\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:lec\r\nRECURRENCE-ID:20261015T120000Z\r\nSTATUS:CANCELLED\r\n"
        b"DTSTART:20261015T120000Z\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    (event,) = parse_feed(data).events
    assert event.uid == "lec" and event.kind == "busy"
    assert event.occurrences == (
        (utc(2026, 10, 1, 12), utc(2026, 10, 1, 13)),
        (utc(2026, 10, 8, 14), utc(2026, 10, 8, 15)),  # moved
        (utc(2026, 10, 22, 12), utc(2026, 10, 22, 13)),  # 15 October cancelled
    )


def test_all_day_weekly_series_with_until_date_in_the_users_zone() -> None:
    event = one(
        "UID:w",
        "SUMMARY:Lab rota",
        "DTSTART;VALUE=DATE:20261005",
        "DTEND;VALUE=DATE:20261006",
        "RRULE:FREQ=WEEKLY;UNTIL=20261019",
    )
    assert event.kind == "busy" and event.all_day
    assert [begin for begin, _ in event.occurrences] == [
        utc(2026, 10, 5),
        utc(2026, 10, 12),
        utc(2026, 10, 19),
    ]


def test_impossible_and_fine_grained_rules_stay_fast_and_bounded() -> None:
    impossible = one(
        "UID:i",
        "SUMMARY:Never",
        "DTSTART:20261001T120000Z",
        "DTEND:20261001T130000Z",
        "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
    )
    assert impossible.occurrences == ((utc(2026, 10, 1, 12), utc(2026, 10, 1, 13)),)
    every_minute = one(
        "UID:m",
        "SUMMARY:Ping",
        "DTSTART:20261001T120000Z",
        "DTEND:20261001T120100Z",
        "RRULE:FREQ=MINUTELY",
    )
    assert len(every_minute.occurrences) == 1000


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "not an iCalendar feed: expected BEGIN:VCALENDAR"),
        (b"<html><body>Login</body></html>", "not an iCalendar feed: expected BEGIN:VCALENDAR"),
        (b"BEGIN:VCALENDAR\r\nPRODID:x\r\n", "not a valid iCalendar feed"),
        (b"BEGIN:VCALENDAR\r\nSUMMARY:caf\xe9\r\nEND:VCALENDAR\r\n", "not UTF-8 text"),
        (b"\x00\x01BEGIN:VCALENDAR", "not an iCalendar feed"),
        (feed_with("UID:a", "SUMMARY:No date"), "event UID a, line 4: missing DTSTART"),
        (feed_with("UID:b", "DTSTART:2026102"), "event UID b, line 4: bad DTSTART"),
        (feed_with("SUMMARY:x", "DTSTART:20261001T120000Z"), "line 4: VEVENT number 1 has no UID"),
        (
            feed_with("UID:c", "DTSTART:20261001T120000Z", "DTEND:20261001T110000Z"),
            "event UID c, line 4: the event ends before it starts",
        ),
        (
            feed_with("UID:d", "DTSTART;VALUE=DATE:20261001", "DTEND:20261001T110000Z"),
            "mix a date and a date-time",
        ),
        (
            feed_with("UID:e", "DTSTART:20261001T120000Z", "DTSTART:20261002T120000Z"),
            "event UID e, line 4: DTSTART appears 2 times in one event",
        ),
        (
            feed_with("UID:f", "DTSTART;TZID=Asia/Tokyo:00010101T000000"),
            "event UID f, line 4: date 0001-01-01 00:00:00.* is out of range",
        ),
        (
            feed_with("UID:g", "DTSTART:20260101T000000Z", "DURATION:P99999999D"),
            "DURATION 99999999 days, 0:00:00 is out of range",
        ),
        (
            feed_with("UID:h", "DTSTART:20261001T120000Z", "RRULE:FREQ=WEEKLY;COUNT=0"),
            "event UID h, line 4: RRULE COUNT must be at least 1, got 0",
        ),
        (
            feed_with("UID:k", "DTSTART:20261001T120000Z", "RRULE:COUNT=3"),
            "event UID k, line 4: RRULE has no FREQ",
        ),
        (
            feed_with("UID:n", "DTSTART:20261001T120000Z", "RRULE:FREQ=WEEKLY;BYDAY=XX"),
            "event UID n, line 4: bad RRULE",
        ),
    ],
)
def test_bad_input_is_a_feed_error_naming_the_problem(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(data)


def test_duplicate_uid_is_an_error_naming_both_lines() -> None:
    data = (
        b"BEGIN:VCALENDAR\r\nPRODID:x\r\n"
        b"BEGIN:VEVENT\r\nUID:dup\r\nDTSTART:20261001T120000Z\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nUID:dup\r\nDTSTART:20261002T120000Z\r\nEND:VEVENT\r\n"
        b"END:VCALENDAR\r\n"
    )
    with pytest.raises(
        FeedError, match=r"event UID dup, line 7: duplicate UID \(first seen at line 3\)"
    ):
        parse_feed(data)


def test_error_carries_uid_and_line() -> None:
    with pytest.raises(FeedError) as info:
        parse_feed(feed_with("UID:zz", "SUMMARY:x"))
    assert (info.value.uid, info.value.line, info.value.reason) == ("zz", 4, "missing DTSTART")


def test_bad_default_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="default_tz must be an IANA time zone"):
        parse_feed(load("canvas_student.ics"), default_tz="Mars/Olympus")


# --- fuzz ---------------------------------------------------------------------------------

VALID = [load(name) for name in sorted(p.name for p in FIXTURES.glob("*.ics"))]


def parse_or_feed_error(data: bytes) -> None:
    try:
        feed = parse_feed(data, default_tz="America/Chicago")
    except FeedError as exc:
        message = str(exc)
        assert message and len(message) < 400 and "Traceback" not in message
        return
    for event in feed.events:
        assert event.uid
        assert event.due.tzinfo is UTC and event.start.tzinfo is UTC and event.end.tzinfo is UTC
        assert event.kind in ("assessment", "busy")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    parse_or_feed_error(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_after_a_valid_header(data: bytes) -> None:
    parse_or_feed_error(b"BEGIN:VCALENDAR\r\nPRODID:x\r\nBEGIN:VEVENT\r\n" + data)


@st.composite
def mutated_feeds(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        action = draw(st.sampled_from(["truncate", "flip", "drop_line", "dup_line", "insert"]))
        if not data:
            break
        if action == "truncate":
            del data[draw(st.integers(min_value=0, max_value=len(data) - 1)) :]
        elif action == "flip":
            index = draw(st.integers(min_value=0, max_value=len(data) - 1))
            data[index] = draw(st.integers(min_value=0, max_value=255))
        elif action in ("drop_line", "dup_line"):
            lines = bytes(data).split(b"\r\n")
            index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            if action == "drop_line":
                del lines[index]
            else:
                lines.insert(index, lines[index])
            data = bytearray(b"\r\n".join(lines))
        else:
            index = draw(st.integers(min_value=0, max_value=len(data)))
            data[index:index] = draw(
                st.sampled_from(
                    [b":", b";", b"\\", b"\r\n ", b"=", b"\r\nEND:VEVENT\r\n", b"TZID=Nowhere"]
                )
            )
    return bytes(data)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_feeds())
def test_mutated_valid_feeds(data: bytes) -> None:
    parse_or_feed_error(data)


PROPERTY_TOKENS = [
    b"VALUE=DATE",
    b"TZID=Campus Local Time",
    b"20261301",
    b"99991231T235959Z",
    b"00010101",
    b"-P1D",
    b"P99999999D",
    b"RRULE:FREQ=DAILY;UNTIL=2",
    b"DURATION:P1W",
    b"RECURRENCE-ID:20261001T120000Z",
    b"X-WR-TIMEZONE:../../etc",
    b"URL:http://[::1",
    b"DTEND;VALUE=DATE:20261001",
    b"<p>&#99999999;</p>",
]


@st.composite
def feeds_with_odd_values(draw: st.DrawFn) -> bytes:
    lines = draw(st.sampled_from(VALID)).split(b"\r\n")
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        token = draw(st.sampled_from(PROPERTY_TOKENS) | st.text(max_size=16).map(str.encode))
        if draw(st.booleans()) and b":" in lines[index]:
            name, _, _ = lines[index].partition(b":")
            lines[index] = name + b":" + token
        else:
            lines.insert(index, token)
    return b"\r\n".join(lines)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(feeds_with_odd_values())
def test_valid_feeds_with_odd_property_values(data: bytes) -> None:
    parse_or_feed_error(data)
