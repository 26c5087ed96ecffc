"""Small, varied students for the chaos and throughput runs (the demo has its own, richer one)."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine

from db.models import Course, User
from db.session import session_scope
from services.catalog import upsert_assessment, upsert_course, upsert_topic, upsert_user
from services.schemas import AssessmentIn, CourseIn, PreferencesIn, TopicIn, UserIn

ZONES = ("Europe/Berlin", "America/New_York", "America/Chicago", "Asia/Tokyo", "UTC")
DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def seed_small_student(
    engine: Engine,
    now: datetime,
    *,
    email: str,
    rng: random.Random,
    assessments: int = 3,
    zone: str | None = None,
) -> uuid.UUID:
    """One course, four topics in a chain, `assessments` assessments over the next 12 days.
    The time zone is `zone`, or one drawn from `rng`."""
    evening = {day: [{"start": "16:00", "end": "22:00"}] for day in DAYS}
    with session_scope(engine) as session:
        user_id = upsert_user(
            session,
            UserIn(email=email, full_name=email.split("@")[0], timezone=zone or rng.choice(ZONES)),
            PreferencesIn.model_validate(
                {"weekly_availability": evening, "max_hours_per_day": rng.choice([2, 3, 4])}
            ),
        ).id
        user = session.get(User, user_id)
        assert user is not None
        course_id = upsert_course(
            session,
            user,
            CourseIn(
                name="Calculus",
                code="MATH 101",
                semester="Fall",
                start_date=(now - timedelta(days=60)).date(),
                end_date=(now + timedelta(days=60)).date(),
            ),
        ).id
        course = session.get(Course, course_id)
        assert course is not None
        names = ["Limits", "Derivatives", "Integrals", "Series"]
        for index, name in enumerate(names):
            prerequisites = (names[index - 1],) if index else ()
            upsert_topic(
                session, course, TopicIn(name=name, order_index=index, prerequisites=prerequisites)
            )
        for index in range(assessments):
            topic = names[index % len(names)]
            upsert_assessment(
                session,
                course,
                AssessmentIn(
                    name=f"Quiz {index + 1}",
                    type="quiz",
                    weight_percent=10,
                    due_date=now + timedelta(days=3 + 3 * index, hours=rng.randint(0, 10)),
                    estimated_duration_min=rng.choice([30, 45, 60]),
                    topic_weights={topic: 100},
                ),
            )
    return user_id
