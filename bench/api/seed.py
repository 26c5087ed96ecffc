"""The API benchmark's data: plain students (for `GET /v1/users/{id}`) and a few heavy ones with
2,000 tasks each over four courses (for the task list and the plan), as a student a term into
using the product would have them. Rows are written through the service layer where one
exists (users, courses, topics) and in bulk for tasks (issuing 2,000 tasks one by one through
the lifecycle would take longer than the benchmark itself, and the list only reads them).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from db.enums import SyncOutcome
from db.models import Course, StudyTask, SyncRun, User
from db.session import make_engine, session_scope
from planner.vocabulary import Difficulty, TaskStatus, TaskType
from services.catalog import upsert_course, upsert_topic, upsert_user
from services.schemas import CourseIn, TopicIn, UserIn

COURSES = ("MATH-201", "PHYS-110", "CHEM-150", "HIST-120")
TOPICS_PER_COURSE = 8
# A term's mix: most work is done or planned, a little was skipped or missed.
STATUS_WEIGHTS = {
    TaskStatus.COMPLETED: 40,
    TaskStatus.SCHEDULED: 30,
    TaskStatus.PENDING: 10,
    TaskStatus.IN_PROGRESS: 5,
    TaskStatus.SKIPPED: 8,
    TaskStatus.EXPIRED: 7,
}
# Tasks are spread over SPREAD_DAYS days, the first PAST_DAYS of them before EPOCH.
SPREAD_DAYS = 180
PAST_DAYS = 120
EPOCH = datetime(2026, 9, 1, tzinfo=UTC)  # fixed, so every run seeds the same calendar


@dataclass(frozen=True)
class HeavyStudent:
    user_id: uuid.UUID
    courses: tuple[str, ...]
    topics: tuple[str, ...]  # topic names, for the topic filter


def seed_users(database_url: str, count: int) -> list[uuid.UUID]:
    engine = make_engine(database_url)
    ids = []
    try:
        with session_scope(engine) as session:
            for i in range(count):
                data = UserIn(email=f"bench-{i}@example.edu", full_name=f"Bench Student {i}")
                ids.append(upsert_user(session, data).id)
    finally:
        engine.dispose()
    return ids


def seed_heavy_students(
    database_url: str, count: int, tasks_each: int, *, email_prefix: str = "heavy"
) -> list[HeavyStudent]:
    rng = random.Random(11)
    engine = make_engine(database_url)
    students = []
    try:
        for i in range(count):
            with session_scope(engine) as session:
                data = UserIn(email=f"{email_prefix}-{i}@example.edu", full_name=f"Heavy {i}")
                user = session.get(User, upsert_user(session, data).id)
                assert user is not None
                course_ids: list[uuid.UUID] = []
                topic_ids: list[list[uuid.UUID]] = []
                topic_names: list[str] = []
                for code in COURSES:
                    course = session.get(Course, upsert_course(session, user, _course(code)).id)
                    assert course is not None
                    course_ids.append(course.id)
                    ids = []
                    for t in range(TOPICS_PER_COURSE):
                        name = f"{code} topic {t}"
                        ids.append(upsert_topic(session, course, TopicIn(name=name)).id)
                        topic_names.append(name)
                    topic_ids.append(ids)
                session.flush()
                rows = [_task(rng, user.id, course_ids, topic_ids, n) for n in range(tasks_each)]
                session.execute(insert(StudyTask), rows)
                session.add(_last_sync(user.id))
                students.append(HeavyStudent(user.id, COURSES, tuple(topic_names)))
    finally:
        engine.dispose()
    return students


def _course(code: str) -> CourseIn:
    return CourseIn(
        name=f"Course {code}",
        code=code,
        semester="Fall 2026",
        start_date=date(2026, 6, 1),
        end_date=date(2027, 6, 1),
    )


def _task(
    rng: random.Random,
    user_id: uuid.UUID,
    course_ids: list[uuid.UUID],
    topic_ids: list[list[uuid.UUID]],
    n: int,
) -> dict[str, Any]:
    c = rng.randrange(len(course_ids))
    status = rng.choices(list(STATUS_WEIGHTS), weights=list(STATUS_WEIGHTS.values()))[0]
    start = EPOCH + timedelta(minutes=rng.randrange(SPREAD_DAYS * 24 * 60) - PAST_DAYS * 24 * 60)
    minutes = rng.choice((25, 50, 75))
    topics = rng.sample(topic_ids[c], k=rng.randint(1, 2))
    return {
        "id": uuid.uuid4(),
        "user_id": user_id,
        "course_id": course_ids[c],
        "plan_key": f"bench:{n}",
        "title": f"Task {n} of course {c}",
        "description": "Work through the section and its exercises.",
        "task_type": rng.choice(list(TaskType)),
        "difficulty": rng.choice(list(Difficulty)),
        "topic_ids": [str(t) for t in topics],
        "estimated_duration_min": minutes,
        "scheduled_start": start,
        "scheduled_end": start + timedelta(minutes=minutes),
        "status": status,
        "priority_score": round(rng.random(), 3),
        "plan_reason": "due soon; weak topic; fits the evening slot",
        "evaluation": {"correct": 4, "total": 5} if status is TaskStatus.COMPLETED else {},
        "score": 80.0 if status is TaskStatus.COMPLETED else None,
    }


def _last_sync(user_id: uuid.UUID) -> SyncRun:
    at_risk = [{"assessment": "Midterm", "short_by_min": 90, "reason": "not enough free time"}]
    return SyncRun(
        user_id=user_id,
        trigger="bench",
        outcome=SyncOutcome.OK,
        started_at=EPOCH,
        finished_at=EPOCH + timedelta(seconds=3),
        details={"at_risk": at_risk},
    )
