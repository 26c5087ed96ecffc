"""Manual entry: users, courses, topics, assessments. The CLI (and a future web app) call these.

Each function validates against the rest of the student's data (unknown course or topic, circular
prerequisites, weights) and raises `InvalidInput` naming the field before anything is written.
Re-entering the same thing updates it in place (natural keys: email, course code, topic name,
assessment name), so running an import or a script twice changes nothing the second time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import (
    Assessment,
    AssessmentTopic,
    Course,
    IntegrationSettings,
    StudyPath,
    Topic,
    User,
    UserPreferences,
)
from planner.paths import PathTopic, PrerequisiteCycle, find_cycle
from planner.problems import InvalidInput, Problem
from services.schemas import (
    AssessmentIn,
    CourseIn,
    PreferencesIn,
    TopicIn,
    UserIn,
    check_course_weights,
)


@dataclass(frozen=True, slots=True)
class Upserted:
    id: uuid.UUID
    created: bool
    changed: bool


def find_user(session: Session, ref: str) -> User:
    """A user by email, id, or the start of an id (`status` shows 8 characters; any unique
    prefix of 4 or more hex digits will do). InvalidInput if there is none, or several."""
    ref = ref.strip()
    user: User | None = None
    try:
        user = session.get(User, uuid.UUID(ref))
    except ValueError:
        if "@" in ref:
            user = session.scalars(
                select(User).where(func.lower(User.email) == ref.lower())
            ).first()
        elif bounds := _id_prefix_bounds(ref):
            low, high = bounds
            query = select(User).where(User.id >= low).order_by(User.id).limit(5)
            if high is not None:
                query = query.where(User.id < high)
            matches = list(session.scalars(query))
            if len(matches) > 1:
                shown = ", ".join(f"{m.id} ({m.email})" for m in matches)
                raise InvalidInput.single(
                    f"'{ref}' is the start of several user ids: {shown}; give more of it",
                    "user",
                ) from None
            user = matches[0] if matches else None
    if user is None:
        raise InvalidInput.single(
            f"no user '{ref}' (give an email, an id or its start: 'studyplanner user list')",
            "user",
        )
    return user


def _id_prefix_bounds(ref: str) -> tuple[uuid.UUID, uuid.UUID | None] | None:
    """The id range [low, high) of every UUID starting with `ref`, or None if `ref` is not the
    start of a UUID. A range (not LIKE) works on both databases' UUID storage and uses the key."""
    digits = ref.replace("-", "").lower()
    if not 4 <= len(digits) < 32 or any(c not in "0123456789abcdef" for c in digits):
        return None
    low = int(digits, 16) << (4 * (32 - len(digits)))
    high = (int(digits, 16) + 1) << (4 * (32 - len(digits)))
    return uuid.UUID(int=low), (uuid.UUID(int=high) if high < 1 << 128 else None)


@dataclass(frozen=True, slots=True)
class UserSummary:
    id: uuid.UUID
    email: str
    full_name: str
    timezone: str
    courses: int
    google: bool
    notion: bool
    last_sync_at: datetime | None


def list_users(session: Session) -> list[UserSummary]:
    """Every student, by email, with what is connected and when they last synced."""
    courses = (
        select(func.count(Course.id))
        .where(Course.user_id == User.id, Course.is_archived.is_(False))
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            User.id,
            User.email,
            User.full_name,
            User.timezone,
            courses,
            IntegrationSettings.google_calendar_enabled,
            IntegrationSettings.notion_enabled,
            IntegrationSettings.last_sync_at,
        )
        .outerjoin(IntegrationSettings, IntegrationSettings.user_id == User.id)
        .order_by(User.email)
    ).all()
    return [
        UserSummary(
            row[0], row[1], row[2], row[3], int(row[4] or 0), bool(row[5]), bool(row[6]), row[7]
        )
        for row in rows
    ]


def find_course(session: Session, user: User, code: str) -> Course:
    course = session.scalars(
        select(Course).where(Course.user_id == user.id, Course.code == code)
    ).first()
    if course is None:
        raise InvalidInput.single(f"unknown course code '{code}' for {user.email}", "course")
    return course


def _apply(obj: object, values: dict[str, object]) -> bool:
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def upsert_user(session: Session, data: UserIn, prefs: PreferencesIn | None = None) -> Upserted:
    user = session.scalars(
        select(User).where(func.lower(User.email) == str(data.email).lower())
    ).first()
    values: dict[str, object] = data.model_dump() | {"email": str(data.email).lower()}
    created = user is None
    if user is None:
        user = User(**values)
        session.add(user)
        session.flush()
        session.add(IntegrationSettings(user_id=user.id))
        changed = True
    else:
        changed = _apply(user, values)
    if prefs is not None or created:
        changed |= upsert_preferences(session, user, prefs or PreferencesIn())
    session.flush()
    return Upserted(user.id, created, changed)


def upsert_preferences(session: Session, user: User, prefs: PreferencesIn) -> bool:
    row = session.scalars(select(UserPreferences).where(UserPreferences.user_id == user.id)).first()
    values: dict[str, object] = prefs.model_dump(exclude={"weekly_availability"})
    values["weekly_availability"] = prefs.availability_json()
    if row is None:
        session.add(UserPreferences(user_id=user.id, **values))
        return True
    return _apply(row, values)


def upsert_course(session: Session, user: User, data: CourseIn) -> Upserted:
    course = session.scalars(
        select(Course).where(Course.user_id == user.id, Course.code == data.code)
    ).first()
    values: dict[str, object] = data.model_dump()
    if course is None:
        course = Course(user_id=user.id, **values)
        session.add(course)
        session.flush()
        session.add(StudyPath(user_id=user.id, course_id=course.id))
        session.flush()
        return Upserted(course.id, True, True)
    if data.assessments_complete:
        weights = session.scalars(
            select(Assessment.weight_percent).where(Assessment.course_id == course.id)
        ).all()
        try:
            check_course_weights(course.code, weights, assessments_complete=True)
        except ValueError as exc:
            raise InvalidInput.single(str(exc), "assessments_complete") from None
    changed = _apply(course, values)
    session.flush()
    return Upserted(course.id, False, changed)


def upsert_topic(
    session: Session, course: Course, data: TopicIn, *, set_prerequisites: bool = True
) -> Upserted:
    """Create or update a topic. With `set_prerequisites=False` an existing topic keeps its
    prerequisites (an import sets them in a second pass, once every topic of the file exists)."""
    topics = {t.name: t for t in session.scalars(select(Topic).where(Topic.course_id == course.id))}
    unknown = [p for p in data.prerequisites if p not in topics and p != data.name]
    if unknown:
        raise InvalidInput.single(
            f"unknown prerequisite topic(s) {', '.join(unknown)} in course {course.code}",
            "prerequisites",
        )
    if data.name in data.prerequisites:
        raise InvalidInput.single(f"topic '{data.name}' cannot need itself", "prerequisites")
    topic = topics.get(data.name)
    prereq_ids = [str(topics[p].id) for p in data.prerequisites]
    if not set_prerequisites:
        prereq_ids = list(topic.prerequisite_topic_ids) if topic else []
    graph = {str(t.id): tuple(t.prerequisite_topic_ids) for t in topics.values()}
    key = str(topic.id) if topic else "new"
    graph[key] = tuple(prereq_ids)
    cycle = find_cycle(graph)
    if cycle:
        names = {str(t.id): t.name for t in topics.values()} | {key: data.name}
        raise InvalidInput.single(
            str(PrerequisiteCycle([names[c] for c in cycle])), "prerequisites"
        )
    values: dict[str, object] = {
        "name": data.name,
        "estimated_difficulty": data.estimated_difficulty,
        "order_index": data.order_index,
        "prerequisite_topic_ids": prereq_ids,
        "description": data.description,
    }
    if topic is None:
        topic = Topic(course_id=course.id, **values)
        session.add(topic)
        session.flush()
        return Upserted(topic.id, True, True)
    changed = _apply(topic, values)
    session.flush()
    return Upserted(topic.id, False, changed)


def upsert_assessment(
    session: Session, course: Course, data: AssessmentIn, *, external_uid: str | None = None
) -> Upserted:
    topics = {t.name: t for t in session.scalars(select(Topic).where(Topic.course_id == course.id))}
    unknown = sorted(set(data.topic_weights) - set(topics))
    if unknown:
        raise InvalidInput.single(
            f"unknown topic(s) {', '.join(unknown)} in course {course.code}", "topics"
        )
    existing = session.scalars(
        select(Assessment).where(Assessment.course_id == course.id, Assessment.name == data.name)
    ).first()
    others = session.scalars(
        select(Assessment.weight_percent).where(
            Assessment.course_id == course.id,
            Assessment.name != data.name,
            Assessment.status == "active",
        )
    ).all()
    try:
        check_course_weights(
            course.code, [*others, data.weight_percent], assessments_complete=False
        )
    except ValueError as exc:
        raise InvalidInput.single(str(exc), "weight_percent") from None
    values: dict[str, object] = data.model_dump(exclude={"topic_weights"})
    if external_uid is not None:
        values["external_uid"] = external_uid
    created = existing is None
    if existing is None:
        existing = Assessment(course_id=course.id, **values)
        session.add(existing)
        session.flush()
        changed = True
    else:
        changed = _apply(existing, values)
    changed |= _set_topic_links(
        session, existing, {topics[n].id: w for n, w in data.topic_weights.items()}
    )
    session.flush()
    return Upserted(existing.id, created, changed)


def _set_topic_links(
    session: Session, assessment: Assessment, weights: dict[uuid.UUID, float]
) -> bool:
    current = {link.topic_id: link for link in assessment.topic_links}
    changed = False
    for topic_id, link in current.items():
        if topic_id not in weights:
            assessment.topic_links.remove(link)
            changed = True
    for topic_id, weight in weights.items():
        existing = current.get(topic_id)
        if existing is None:
            assessment.topic_links.append(
                AssessmentTopic(topic_id=topic_id, weight_in_assessment=weight)
            )
            changed = True
        elif existing.weight_in_assessment != weight:
            existing.weight_in_assessment = weight
            changed = True
    return changed


def course_weight_problems(session: Session, user: User) -> list[Problem]:
    """The 'weights sum to 100' rule for every course declared complete."""
    problems = []
    for course in session.scalars(
        select(Course).where(Course.user_id == user.id, Course.assessments_complete.is_(True))
    ):
        weights = [a.weight_percent for a in course.assessments if a.status == "active"]
        try:
            check_course_weights(course.code, weights, assessments_complete=True)
        except ValueError as exc:
            problems.append(Problem(str(exc), "weight_percent"))
    return problems


def path_topics(session: Session, course: Course) -> list[PathTopic]:
    return [
        PathTopic(str(t.id), t.name, t.order_index, tuple(t.prerequisite_topic_ids))
        for t in session.scalars(select(Topic).where(Topic.course_id == course.id))
    ]
