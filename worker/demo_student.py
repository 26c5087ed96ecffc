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
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.enums import AcademicLevel, AssessmentType, Difficulty, DifficultyCurve
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

DEMO_EMAIL = "maya.chen@example.edu"
DEMO_TIMEZONE = "America/New_York"
BUSY_HORIZON_DAYS = 21
_ZONE = ZoneInfo(DEMO_TIMEZONE)


# --- what Maya studies ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DemoTopic:
    name: str
    difficulty: Difficulty
    prerequisites: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DemoCourse:
    code: str
    name: str
    instructor: str
    credit_hours: float
    color: str
    topics: tuple[DemoTopic, ...]


@dataclass(frozen=True, slots=True)
class DemoAssessment:
    """Due `days` after (negative: before) today, at `at` local time."""

    course: str
    name: str
    type: AssessmentType
    weight: float
    days: int
    at: time
    minutes: int
    topics: tuple[tuple[str, float], ...]  # (topic name, weight in the assessment), sums to 100
    max_score: float = 100.0


@dataclass(frozen=True, slots=True)
class DemoResult:
    """Maya's graded attempt at a past assessment: per topic (correct, total) answers."""

    assessment: str
    course: str
    minutes: int
    breakdown: tuple[tuple[str, int, int], ...]


E, M, H, X = Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD, Difficulty.EXAM_LEVEL
QUIZ, HOMEWORK, MIDTERM, PROJECT = (
    AssessmentType.QUIZ,
    AssessmentType.ASSIGNMENT,
    AssessmentType.MIDTERM,
    AssessmentType.PROJECT,
)

COURSES: tuple[DemoCourse, ...] = (
    DemoCourse(
        "MATH 2413",
        "Calculus I",
        "Dr. Elena Alvarez",
        4.0,
        "#2563EB",
        (
            DemoTopic("Functions and Graphs Review", E),
            DemoTopic("Limits", M, ("Functions and Graphs Review",)),
            DemoTopic("Limit Laws", E, ("Limits",)),
            DemoTopic("Continuity and the IVT", M, ("Limit Laws",)),
            DemoTopic("Definition of the Derivative", M, ("Limit Laws",)),
            DemoTopic("Basic Differentiation Rules", E, ("Definition of the Derivative",)),
            DemoTopic("Product and Quotient Rules", M, ("Basic Differentiation Rules",)),
            DemoTopic("Chain Rule", H, ("Product and Quotient Rules",)),
            DemoTopic("Implicit Differentiation", H, ("Chain Rule",)),
            DemoTopic("Related Rates", X, ("Implicit Differentiation",)),
            DemoTopic(
                "Curve Sketching", H, ("Product and Quotient Rules", "Continuity and the IVT")
            ),
            DemoTopic("Optimization", X, ("Curve Sketching",)),
        ),
    ),
    DemoCourse(
        "CSE 110",
        "Introduction to Programming",
        "Prof. Samuel Okafor",
        3.0,
        "#059669",
        (
            DemoTopic("Variables and Expressions", E),
            DemoTopic("Conditionals", E, ("Variables and Expressions",)),
            DemoTopic("Loops", M, ("Conditionals",)),
            DemoTopic("Functions", M, ("Loops",)),
            DemoTopic("Lists and Tuples", M, ("Loops",)),
            DemoTopic("Strings and Text Processing", M, ("Lists and Tuples",)),
            DemoTopic("Dictionaries and Sets", M, ("Lists and Tuples",)),
            DemoTopic("File Input and Output", M, ("Strings and Text Processing", "Functions")),
            DemoTopic("Recursion", H, ("Functions",)),
            DemoTopic("Classes and Objects", H, ("Dictionaries and Sets", "Functions")),
            DemoTopic("Testing and Debugging", M, ("Functions",)),
        ),
    ),
    DemoCourse(
        "CHEM 1411",
        "General Chemistry I",
        "Dr. Priya Raman",
        4.0,
        "#DC2626",
        (
            DemoTopic("Measurement and Significant Figures", E),
            DemoTopic("Atomic Structure", M, ("Measurement and Significant Figures",)),
            DemoTopic("The Mole and Molar Mass", M, ("Measurement and Significant Figures",)),
            DemoTopic("Stoichiometry", H, ("The Mole and Molar Mass",)),
            DemoTopic("Solution Chemistry", M, ("Stoichiometry",)),
            DemoTopic("Gas Laws", M, ("The Mole and Molar Mass",)),
            DemoTopic("Thermochemistry", H, ("Stoichiometry",)),
            DemoTopic("Electron Configuration", M, ("Atomic Structure",)),
            DemoTopic("Periodic Trends", M, ("Electron Configuration",)),
            DemoTopic("Chemical Bonding and Lewis Structures", H, ("Periodic Trends",)),
        ),
    ),
    DemoCourse(
        "HIST 1301",
        "United States History I",
        "Prof. Daniel Whitfield",
        3.0,
        "#D97706",
        (
            DemoTopic("Colonial America", E),
            DemoTopic("Road to Revolution", M, ("Colonial America",)),
            DemoTopic("The American Revolution", M, ("Road to Revolution",)),
            DemoTopic("The Constitution and the Early Republic", H, ("The American Revolution",)),
            DemoTopic("Jacksonian Democracy", M, ("The Constitution and the Early Republic",)),
            DemoTopic("Westward Expansion", M, ("Jacksonian Democracy",)),
            DemoTopic("The Sectional Crisis", H, ("Westward Expansion",)),
            DemoTopic("Civil War and Reconstruction", X, ("The Sectional Crisis",)),
        ),
    ),
)

EVENING, MORNING, AFTERNOON = time(23, 59), time(10, 0), time(14, 0)

# Already graded (negative days) and still to come over the next six weeks. Per course the weights
# stay below 100: the final exams are not entered yet (`assessments_complete` is false).
# fmt: off
ASSESSMENTS: tuple[DemoAssessment, ...] = (
    DemoAssessment("MATH 2413", "Midterm 1", MIDTERM, 20, -27, MORNING, 75,
                   (("Limits", 35), ("Limit Laws", 25), ("Continuity and the IVT", 40))),
    DemoAssessment("MATH 2413", "Quiz 1: Derivatives", QUIZ, 5, -13, MORNING, 20,
                   (("Definition of the Derivative", 60), ("Basic Differentiation Rules", 40)),
                   max_score=20),
    DemoAssessment("MATH 2413", "Homework 6: Chain Rule", HOMEWORK, 5, 3, EVENING, 120,
                   (("Product and Quotient Rules", 40), ("Chain Rule", 60))),
    DemoAssessment("MATH 2413", "Quiz 2: Implicit Differentiation", QUIZ, 5, 9, MORNING, 20,
                   (("Chain Rule", 30), ("Implicit Differentiation", 70)), max_score=20),
    DemoAssessment("MATH 2413", "Midterm 2", MIDTERM, 20, 16, MORNING, 75,
                   (("Product and Quotient Rules", 20), ("Chain Rule", 25),
                    ("Implicit Differentiation", 25), ("Related Rates", 30))),
    DemoAssessment("MATH 2413", "Homework 8: Curve Sketching", HOMEWORK, 5, 30, EVENING, 150,
                   (("Curve Sketching", 100),)),

    DemoAssessment("CSE 110", "Lab 4: Loops", HOMEWORK, 4, -17, EVENING, 90,
                   (("Loops", 70), ("Conditionals", 30)), max_score=20),
    DemoAssessment("CSE 110", "Lab 5: Lists", HOMEWORK, 4, -10, EVENING, 90,
                   (("Lists and Tuples", 70), ("Functions", 30)), max_score=20),
    DemoAssessment("CSE 110", "Lab 6: Strings", HOMEWORK, 4, 2, EVENING, 90,
                   (("Strings and Text Processing", 100),), max_score=20),
    DemoAssessment("CSE 110", "Midterm Exam", MIDTERM, 20, 18, AFTERNOON, 75,
                   (("Loops", 20), ("Functions", 30), ("Lists and Tuples", 30),
                    ("Strings and Text Processing", 20))),
    DemoAssessment("CSE 110", "Project 2: Word Frequency Analyzer", PROJECT, 15, 24, EVENING, 600,
                   (("Strings and Text Processing", 30), ("Dictionaries and Sets", 30),
                    ("File Input and Output", 40))),

    DemoAssessment("CHEM 1411", "Exam 1", MIDTERM, 15, -24, AFTERNOON, 75,
                   (("Measurement and Significant Figures", 20), ("Atomic Structure", 35),
                    ("The Mole and Molar Mass", 45))),
    DemoAssessment("CHEM 1411", "Lab Report 4: Titration", HOMEWORK, 3, -4, EVENING, 120,
                   (("Stoichiometry", 50), ("Solution Chemistry", 50)), max_score=30),
    DemoAssessment("CHEM 1411", "Problem Set 6: Stoichiometry", HOMEWORK, 4, 5, EVENING, 150,
                   (("Stoichiometry", 100),)),
    DemoAssessment("CHEM 1411", "Quiz 4: Gas Laws", QUIZ, 3, 13, AFTERNOON, 20,
                   (("Gas Laws", 100),), max_score=10),
    DemoAssessment("CHEM 1411", "Exam 2", MIDTERM, 15, 27, AFTERNOON, 75,
                   (("Stoichiometry", 30), ("Solution Chemistry", 25), ("Gas Laws", 25),
                    ("Thermochemistry", 20))),

    DemoAssessment("HIST 1301", "Reading Response 3", HOMEWORK, 5, -12, EVENING, 60,
                   (("Road to Revolution", 50), ("The American Revolution", 50)), max_score=10),
    DemoAssessment("HIST 1301", "Reading Response 4", HOMEWORK, 5, -3, EVENING, 60,
                   (("The Constitution and the Early Republic", 100),), max_score=10),
    DemoAssessment("HIST 1301", "Primary Source Analysis", HOMEWORK, 10, 8, EVENING, 180,
                   (("The Constitution and the Early Republic", 60), ("Jacksonian Democracy", 40))),
    DemoAssessment("HIST 1301", "Research Paper", PROJECT, 20, 38, EVENING, 900,
                   (("Westward Expansion", 40), ("The Sectional Crisis", 60))),
)

# Strong in history and programming, shaky on derivatives and stoichiometry: the plan has real
# gaps to close before Midterm 2 and Exam 2.
RESULTS: tuple[DemoResult, ...] = (
    DemoResult("Midterm 1", "MATH 2413", 75,
               (("Limits", 9, 10), ("Limit Laws", 6, 8), ("Continuity and the IVT", 7, 12))),
    DemoResult("Quiz 1: Derivatives", "MATH 2413", 25,
               (("Definition of the Derivative", 3, 6), ("Basic Differentiation Rules", 4, 4))),
    DemoResult("Lab 4: Loops", "CSE 110", 110, (("Loops", 9, 10), ("Conditionals", 5, 5))),
    DemoResult("Lab 5: Lists", "CSE 110", 95, (("Lists and Tuples", 8, 10), ("Functions", 4, 5))),
    DemoResult("Exam 1", "CHEM 1411", 75,
               (("Measurement and Significant Figures", 8, 8), ("Atomic Structure", 9, 12),
                ("The Mole and Molar Mass", 7, 15))),
    DemoResult("Lab Report 4: Titration", "CHEM 1411", 140,
               (("Stoichiometry", 5, 10), ("Solution Chemistry", 7, 10))),
    DemoResult("Reading Response 3", "HIST 1301", 70,
               (("Road to Revolution", 5, 5), ("The American Revolution", 4, 5))),
    DemoResult("Reading Response 4", "HIST 1301", 65,
               (("The Constitution and the Early Republic", 9, 10),)),
)
# fmt: on


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
            full_name="Maya Chen",
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
