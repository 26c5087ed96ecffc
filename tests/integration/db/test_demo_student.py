"""The demo's seeded student, on SQLite and PostgreSQL: realistic, current, idempotent."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from graphlib import CycleError, TopologicalSorter
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from db.models import (
    Assessment,
    AssessmentTopic,
    Base,
    Course,
    MasteryRecord,
    PerformanceRecord,
    Topic,
    User,
    UserPreferences,
)
from worker.demo_student import (
    BUSY_HORIZON_DAYS,
    DEMO_EMAIL,
    demo_busy_events,
    seed_demo_student,
)

NOW = datetime(2026, 11, 18, 15, 30, tzinfo=UTC)  # a Wednesday, 10:30 in New York
NEW_YORK = ZoneInfo("America/New_York")
SEEDED = (
    User,
    UserPreferences,
    Course,
    Topic,
    Assessment,
    AssessmentTopic,
    PerformanceRecord,
    MasteryRecord,
)


def counts(session: Session, user_id: uuid.UUID) -> dict[str, int]:
    def count(model: type[Base], *where: ColumnElement[bool]) -> int:
        return session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    course_ids = select(Course.id).where(Course.user_id == user_id)
    return {
        "courses": count(Course, Course.user_id == user_id),
        "topics": count(Topic, Topic.course_id.in_(course_ids)),
        "assessments": count(Assessment, Assessment.course_id.in_(course_ids)),
        "upcoming": count(
            Assessment, Assessment.course_id.in_(course_ids), Assessment.due_date > NOW
        ),
        "links": count(AssessmentTopic),
        "performance": count(PerformanceRecord, PerformanceRecord.user_id == user_id),
        "mastery": count(MasteryRecord, MasteryRecord.user_id == user_id),
    }


def updated_stamps(session: Session) -> dict[str, list[str]]:
    """Every seeded row's last-update stamp: an UPDATE anywhere changes one of them."""
    stamps: dict[str, list[str]] = {}
    for model in SEEDED:
        column = model.updated_at if hasattr(model, "updated_at") else model.id
        stamps[model.__name__] = sorted(map(str, session.scalars(select(column))))
    return stamps


def test_maya_has_four_courses_forty_topics_a_dozen_assessments_and_grades(
    session: Session,
) -> None:
    user_id = seed_demo_student(session, now=NOW)
    user = session.get(User, user_id)
    assert user is not None
    assert (user.email, user.full_name, user.timezone) == (
        DEMO_EMAIL,
        "Maya Chen",
        "America/New_York",
    )
    found = counts(session, user_id)
    assert found["courses"] == 4
    assert 35 <= found["topics"] <= 45
    assert 10 <= found["upcoming"] <= 14
    assert found["performance"] >= 6
    assert found["mastery"] >= found["performance"]  # each result touches one topic or more

    prefs = session.scalars(select(UserPreferences).where(UserPreferences.user_id == user_id)).one()
    assert (prefs.max_hours_per_day, prefs.preferred_block_length_min) == (4, 50)
    assert prefs.break_length_min == 10 and prefs.difficulty_curve == "balanced"
    assert prefs.weekly_availability["monday"] == [{"start": "18:00", "end": "22:00"}]
    weekend = sum(_hours(w) for d in ("saturday", "sunday") for w in prefs.weekly_availability[d])
    assert weekend / 2 > _hours(prefs.weekly_availability["monday"][0])  # longer on weekends


def _hours(window: dict[str, str]) -> float:
    def minutes(hhmm: str) -> int:
        return int(hhmm[:2]) * 60 + int(hhmm[3:])

    return (minutes(window["end"]) - minutes(window["start"])) / 60


def test_the_dates_sit_around_now(session: Session) -> None:
    user_id = seed_demo_student(session, now=NOW)
    courses = session.scalars(select(Course).where(Course.user_id == user_id)).all()
    assert all(c.start_date < NOW.date() < c.end_date and not c.is_archived for c in courses)
    assert {c.semester for c in courses} == {"Fall 2026"}
    assessments = session.scalars(
        select(Assessment).where(Assessment.course_id.in_([c.id for c in courses]))
    ).all()
    upcoming = [a for a in assessments if a.due_date > NOW]
    assert max(a.due_date for a in upcoming) <= NOW + timedelta(weeks=6)
    # spread out, not bunched: work due in each of the first five weeks
    assert {(a.due_date - NOW).days // 7 for a in upcoming} >= {0, 1, 2, 3, 4}
    assert {a.type for a in upcoming} >= {"quiz", "assignment", "midterm", "project"}
    assert all(a.is_completed for a in assessments if a.due_date < NOW)
    assert not any(a.is_completed for a in upcoming)
    records = session.scalars(
        select(PerformanceRecord).where(PerformanceRecord.user_id == user_id)
    ).all()
    assert all(r.completed_at < NOW and r.topic_breakdown for r in records)
    assert all(0 <= r.percentage <= 100 for r in records)


def test_weights_stay_open_below_a_hundred_and_topic_weights_sum_to_a_hundred(
    session: Session,
) -> None:
    user_id = seed_demo_student(session, now=NOW)
    for course in session.scalars(select(Course).where(Course.user_id == user_id)):
        assert not course.assessments_complete
        assert 0 < sum(a.weight_percent for a in course.assessments) <= 100
        for assessment in course.assessments:
            weights = [link.weight_in_assessment or 0 for link in assessment.topic_links]
            assert abs(sum(weights) - 100) < 0.01, assessment.name


def test_prerequisites_form_chains_without_cycles(session: Session) -> None:
    user_id = seed_demo_student(session, now=NOW)
    topics = session.scalars(select(Topic).join(Course).where(Course.user_id == user_id)).all()
    by_id = {str(t.id): t for t in topics}
    graph = {str(t.id): set(map(str, t.prerequisite_topic_ids)) for t in topics}
    try:
        order = list(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - the failure message is the point
        raise AssertionError(f"prerequisite cycle: {exc.args[1]}") from None
    assert set(order) == set(by_id)
    depth: dict[str, int] = {}
    for topic_id in order:
        prereqs = graph[topic_id]
        assert all(by_id[p].course_id == by_id[topic_id].course_id for p in prereqs)
        assert all(by_id[p].order_index < by_id[topic_id].order_index for p in prereqs)
        depth[topic_id] = 1 + max((depth[p] for p in prereqs), default=0)
    deepest: dict[uuid.UUID, int] = defaultdict(int)
    for topic_id, d in depth.items():
        course_id = by_id[topic_id].course_id
        deepest[course_id] = max(deepest[course_id], d)
    assert len(deepest) == 4 and min(deepest.values()) >= 5  # real chains in every course


def test_seeding_twice_with_the_same_now_changes_nothing(session: Session) -> None:
    first = seed_demo_student(session, now=NOW)
    before, stamps = counts(session, first), updated_stamps(session)
    second = seed_demo_student(session, now=NOW)
    assert second == first
    assert counts(session, second) == before
    assert updated_stamps(session) == stamps


def week_later(at: datetime) -> datetime:
    wall = at.astimezone(NEW_YORK)
    return datetime.combine(wall.date() + timedelta(days=7), wall.time(), tzinfo=NEW_YORK)


def test_reseeding_later_moves_the_dates_with_now(session: Session) -> None:
    def history(user_id: uuid.UUID) -> dict[uuid.UUID | None, datetime]:
        records = session.scalars(
            select(PerformanceRecord).where(PerformanceRecord.user_id == user_id)
        )
        return {r.assessment_id: r.completed_at for r in records}

    user_id = seed_demo_student(session, now=NOW)
    before, graded = counts(session, user_id), history(user_id)
    later = NOW + timedelta(days=7)
    seed_demo_student(session, now=later)
    after = counts(session, user_id)
    assert after == before | {"upcoming": after["upcoming"]}  # moved, not duplicated
    # a week later on the wall clock (the UTC offset differs when the week spans a DST change)
    assert history(user_id) == {a: week_later(at) for a, at in graded.items()}
    dues = session.scalars(
        select(Assessment.due_date).join(Course).where(Course.user_id == user_id)
    ).all()
    assert 10 <= sum(1 for due in dues if due > later) <= 14


# --- busy events ----------------------------------------------------------------------------------


def local(event: tuple[str, datetime, datetime]) -> tuple[str, datetime, datetime]:
    summary, start, end = event
    return summary, start.astimezone(NEW_YORK), end.astimezone(NEW_YORK)


def test_busy_events_are_classes_a_job_and_one_all_day_event() -> None:
    events = demo_busy_events(NOW)
    assert all(start.tzinfo == UTC and end.tzinfo == UTC for _, start, end in events)
    assert all(start < end for _, start, end in events)
    horizon = NOW + timedelta(days=BUSY_HORIZON_DAYS)
    assert all(end > NOW and start < horizon for _, start, end in events)
    assert events == sorted(events, key=lambda e: e[1])
    by_kind: dict[tuple[int, time, time], int] = defaultdict(int)
    for _, start, end in map(local, events):
        by_kind[(start.weekday(), start.time(), end.time())] += 1
    for weekday in (0, 2, 4):
        assert by_kind[(weekday, time(10), time(11, 15))] >= 3
    for weekday in (1, 3):
        assert by_kind[(weekday, time(14), time(15, 15))] >= 3
    weeks = BUSY_HORIZON_DAYS // 7
    assert by_kind[(1, time(18), time(21))] == weeks
    assert by_kind[(5, time(12), time(17))] == weeks
    all_day = [local(e) for e in events if "all day" in e[0]]
    assert len(all_day) == 1
    _, start, end = all_day[0]
    assert start.time() == end.time() == time(0) and end.date() - start.date() == timedelta(1)


def test_busy_events_keep_local_times_across_the_dst_change() -> None:
    # US daylight saving time ends on Sunday 2026-11-01: EDT (UTC-4) before, EST (UTC-5) after.
    now = datetime(2026, 10, 21, 12, 0, tzinfo=UTC)
    shifts = [e for e in demo_busy_events(now) if e[1].astimezone(NEW_YORK).weekday() == 1]
    jobs = [e for e in shifts if "bookstore" in e[0]]
    assert [s.astimezone(NEW_YORK).date() for _, s, _ in jobs[:3]] == [
        date(2026, 10, 27),
        date(2026, 11, 3),
        date(2026, 11, 10),
    ]
    assert all(s.astimezone(NEW_YORK).time() == time(18) for _, s, _ in jobs)
    assert all(e.astimezone(NEW_YORK).time() == time(21) for _, _, e in jobs)
    assert [s.hour for _, s, _ in jobs[:3]] == [22, 23, 23]  # the UTC hour moves, the local one not


def test_all_day_event_on_a_dst_day_is_local_midnight_to_midnight() -> None:
    # Twelve days after this `now` is 2026-11-01, the 25-hour day when clocks fall back.
    now = datetime(2026, 10, 20, 14, 0, tzinfo=UTC)
    (event,) = [e for e in demo_busy_events(now) if "all day" in e[0]]
    _, start, end = event
    assert start.astimezone(NEW_YORK) == datetime(2026, 11, 1, tzinfo=NEW_YORK)
    assert end - start == timedelta(hours=25)
