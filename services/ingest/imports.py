"""CSV imports: courses, topics, assessments and grades, all-or-nothing, every problem in one pass.

The file's own problems (format, values: `csv_rows`) and those of its readable rows against the
student's data (unknown course code or topic) are reported together, in file order. Every row
is applied inside one savepoint, rolled back if there is any problem. Whole-file rules (weights
summing to 100, prerequisite cycles) need every row read, so they run once nothing else is
wrong. Rows upsert by natural key: importing the same file twice changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Assessment, Course, Topic, User
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
from services.ingest.all_or_nothing import (
    ImportReport,
    Progress,
    all_or_nothing,
    apply_rows,
    course_by_code,
    courses_by_code,
    import_rows,
)
from services.ingest.csv_grades import GradeRow, parse_grades
from services.performance import record_performance
from services.schemas import PerformanceIn


def import_courses(
    session: Session, user: User, data: bytes, *, source: str = "courses.csv",
    progress: Progress | None = None,
) -> ImportReport:  # fmt: skip
    parsed = csv_files.parse_courses(data, source)
    report = ImportReport("courses")
    import_rows(
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
    courses = courses_by_code(session, user)
    lines: dict[tuple[str, str], int] = {}

    outcomes: dict[int, Upserted] = {}

    def create(row: csv_files.TopicRow) -> None:
        course = course_by_code(courses, row.course_code, user)
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
        problems = apply_rows(
            session, rows, create, line_of=lambda r: r.line, source=source, progress=progress
        )
        created = [r for r in rows if r.line in outcomes]
        return problems + apply_rows(
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

    all_or_nothing(session, both_passes, found=parsed.problems, finish=no_cycles)
    for outcome in outcomes.values():
        report.count(outcome)
    return report


def import_assessments(
    session: Session, user: User, data: bytes, *, source: str = "assessments.csv",
    progress: Progress | None = None,
) -> ImportReport:  # fmt: skip
    parsed = csv_files.parse_assessments(data, ZoneInfo(user.timezone), source)
    report = ImportReport("assessments")
    courses = courses_by_code(session, user)

    def apply(row: csv_files.AssessmentRow) -> None:
        course = course_by_code(courses, row.course_code, user)
        report.count(upsert_assessment(session, course, row.assessment))

    import_rows(
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
    courses = courses_by_code(session, user)

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

    import_rows(session, parsed, apply, source=source, progress=progress)
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
        query = query.where(Course.id == course_by_code(courses, row.course_code, user).id)
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
