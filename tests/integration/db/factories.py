"""Small builders for valid rows, so each test states only what it is about."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from db.enums import AssessmentType, TaskType
from db.models import Assessment, Course, StudyTask, Topic, User
from services.catalog import upsert_course, upsert_user
from services.schemas import CourseIn, UserIn


def add_user(session: Session, **fields: object) -> User:
    values: dict[str, object] = {
        "email": f"student-{uuid.uuid4().hex[:8]}@example.edu",
        "full_name": "Ada Student",
        "timezone": "Europe/Berlin",
    }
    values.update(fields)
    user = User(**values)
    session.add(user)
    session.flush()
    return user


def add_course(session: Session, user: User, **fields: object) -> Course:
    values: dict[str, object] = {
        "user_id": user.id,
        "name": "Calculus I",
        "code": f"MATH-{uuid.uuid4().hex[:4]}",
        "semester": "Fall 2026",
        "start_date": date(2026, 9, 1),
        "end_date": date(2026, 12, 20),
    }
    values.update(fields)
    course = Course(**values)
    session.add(course)
    session.flush()
    return course


def add_topic(session: Session, course: Course, **fields: object) -> Topic:
    values: dict[str, object] = {"course_id": course.id, "name": f"Topic {uuid.uuid4().hex[:6]}"}
    values.update(fields)
    topic = Topic(**values)
    session.add(topic)
    session.flush()
    return topic


def add_assessment(session: Session, course: Course, **fields: object) -> Assessment:
    values: dict[str, object] = {
        "course_id": course.id,
        "name": f"Quiz {uuid.uuid4().hex[:6]}",
        "type": AssessmentType.QUIZ,
        "weight_percent": 10.0,
        "due_date": datetime(2026, 12, 1, 22, 59, tzinfo=UTC),
        "estimated_duration_min": 120,
    }
    values.update(fields)
    assessment = Assessment(**values)
    session.add(assessment)
    session.flush()
    return assessment


def add_task(session: Session, user: User, course: Course, **fields: object) -> StudyTask:
    start = datetime(2026, 11, 25, 17, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "user_id": user.id,
        "course_id": course.id,
        "title": "Limits: problem set",
        "task_type": TaskType.PROBLEM_SET,
        "estimated_duration_min": 50,
        "scheduled_start": start,
        "scheduled_end": start + timedelta(minutes=50),
    }
    values.update(fields)
    task = StudyTask(**values)
    session.add(task)
    session.flush()
    return task


def course_in(code: str = "MATH 2413", name: str = "Calculus") -> CourseIn:
    return CourseIn(
        name=name,
        code=code,
        semester="Fall 2026",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 12, 20),
    )


def enrolled_student(
    session: Session, *, code: str = "MATH 2413", name: str = "Calculus"
) -> tuple[User, Course]:
    """A student and one course, made through the service functions (path row included)."""
    email = f"s{uuid.uuid4().hex[:8]}@example.edu"
    user_id = upsert_user(session, UserIn(email=email, full_name="S", timezone="Europe/Berlin")).id
    user = session.get(User, user_id)
    assert user is not None
    course = session.get(Course, upsert_course(session, user, course_in(code, name)).id)
    assert course is not None
    return user, course
