"""LMS feed imports: a parsed iCal feed's assessments upserted by UID, all or nothing.

A feed carries titles and due dates only: the course comes from the event's course label, the
type from words in the title, the default duration from the type, and what the student set by
hand on an assessment a feed created (weight, duration, topics) survives the next fetch.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.enums import AssessmentStatus, AssessmentType
from db.models import Assessment, AssessmentFeed, Course, Topic, User
from integrations.sources.ical_feed import FeedEvent, ParsedFeed
from planner.problems import InvalidInput
from services.catalog import Upserted, upsert_assessment
from services.ingest.all_or_nothing import (
    ImportReport,
    all_or_nothing,
    apply_rows,
    courses_by_code,
)
from services.schemas import AssessmentIn

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
    courses = courses_by_code(session, user)
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
    all_or_nothing(
        session,
        lambda: apply_rows(session, events, apply, line_of=lambda e: e.line, source="feed"),
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
