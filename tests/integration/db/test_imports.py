"""CSV and feed imports: all-or-nothing, every bad row reported, idempotent, fuzzed."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.enums import AssessmentStatus
from db.models import (
    Assessment,
    AssessmentFeed,
    AssessmentTopic,
    Course,
    MasteryRecord,
    PerformanceRecord,
    Topic,
    User,
)
from integrations.sources.ical_feed import parse_feed
from planner.problems import InvalidInput
from services.catalog import upsert_course, upsert_user
from services.ingest.feed_import import import_feed
from services.ingest.imports import (
    import_assessments,
    import_courses,
    import_grades,
    import_topics,
)
from services.schemas import CourseIn, UserIn

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures" / "ical"
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
COUNTED = (Course, Topic, Assessment, AssessmentTopic, PerformanceRecord, MasteryRecord)


def new_user(session: Session) -> User:
    email = f"u{uuid.uuid4().hex[:10]}@example.edu"
    outcome = upsert_user(session, UserIn(email=email, full_name="U", timezone="America/Chicago"))
    user = session.get(User, outcome.id)
    assert user is not None
    return user


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def import_examples(session: Session, user: User) -> list[str]:
    return [
        str(import_courses(session, user, example("courses.csv"))),
        str(import_topics(session, user, example("topics.csv"))),
        str(import_assessments(session, user, example("assessments.csv"))),
        str(import_grades(session, user, example("grades.csv"), now=NOW)),
    ]


def counts(session: Session, user: User) -> dict[str, int]:
    course_ids = select(Course.id).where(Course.user_id == user.id)
    return {
        "courses": session.scalar(select(func.count()).where(Course.user_id == user.id)) or 0,
        "topics": session.scalar(select(func.count()).where(Topic.course_id.in_(course_ids))) or 0,
        "assessments": session.scalar(
            select(func.count()).where(Assessment.course_id.in_(course_ids))
        )
        or 0,
        "links": session.scalar(select(func.count()).select_from(AssessmentTopic)) or 0,
        "performance": session.scalar(
            select(func.count()).where(PerformanceRecord.user_id == user.id)
        )
        or 0,
        "mastery": session.scalar(select(func.count()).where(MasteryRecord.user_id == user.id))
        or 0,
    }


def test_examples_import_and_a_second_import_changes_nothing(session: Session) -> None:
    user = new_user(session)
    first = import_examples(session, user)
    assert first == [
        "courses: 2 row(s) — 2 created, 0 updated, 0 unchanged",
        "topics: 9 row(s) — 9 created, 0 updated, 0 unchanged",
        "assessments: 6 row(s) — 6 created, 0 updated, 0 unchanged",
        "grades: 3 row(s) — 3 created, 0 updated, 0 unchanged",
    ]
    after_first = counts(session, user)
    second = import_examples(session, user)
    assert all(", 0 created, 0 updated," in s.replace("— ", ", ") for s in second), second
    assert counts(session, user) == after_first

    mine = select(Course.id).where(Course.user_id == user.id)
    chain = session.scalars(
        select(Topic).where(Topic.course_id.in_(mine), Topic.name == "Applications of Derivatives")
    ).one()
    assert len(chain.prerequisite_topic_ids) == 2
    midterm = session.scalars(
        select(Assessment).where(Assessment.course_id.in_(mine), Assessment.name == "Midterm")
    ).one()
    assert midterm.due_date == datetime(2026, 10, 16, 14, 0, tzinfo=UTC)
    quiz = session.scalars(
        select(Assessment).where(Assessment.course_id.in_(mine), Assessment.name == "Quiz 1")
    ).one()
    assert quiz.due_date == datetime(2026, 9, 19, 4, 59, tzinfo=UTC)  # 23:59 in Chicago (CDT)
    limits = session.scalars(
        select(Topic).where(Topic.course_id.in_(mine), Topic.name == "Limits and Continuity")
    ).one()
    mastery = session.scalars(
        select(MasteryRecord).where(MasteryRecord.topic_id == limits.id)
    ).one()
    assert mastery.mastery_score == pytest.approx(75.0)


def test_every_bad_row_is_reported_and_nothing_changes(session: Session) -> None:
    user = new_user(session)
    import_courses(session, user, example("courses.csv"))
    before = counts(session, user)
    bad = (
        b"course_code,name,difficulty,order_index,prerequisites\n"
        b"MATH 2413,Sequences,easy,1,\n"
        b"MATH 9999,Ghost topic,easy,1,\n"
        b"MATH 2413,Series,impossible,2,Sequences\n"
        b"MATH 2413,Proofs,hard,-1,\n"
    )
    with pytest.raises(InvalidInput) as caught:
        import_topics(session, user, bad)
    messages = [str(p) for p in caught.value.problems]
    # One pass, in file order: the format problems and the unknown course code together.
    assert messages[0] == (
        "topics.csv, line 3, column course_code: unknown course code 'MATH 9999' "
        "(known: CSE 110, MATH 2413)"
    )
    assert messages[1].startswith("topics.csv, line 4, column difficulty: Input should be")
    assert messages[2].startswith("topics.csv, line 5, column order_index: Input should be greater")
    assert len(messages) == 3
    assert counts(session, user) == before

    unknown = b"course_code,name\nMATH 2413,Sequences\nMATH 9999,Ghost topic\n"
    with pytest.raises(InvalidInput) as caught:
        import_topics(session, user, unknown)
    assert [str(p) for p in caught.value.problems] == [
        "topics.csv, line 3, column course_code: unknown course code 'MATH 9999' "
        "(known: CSE 110, MATH 2413)"
    ]
    assert counts(session, user) == before  # Sequences (line 2 was fine) was not kept either


def test_a_prerequisite_cycle_in_the_file_is_named(session: Session) -> None:
    user = new_user(session)
    import_courses(session, user, example("courses.csv"))
    looped = b"course_code,name,prerequisites\nCSE 110,A,C\nCSE 110,B,A\nCSE 110,C,B\n"
    with pytest.raises(
        InvalidInput, match=r"line 2, column prerequisites: circular prerequisites: A"
    ):
        import_topics(session, user, looped)
    assert counts(session, user)["topics"] == 0


def test_weights_must_sum_to_100_for_a_complete_course(session: Session) -> None:
    user = new_user(session)
    import_courses(session, user, example("courses.csv"))
    import_topics(session, user, example("topics.csv"))
    partial = (
        b"course_code,name,type,weight_percent,due,estimated_duration_min\n"
        b"MATH 2413,Quiz 1,quiz,10,2026-09-18,45\n"
        b"CSE 110,Lab 4,assignment,5,2026-10-09,120\n"
    )
    with pytest.raises(InvalidInput) as caught:
        import_assessments(session, user, partial)
    assert [str(p) for p in caught.value.problems] == [
        "assessments.csv, weight_percent: course MATH 2413: assessment weights sum to 10%, "
        "not 100% (mark the course's assessment list incomplete if assessments are still missing)"
    ]
    assert counts(session, user)["assessments"] == 0  # CSE 110 (incomplete) was not kept either


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "courses.csv: empty file: expected a header line"),
        (b"\xff\xfe\x00", "courses.csv: not UTF-8 text (byte 0 is 0xff)"),
        (
            b"name,code\nx,y\n",
            "courses.csv, line 1: missing column(s) semester, start_date, end_date",
        ),
        (
            b"name,code,semester,start_date,end_date\nCalc,M1,Fall,2026-13-01,2026-12-01\n",
            "courses.csv, line 2, column start_date: Input should be a valid date",
        ),
        (
            b"name,code,semester,start_date,end_date\nCalc,M1,Fall,2026-09-01,2026-08-01\n",
            "courses.csv, line 2: end_date 2026-08-01 must be after start_date 2026-09-01",
        ),
        (b'name,code,semester,start_date,end_date\n"Calc,M1\n', "courses.csv: malformed CSV"),
    ],
)
def test_file_level_errors(session: Session, data: bytes, expected: str) -> None:
    user = new_user(session)
    with pytest.raises(InvalidInput) as caught:
        import_courses(session, user, data)
    assert str(caught.value.problems[0]).startswith(expected)


def test_grades_reject_future_dates_and_bad_scores(session: Session) -> None:
    user = new_user(session)
    for name in ("courses.csv", "topics.csv", "assessments.csv"):
        {"courses.csv": import_courses, "topics.csv": import_topics}.get(name, import_assessments)(
            session, user, example(name)
        )
    bad = (
        b"course_code,assessment_name,score,max_score,date,topics\n"
        b"MATH 2413,Quiz 1,25,20,2026-09-18,\n"
        b"MATH 2413,Quiz 1,10,20,2027-01-01,\n"
        b"MATH 2413,Quiz 9,10,20,2026-09-18,\n"
    )
    with pytest.raises(InvalidInput) as caught:
        import_grades(session, user, bad, now=NOW)
    assert [str(p) for p in caught.value.problems] == [
        "grades.csv, line 2, column score: score 25 must be within 0..max_score (20)",
        "grades.csv, line 3, column date: date 2027-01-01 is in the future",
        "grades.csv, line 4, column assessment_name: unknown assessment 'Quiz 9'",
    ]


def test_one_pass_reports_the_header_and_every_problem_of_a_row(session: Session) -> None:
    user = new_user(session)
    import_courses(session, user, example("courses.csv"))
    import_topics(session, user, example("topics.csv"))
    before = counts(session, user)
    bad = (
        b"course_code,name,type,weight_percent,due,estimated_duration_min,notes\n"
        b"MATH 2413,Quiz 7,quizz,10,2026-13-45,45,x\n"
        b"MATH 9999,Quiz 8,quiz,10,2026-12-01,45,x\n"
        b"MATH 2413,Quiz 9,quiz,10,2026-12-01,45,x,extra\n"
    )
    with pytest.raises(InvalidInput) as caught:
        import_assessments(session, user, bad)
    messages = [str(p) for p in caught.value.problems]
    assert messages[0].startswith("assessments.csv, line 1: unknown column(s) notes; allowed:")
    # A bad date does not hide a bad type in the same row.
    assert messages[1].startswith("assessments.csv, line 2, column due: '2026-13-45' is not a date")
    assert messages[2].startswith("assessments.csv, line 2, column type: Input should be")
    assert messages[3].startswith("assessments.csv, line 3, column course_code: unknown course")
    assert messages[4] == "assessments.csv, line 4: has 8 fields, the header has 7"
    assert len(messages) == 5
    assert counts(session, user) == before


def test_a_missing_column_is_said_once_and_the_other_columns_are_still_checked(
    session: Session,
) -> None:
    user = new_user(session)
    import_courses(session, user, example("courses.csv"))
    bad = b"course_code,difficulty\nMATH 2413,easy\nMATH 2413,impossible\n"
    with pytest.raises(InvalidInput) as caught:
        import_topics(session, user, bad)
    messages = [str(p) for p in caught.value.problems]
    assert messages[0] == "topics.csv, line 1: missing column(s) name"
    assert messages[1].startswith("topics.csv, line 3, column difficulty: Input should be")
    assert len(messages) == 2  # no 'name is empty' for every row


def test_seed_004_calls_the_due_column_due_date(session: Session) -> None:
    user = new_user(session)
    import_courses(session, user, example("courses.csv"))
    import_topics(session, user, example("topics.csv"))
    header, rest = example("assessments.csv").split(b"\n", 1)
    renamed = header.replace(b",due,", b",due_date,") + b"\n" + rest
    report = import_assessments(session, user, renamed)
    assert report.created == 6
    both = b"course_code,name,type,weight_percent,due,due_date,estimated_duration_min\n"
    with pytest.raises(InvalidInput, match="columns due and due_date are the same: keep one"):
        import_assessments(session, user, both + b"MATH 2413,Q,quiz,1,2026-12-01,2026-12-01,5\n")


# --- LMS feeds --------------------------------------------------------------------------------


def feed_user(session: Session) -> tuple[User, AssessmentFeed]:
    user = new_user(session)
    for code in ("CSE 110", "MATH-101", "BISC 104"):
        upsert_course(
            session,
            user,
            CourseIn(
                name=code,
                code=code,
                semester="Fall 2026",
                start_date=date(2026, 8, 24),
                end_date=date(2026, 12, 11),
            ),
        )
    feed = AssessmentFeed(user_id=user.id, label="Canvas", url="https://lms.example/feed.ics")
    session.add(feed)
    session.flush()
    return user, feed


def test_canvas_feed_upserts_by_uid_and_cancels_what_disappeared(session: Session) -> None:
    user, feed = feed_user(session)
    data = (FIXTURES / "canvas_student.ics").read_bytes()
    parsed = parse_feed(data, default_tz="America/Chicago")
    first = import_feed(session, user, feed, parsed, now=NOW)
    assert first.created == len(parsed.assessments) > 0
    again = import_feed(session, user, feed, parsed, now=NOW)
    assert (again.created, again.updated, again.cancelled) == (0, 0, 0)

    lab = session.scalars(
        select(Assessment).where(
            Assessment.feed_id == feed.id, Assessment.external_uid == "event-assignment-88123"
        )
    ).one()
    assert lab.due_date == datetime(2026, 9, 19, 6, 59, tzinfo=UTC)
    shorter = parsed.__class__(
        source=parsed.source,
        calendar_name=parsed.calendar_name,
        timezone=parsed.timezone,
        events=tuple(e for e in parsed.events if e.uid != "event-assignment-88123"),
    )
    third = import_feed(session, user, feed, shorter, now=NOW)
    assert third.cancelled == 1
    session.refresh(lab)
    assert lab.status is AssessmentStatus.CANCELLED  # kept for the student's history


def test_feed_with_an_unknown_course_changes_nothing(session: Session) -> None:
    user = new_user(session)
    feed = AssessmentFeed(user_id=user.id, label="Canvas", url="https://lms.example/feed.ics")
    session.add(feed)
    session.flush()
    parsed = parse_feed((FIXTURES / "canvas_student.ics").read_bytes(), default_tz="UTC")
    with pytest.raises(InvalidInput, match="matches none of your course codes"):
        import_feed(session, user, feed, parsed, now=NOW)
    assert counts(session, user)["assessments"] == 0


# --- fuzz ---------------------------------------------------------------------------------------

VALID_FILES = {
    "courses": example("courses.csv"),
    "topics": example("topics.csv"),
    "assessments": example("assessments.csv"),
    "grades": example("grades.csv"),
}


def mutate(data: bytes, draw: st.DrawFn) -> bytes:
    op = draw(st.sampled_from(["truncate", "flip", "drop_line", "dup_line", "insert"]))
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    if op == "truncate":
        return data[:at]
    if op == "flip":
        return data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
    lines = data.split(b"\n")
    index = draw(st.integers(0, len(lines) - 1))
    if op == "drop_line":
        return b"\n".join(lines[:index] + lines[index + 1 :])
    if op == "dup_line":
        return b"\n".join([*lines[: index + 1], lines[index], *lines[index + 1 :]])
    return (
        data[:at]
        + draw(st.sampled_from([b",", b'"', b"\n", b";", b":", b"-1", b"\x00"]))
        + data[at:]
    )


@st.composite
def fuzzed_file(draw: st.DrawFn) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(sorted(VALID_FILES)))
    if draw(st.booleans()):
        return kind, draw(st.binary(max_size=300))
    data = VALID_FILES[kind]
    for _ in range(draw(st.integers(1, 3))):
        data = mutate(data, draw)
    return kind, data


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fuzzed_file())
def test_fuzz_every_importer_fails_cleanly_or_imports(
    session: Session, case: tuple[str, bytes]
) -> None:
    kind, data = case
    savepoint = session.begin_nested()
    try:
        user = new_user(session)
        if kind != "courses":
            import_courses(session, user, VALID_FILES["courses"])
        if kind in ("assessments", "grades"):
            import_topics(session, user, VALID_FILES["topics"])
        if kind == "grades":
            import_assessments(session, user, VALID_FILES["assessments"])
        before = counts(session, user)
        importer = {
            "courses": import_courses,
            "topics": import_topics,
            "assessments": import_assessments,
        }.get(kind)
        try:
            if importer is None:
                import_grades(session, user, data, now=NOW)
            else:
                importer(session, user, data)
        except InvalidInput as exc:
            assert exc.problems and all(str(p) for p in exc.problems)
            assert counts(session, user) == before  # no partial import
    finally:
        savepoint.rollback()


@settings(max_examples=60)
@given(st.one_of(st.binary(max_size=400), st.builds(lambda d: d, st.sampled_from(
    [p.read_bytes() for p in sorted(FIXTURES.glob("*.ics"))]
)).flatmap(lambda d: st.builds(lambda cut: d[:cut], st.integers(0, len(d))))))  # fmt: skip
def test_fuzz_feed_parser_raises_only_feed_errors(data: bytes) -> None:
    from integrations.sources.ical_feed import FeedError

    try:
        parse_feed(data, default_tz="UTC")
    except FeedError as exc:
        assert str(exc)
