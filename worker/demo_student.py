"""Maya Chen, the demo's student: four courses, ~40 topics, upcoming work and a grade history.

Every date is computed from `now` (in her time zone, America/New_York), so the demo always looks
like the middle of a current semester: past quizzes and exams already graded, a dozen assessments
due over the next six weeks. Seeding goes through the same upserts as manual entry, keyed on
natural keys (email, course code, topic name, assessment name, result timestamp), so seeding twice
with the same `now` changes nothing.

`demo_busy_events(now)` is the rest of her calendar (classes, a part-time job, one all-day event)
for the next three weeks, as aware UTC intervals built from New York wall-clock times, so a
Tuesday shift starts at 18:00 local on both sides of a DST change.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.enums import AcademicLevel, DifficultyCurve
from db.models import Assessment, Course, PerformanceRecord, Topic, User
from services.catalog import upsert_assessment, upsert_course, upsert_topic, upsert_user
from services.performance import record_performance
from services.schemas import (
    AssessmentIn,
    AvailabilityWindow,
    CourseIn,
    PerformanceIn,
    PreferencesIn,
    TopicIn,
    UserIn,
)
from worker.demo_courses import (
    ASSESSMENTS,
    COURSES,
    RESULTS,
    DemoAssessment,
    DemoCourse,
    DemoResult,
)

DEMO_EMAIL = "maya.chen@example.edu"
DEMO_NAME = "Maya Chen"
DEMO_TIMEZONE = "America/New_York"
BUSY_HORIZON_DAYS = 21
_ZONE = ZoneInfo(DEMO_TIMEZONE)


def demo_preferences() -> PreferencesIn:
    def window(start: str, end: str) -> AvailabilityWindow:
        return AvailabilityWindow(start=start, end=end)

    weekday_evening = [window("18:00", "22:00")]
    return PreferencesIn(
        max_hours_per_day=4,
        preferred_block_length_min=50,
        break_length_min=10,
        earliest_start_time=time(8, 0),
        latest_end_time=time(23, 0),
        weekly_availability={
            "monday": weekday_evening,
            "tuesday": weekday_evening,
            "wednesday": weekday_evening,
            "thursday": weekday_evening,
            "friday": [window("16:00", "20:00")],
            "saturday": [window("09:00", "12:00"), window("18:00", "21:00")],
            "sunday": [window("10:00", "13:00"), window("14:00", "19:00")],
        },
        difficulty_curve=DifficultyCurve.BALANCED,
    )


def semester_name(day: date) -> str:
    season = "Spring" if day.month <= 5 else "Summer" if day.month <= 7 else "Fall"
    return f"{season} {day.year}"


def local_at(day: date, at: time) -> datetime:
    """A New York wall-clock time as aware UTC (zoneinfo picks EDT or EST for that day)."""
    return datetime.combine(day, at, tzinfo=_ZONE).astimezone(UTC)


# --- seeding --------------------------------------------------------------------------------------


def seed_demo_student(session: Session, *, now: datetime) -> uuid.UUID:
    """Create or refresh Maya Chen around `now` (aware); returns her user id. Idempotent."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(_ZONE).date()
    user_id = upsert_user(
        session,
        UserIn(
            email=DEMO_EMAIL,
            full_name=DEMO_NAME,
            timezone=DEMO_TIMEZONE,
            school_name="Riverside State University",
            academic_level=AcademicLevel.UNDERGRADUATE,
            major="Computer Science",
        ),
        demo_preferences(),
    ).id
    user = session.get(User, user_id)
    assert user is not None
    courses = {spec.code: _seed_course(session, user, spec, today) for spec in COURSES}
    assessments = {
        spec.name: _seed_assessment(session, courses[spec.course], spec, today)
        for spec in ASSESSMENTS
    }
    for result in RESULTS:
        assessment = assessments[result.assessment]
        _seed_result(session, user, courses[result.course], assessment, result, now=now)
    session.flush()
    return user_id


def _seed_course(session: Session, user: User, spec: DemoCourse, today: date) -> Course:
    course_id = upsert_course(
        session,
        user,
        CourseIn(
            name=spec.name,
            code=spec.code,
            semester=semester_name(today),
            start_date=today - timedelta(weeks=9),
            end_date=today + timedelta(weeks=8),
            instructor_name=spec.instructor,
            credit_hours=spec.credit_hours,
            color=spec.color,
        ),
    ).id
    course = session.get(Course, course_id)
    assert course is not None
    for index, topic in enumerate(spec.topics):
        upsert_topic(
            session,
            course,
            TopicIn(
                name=topic.name,
                estimated_difficulty=topic.difficulty,
                order_index=index,
                prerequisites=topic.prerequisites,
            ),
        )
    return course


def _seed_assessment(
    session: Session, course: Course, spec: DemoAssessment, today: date
) -> Assessment:
    due = local_at(today + timedelta(days=spec.days), spec.at)
    assessment_id = upsert_assessment(
        session,
        course,
        AssessmentIn(
            name=spec.name,
            type=spec.type,
            weight_percent=spec.weight,
            due_date=due,
            estimated_duration_min=spec.minutes,
            max_score=spec.max_score,
            topic_weights=dict(spec.topics),
        ),
    ).id
    assessment = session.get(Assessment, assessment_id)
    assert assessment is not None
    if spec.days < 0 and not assessment.is_completed:
        assessment.is_completed = True  # graded already; the upsert schema has no such field
    return assessment


def _seed_result(
    session: Session,
    user: User,
    course: Course,
    assessment: Assessment,
    result: DemoResult,
    *,
    now: datetime,
) -> None:
    topic_ids = {
        t.name: t.id for t in session.scalars(select(Topic).where(Topic.course_id == course.id))
    }
    correct = sum(c for _, c, _ in result.breakdown)
    total = sum(t for _, _, t in result.breakdown)
    # Handed in two hours before the deadline, graded out of the assessment's maximum.
    completed_at = assessment.due_date - timedelta(hours=2)
    earlier = session.scalars(
        select(PerformanceRecord).where(
            PerformanceRecord.user_id == user.id,
            PerformanceRecord.assessment_id == assessment.id,
            PerformanceRecord.attempt_number == 1,
        )
    ).first()
    if earlier is not None and earlier.completed_at != completed_at:
        # Seeded on an earlier day: move the result with its assessment rather than record a
        # second attempt (record_performance keys results on their time). Mastery is recomputed
        # from the moved history below.
        earlier.completed_at = completed_at
        session.flush()
    record_performance(
        session,
        user,
        course_id=course.id,
        result=PerformanceIn(
            score=round(assessment.max_score * correct / total, 2),
            max_score=assessment.max_score,
            time_spent_min=result.minutes,
            completed_at=completed_at,
        ),
        topic_breakdown={
            topic_ids[name]: {"correct": c, "total": t} for name, c, t in result.breakdown
        },
        assessment=assessment,
        now=now,
    )


# --- the rest of her calendar ---------------------------------------------------------------------

# (weekday 0 = Monday, start, end, summary), New York wall-clock time.
WEEKLY_BUSY: tuple[tuple[int, time, time, str], ...] = (
    *((day, time(10, 0), time(11, 15), "MATH 2413 lecture") for day in (0, 2, 4)),
    *((day, time(14, 0), time(15, 15), "CHEM 1411 lecture") for day in (1, 3)),
    (1, time(18, 0), time(21, 0), "Shift at the campus bookstore"),
    (5, time(12, 0), time(17, 0), "Shift at the campus bookstore"),
)
ALL_DAY_OFFSET_DAYS = 12
ALL_DAY_SUMMARY = "Career fair (all day)"


def demo_busy_events(now: datetime) -> list[tuple[str, datetime, datetime]]:
    """Maya's other commitments from `now` for three weeks: (summary, start, end), aware UTC.

    Events already over at `now` are left out; one still under way is kept (it blocks time)."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    today = now.astimezone(_ZONE).date()
    horizon = now + timedelta(days=BUSY_HORIZON_DAYS)
    events: list[tuple[str, datetime, datetime]] = []
    for offset in range(BUSY_HORIZON_DAYS + 1):
        day = today + timedelta(days=offset)
        for weekday, start, end, summary in WEEKLY_BUSY:
            if day.weekday() == weekday:
                events.append((summary, local_at(day, start), local_at(day, end)))
    all_day = today + timedelta(days=ALL_DAY_OFFSET_DAYS)
    # An all-day event runs from local midnight to the next local midnight (23 or 25 h on a DST
    # day), not 24 h from a UTC midnight.
    events.append(
        (
            ALL_DAY_SUMMARY,
            local_at(all_day, time(0)),
            local_at(all_day + timedelta(days=1), time(0)),
        )
    )
    return sorted(
        (e for e in events if e[2] > now and e[1] < horizon), key=lambda e: (e[1], e[2], e[0])
    )
