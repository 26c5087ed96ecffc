"""Imports: CSV files and LMS feeds, all-or-nothing, every problem in one pass.

The file's own problems (format, values: `csv_rows`) and those of its readable rows against the
student's data (unknown course code or topic) are reported together, in file order. Every row
is applied inside one savepoint, rolled back if there is any problem. Whole-file rules (weights
summing to 100, prerequisite cycles) need every row read, so they run once nothing else is
wrong. Rows upsert by natural key: importing the same file twice changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.enums import AssessmentStatus, AssessmentType
from db.models import Assessment, AssessmentFeed, Course, Topic, User
from integrations.sources.ical_feed import FeedEvent, ParsedFeed
from planner.paths import PrerequisiteCycle, find_cycle
from planner.problems import InvalidInput, Problem
from services.catalog import (
    Upserted,
    course_weight_problems,
    upsert_assessment,
    upsert_course,
    upsert_topic,
)
from services.ingest import csv_rows as csv_files
from services.ingest.csv_grades import GradeRow, parse_grades
from services.performance import record_performance
from services.schemas import AssessmentIn, PerformanceIn

Progress = Callable[[int, int], None]  # (done, total)
R = TypeVar("R")


@dataclass
class ImportReport:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cancelled: int = 0
    notes: list[str] = field(default_factory=list)

    def count(self, outcome: Upserted) -> None:
        self.rows += 1
        if outcome.created:
            self.created += 1
        elif outcome.changed:
            self.updated += 1
        else:
            self.unchanged += 1

    def __str__(self) -> str:
        text = (
            f"{self.kind}: {self.rows} row(s) — {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged"
        )
        return text + (f", {self.cancelled} cancelled" if self.cancelled else "")


def _apply_rows(
    session: Session,
    rows: Sequence[R],
    apply_row: Callable[[R], None],
    *,
    line_of: Callable[[R], int | None],
    source: str,
    progress: Progress | None = None,
) -> list[Problem]:
    """Each row in a savepoint of its own; the problems of the rows that did not fit."""
    problems: list[Problem] = []
    for done, row in enumerate(rows, start=1):
        try:
            with session.begin_nested():
                apply_row(row)
        except InvalidInput as exc:
            problems.extend(Problem(p.reason, p.field, line_of(row), source) for p in exc.problems)
        if progress:
            progress(done, len(rows))
    return problems


def _in_file_order(problems: list[Problem]) -> list[Problem]:
    # Stable: a row's problems keep their order; whole-file ones (no line) come last.
    return sorted(problems, key=lambda p: p.line if p.line is not None else 1 << 30)


def _all_or_nothing(
    session: Session,
    apply_all: Callable[[], list[Problem]],
    *,
    found: Sequence[Problem] = (),
    finish: Callable[[], list[Problem]] = list,
) -> None:
    """Run `apply_all` in one savepoint; keep it only if neither it nor the file (`found`) has
    a problem and `finish` (the whole-file rules) finds none either."""
    savepoint = session.begin_nested()
    try:
        problems = [*found, *apply_all()]
        if not problems:
            problems = finish()
    except BaseException:
        savepoint.rollback()
        raise
    if problems:
        savepoint.rollback()
        raise InvalidInput(_in_file_order(problems))
    savepoint.commit()


def _import_rows(
    session: Session,
    parsed: csv_files.Parsed[Any],
    apply_row: Callable[[Any], None],
    *,
    source: str,
    progress: Progress | None,
    finish: Callable[[], list[Problem]] = list,
) -> None:
    """A one-pass import: the file's problems and its rows' problems together."""

    def apply_all() -> list[Problem]:
        return _apply_rows(
            session, parsed.rows, apply_row, line_of=lambda r: r.line, source=source,
            progress=progress,
        )  # fmt: skip

    _all_or_nothing(session, apply_all, found=parsed.problems, finish=finish)


def _courses_by_code(session: Session, user: User) -> dict[str, Course]:
    return {c.code: c for c in session.scalars(select(Course).where(Course.user_id == user.id))}


def _course(courses: dict[str, Course], code: str, user: User) -> Course:
    course = courses.get(code)
    if course is None:
        known = ", ".join(sorted(courses)) or "none yet"
        raise InvalidInput.single(f"unknown course code '{code}' (known: {known})", "course_code")
    return course


def import_courses(
    session: Session, user: User, data: bytes, *, source: str = "courses.csv",
    progress: Progress | None = None,
) -> ImportReport:  # fmt: skip
    parsed = csv_files.parse_courses(data, source)
    report = ImportReport("courses")
    _import_rows(
        session, parsed, lambda r: report.count(upsert_course(session, user, r.course)),
        source=source, progress=progress,
    )  # fmt: skip
    return report


def import_topics(
    session: Session, user: User, data: bytes, *, source: str = "topics.csv",
    progress: Progress | None = None,
) -> ImportReport:  # fmt: skip
    """Two passes: names first, so a prerequisite may be defined further down the file."""
    parsed = csv_files.parse_topics(data, source)
    rows = parsed.rows
    report = ImportReport("topics")
    courses = _courses_by_code(session, user)
    lines: dict[tuple[str, str], int] = {}

    outcomes: dict[int, Upserted] = {}

    def create(row: csv_files.TopicRow) -> None:
        course = _course(courses, row.course_code, user)
        lines[(course.code, row.topic.name)] = row.line
        bare = row.topic.model_copy(update={"prerequisites": ()})
        outcomes[row.line] = upsert_topic(session, course, bare, set_prerequisites=False)

    def link(row: csv_files.TopicRow) -> None:
        course = courses[row.course_code]
        by_name = {
            t.name: t for t in session.scalars(select(Topic).where(Topic.course_id == course.id))
        }
        # A topic of this file whose own row has a problem is reported there, not here.
        unknown = [
            p
            for p in row.topic.prerequisites
            if p not in by_name and (row.course_code, p) not in parsed.names
        ]
        if unknown:
            raise InvalidInput.single(
                f"unknown prerequisite topic(s) {', '.join(unknown)} in course {course.code}",
                "prerequisites",
            )
        topic = by_name[row.topic.name]
        wanted = [str(by_name[p].id) for p in row.topic.prerequisites if p in by_name]
        if list(topic.prerequisite_topic_ids) != wanted:
            topic.prerequisite_topic_ids = wanted
            first = outcomes[row.line]
            outcomes[row.line] = Upserted(first.id, first.created, True)

    def both_passes() -> list[Problem]:
        problems = _apply_rows(
            session, rows, create, line_of=lambda r: r.line, source=source, progress=progress
        )
        created = [r for r in rows if r.line in outcomes]
        return problems + _apply_rows(
            session, created, link, line_of=lambda r: r.line, source=source
        )

    def no_cycles() -> list[Problem]:
        problems = []
        for code in sorted({r.course_code for r in rows}):
            topics = list(session.scalars(select(Topic).where(Topic.course_id == courses[code].id)))
            names = {str(t.id): t.name for t in topics}
            cycle = find_cycle({str(t.id): t.prerequisite_topic_ids for t in topics})
            if cycle:
                # Start the cycle at its topic that comes first in the file.
                ring = cycle[:-1]
                first = min(
                    range(len(ring)), key=lambda i: lines.get((code, names[ring[i]]), 1 << 30)
                )
                ring = ring[first:] + ring[:first]
                line = lines.get((code, names[ring[0]]))
                named = [names[c] for c in [*ring, ring[0]]]
                problems.append(
                    Problem(str(PrerequisiteCycle(named)), "prerequisites", line, source)
                )
        return problems

    _all_or_nothing(session, both_passes, found=parsed.problems, finish=no_cycles)
    for outcome in outcomes.values():
        report.count(outcome)
    return report


def import_assessments(
    session: Session, user: User, data: bytes, *, source: str = "assessments.csv",
    progress: Progress | None = None,
) -> ImportReport:  # fmt: skip
    parsed = csv_files.parse_assessments(data, ZoneInfo(user.timezone), source)
    report = ImportReport("assessments")
    courses = _courses_by_code(session, user)

    def apply(row: csv_files.AssessmentRow) -> None:
        course = _course(courses, row.course_code, user)
        report.count(upsert_assessment(session, course, row.assessment))

    _import_rows(
        session, parsed, apply, source=source, progress=progress,
        finish=lambda: [
            Problem(p.reason, p.field, None, source) for p in course_weight_problems(session, user)
        ],
    )  # fmt: skip
    return report


def import_grades(
    session: Session, user: User, data: bytes, *, now: datetime, source: str = "grades.csv",
    progress: Progress | None = None,
) -> ImportReport:  # fmt: skip
    parsed = parse_grades(data, ZoneInfo(user.timezone), now, source)
    return import_grade_rows(session, user, parsed, now=now, source=source, progress=progress)


def import_grade_rows(
    session: Session, user: User, parsed: csv_files.Parsed[GradeRow], *, now: datetime,
    source: str, progress: Progress | None = None,
) -> ImportReport:  # fmt: skip
    """Checked grade rows (a CSV file's, or the API's JSON list) into performance records, all
    or nothing, every problem reported at once."""
    report = ImportReport("grades")
    courses = _courses_by_code(session, user)

    def apply(row: GradeRow) -> None:
        assessment = _find_assessment(session, user, courses, row)
        topics = {
            t.name: t.id
            for t in session.scalars(select(Topic).where(Topic.course_id == assessment.course_id))
        }
        unknown = [name for name in row.topics if name not in topics]
        if unknown:
            raise InvalidInput.single(f"unknown topic(s) {', '.join(unknown)}", "topics")
        breakdown: dict[uuid.UUID, dict[str, object]] = {}
        for name, counts in row.topics.items():
            breakdown[topics[name]] = counts.model_dump(exclude_none=True) if counts else {}
        result = PerformanceIn(
            score=row.score,
            max_score=row.max_score,
            time_spent_min=row.time_spent_min or assessment.estimated_duration_min,
            completed_at=row.completed_at,
            attempt_number=row.attempt,
        )
        outcome = record_performance(
            session, user, course_id=assessment.course_id, result=result,
            topic_breakdown=breakdown, assessment=assessment, now=now,
        )  # fmt: skip
        report.count(Upserted(outcome.record_id, outcome.created, outcome.created))

    _import_rows(session, parsed, apply, source=source, progress=progress)
    return report


def _find_assessment(
    session: Session, user: User, courses: dict[str, Course], row: GradeRow
) -> Assessment:
    query = (
        select(Assessment)
        .join(Course)
        .where(Course.user_id == user.id, Assessment.name == row.assessment_name)
    )
    if row.course_code:
        query = query.where(Course.id == _course(courses, row.course_code, user).id)
    found = list(session.scalars(query))
    if not found:
        raise InvalidInput.single(f"unknown assessment '{row.assessment_name}'", "assessment_name")
    if len(found) > 1:
        raise InvalidInput.single(
            f"assessment '{row.assessment_name}' exists in several courses: "
            "add a course_code column",
            "assessment_name",
        )
    return found[0]


# --- LMS feeds --------------------------------------------------------------------------------

TYPE_WORDS = (
    ("final", AssessmentType.FINAL),
    ("midterm", AssessmentType.MIDTERM),
    ("exam", AssessmentType.MIDTERM),
    ("quiz", AssessmentType.QUIZ),
    ("test", AssessmentType.QUIZ),
    ("project", AssessmentType.PROJECT),
)
DEFAULT_MINUTES = {
    AssessmentType.QUIZ: 60,
    AssessmentType.ASSIGNMENT: 120,
    AssessmentType.PROJECT: 300,
    AssessmentType.MIDTERM: 180,
    AssessmentType.FINAL: 240,
}


def guess_type(title: str) -> AssessmentType:
    lowered = title.lower()
    return next((kind for word, kind in TYPE_WORDS if word in lowered), AssessmentType.ASSIGNMENT)


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def import_feed(
    session: Session, user: User, feed: AssessmentFeed, parsed: ParsedFeed, *, now: datetime
) -> ImportReport:
    """Upsert the feed's assessments by UID; an assessment gone from the feed is cancelled.

    The course comes from the event (Canvas bracket suffix, Moodle category) matched to the
    student's course codes ignoring spaces, dashes and case, else the feed's default course.
    A feed carries no weights: new assessments get weight 0 until the student sets one (the
    planner still schedules them by type and due date); an updated one keeps its weight.
    """
    report = ImportReport("feed")
    courses = _courses_by_code(session, user)
    by_key = {_normalise(code): course for code, course in courses.items()}
    default = session.get(Course, feed.default_course_id) if feed.default_course_id else None

    def course_for(event: FeedEvent) -> Course:
        if event.course_code and _normalise(event.course_code) in by_key:
            return by_key[_normalise(event.course_code)]
        if default is not None:
            return default
        label = event.course_label or "none"
        raise InvalidInput.single(
            f"event {event.uid}: course '{label}' matches none of your course codes "
            f"({', '.join(sorted(courses)) or 'none yet'}) and the feed has no default course",
            "course",
        )

    def apply(event: FeedEvent) -> None:
        course = course_for(event)
        existing = session.scalars(
            select(Assessment).where(
                Assessment.course_id == course.id, Assessment.external_uid == event.uid
            )
        ).first()
        kind = existing.type if existing else guess_type(event.title)
        data = AssessmentIn(
            name=existing.name if existing else _unique_name(session, course, event.title),
            type=kind,
            weight_percent=existing.weight_percent if existing else 0.0,
            due_date=event.due,
            estimated_duration_min=existing.estimated_duration_min
            if existing
            else DEFAULT_MINUTES[kind],
            max_score=existing.max_score if existing else 100.0,
            description=(event.description or None) if not existing else existing.description,
            topic_weights={
                link_name: w for link_name, w in _topic_weights_of(session, existing).items()
            },
        )
        outcome = upsert_assessment(session, course, data, external_uid=event.uid)
        row = session.get(Assessment, outcome.id)
        assert row is not None
        if row.status != AssessmentStatus.ACTIVE or row.feed_id != feed.id:
            row.status = AssessmentStatus.ACTIVE
            row.feed_id = feed.id
            outcome = Upserted(outcome.id, outcome.created, True)
        report.count(outcome)

    events = parsed.assessments
    _all_or_nothing(
        session,
        lambda: _apply_rows(session, events, apply, line_of=lambda e: e.line, source="feed"),
    )
    seen = {e.uid for e in events}
    for gone in session.scalars(
        select(Assessment).where(
            Assessment.feed_id == feed.id, Assessment.status == AssessmentStatus.ACTIVE
        )
    ):
        if gone.external_uid not in seen:
            gone.status = AssessmentStatus.CANCELLED
            report.cancelled += 1
    feed.last_fetched_at = now
    feed.last_error = None
    session.flush()
    return report


def _unique_name(session: Session, course: Course, title: str) -> str:
    taken = set(session.scalars(select(Assessment.name).where(Assessment.course_id == course.id)))
    name = title[:280] or "Untitled"
    suffix = 2
    candidate = name
    while candidate in taken:
        candidate = f"{name} ({suffix})"
        suffix += 1
    return candidate


def _topic_weights_of(session: Session, assessment: Assessment | None) -> dict[str, float]:
    if assessment is None:
        return {}
    names = {
        t.id: t.name
        for t in session.scalars(select(Topic).where(Topic.course_id == assessment.course_id))
    }
    return {
        names[link.topic_id]: link.weight_in_assessment or 0.0 for link in assessment.topic_links
    }
