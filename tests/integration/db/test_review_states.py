"""Where each spaced review stands against the plan (services/reviews.py), on real rows: planned,
done, later, at risk, missed (its day passed: the planner does not place it again), not planned
yet, off — and the one `missed` line `plan` prints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.enums import TaskType
from db.models import Course, MasteryRecord, SyncRun, User, UserPreferences
from planner.estimate import review_id
from planner.lifecycle import TaskStatus
from services.reviews import missed_line, review_states
from tests.integration.db.factories import add_task, add_topic, enrolled_student

NOW = datetime(2026, 11, 21, 23, 30, tzinfo=UTC)  # already Sunday 22 Nov in Berlin
TODAY = NOW.astimezone(ZoneInfo("Europe/Berlin")).date()


def prefs_of(session: Session, user: User) -> UserPreferences:
    return session.scalars(select(UserPreferences).where(UserPreferences.user_id == user.id)).one()


def review_on(session: Session, user: User, course: Course, name: str, days: int) -> str:
    topic = add_topic(session, course, name=name)
    day = TODAY + timedelta(days=days)
    session.add(MasteryRecord(user_id=user.id, topic_id=topic.id, next_review_date=day))
    session.flush()
    return review_id(str(topic.id), day.toordinal())


def test_each_review_is_planned_or_explained(session: Session) -> None:
    user, course = enrolled_student(session, code="CSE 110", name="Programming")
    planned = review_on(session, user, course, "Loops", 2)
    start = NOW + timedelta(days=2, hours=-5)
    add_task(session, user, course, id=uuid.UUID(planned), task_type=TaskType.REVIEW,
             status=TaskStatus.SCHEDULED, title="CSE 110: review Loops", scheduled_start=start,
             scheduled_end=start + timedelta(minutes=30))  # fmt: skip
    done = review_on(session, user, course, "Functions", 0)
    add_task(session, user, course, id=uuid.UUID(done), task_type=TaskType.REVIEW,
             status=TaskStatus.COMPLETED, title="CSE 110: review Functions")  # fmt: skip
    review_on(session, user, course, "Strings", 20)
    review_on(session, user, course, "Files", 1)
    review_on(session, user, course, "Lists", -10)
    review_on(session, user, course, "Tuples", -1)  # yesterday: its one day has passed
    review_on(session, user, course, "Sets", -3)  # the last sync called it at risk, then
    review_on(session, user, course, "Classes", 30)
    later_start = NOW + timedelta(days=20)
    risk = "Not enough free time before the review of {0}: 30 min of {0} could not be placed."
    session.add(
        SyncRun(
            user_id=user.id,
            started_at=NOW - timedelta(hours=1),
            finished_at=NOW - timedelta(hours=1),
            details={
                "at_risk": [
                    {"assessment_id": None, "minutes_missing": 30, "reason": risk.format(n)}
                    for n in ("Files", "Sets")
                ],
                "later": {
                    "blocks": [
                        {"start": later_start.isoformat(), "title": "CSE 110: review Strings"}
                    ]
                },
            },
        )
    )
    session.flush()

    states = {s.topic: s for s in review_states(session, user, now=NOW)}
    assert {name: s.state for name, s in states.items()} == {
        "Lists": "missed",
        "Sets": "missed",
        "Tuples": "missed",
        "Functions": "done",
        "Files": "at risk",
        "Loops": "planned",
        "Strings": "later",
        "Classes": "not planned yet",
    }
    # Times as she reads them (Berlin), the block's own start kept for --json.
    assert states["Loops"].start == start
    assert (
        states["Loops"].text
        == f"planned {start.astimezone(ZoneInfo('Europe/Berlin')):%a %d %b %H:%M}"
    )
    assert states["Strings"].text.startswith("later: planned ")
    assert states["Files"].text.startswith("at risk: no free time left on ")
    assert "performance add" in states["Lists"].text
    line = missed_line(list(states.values()))
    assert line is not None and line[0] == "missed"
    assert line[1].startswith("3 spaced review(s) are past their review day and not planned: ")
    assert "Lists (12 Nov)" in line[1]


def test_with_spaced_repetition_off_every_review_says_so(session: Session) -> None:
    user, course = enrolled_student(session)
    prefs_of(session, user).enable_spaced_repetition = False
    review_on(session, user, course, "Limits", -5)
    review_on(session, user, course, "Derivatives", 3)
    states = review_states(session, user, now=NOW)
    assert [s.state for s in states] == ["off", "off"]
    assert missed_line(states) is None


def test_a_longer_review_interval_keeps_a_past_day_open(session: Session) -> None:
    user, course = enrolled_student(session)
    prefs_of(session, user).min_review_interval_days = 3
    review_on(session, user, course, "Limits", -2)  # open until tomorrow
    review_on(session, user, course, "Series", -3)  # closed today
    states = {s.topic: s.state for s in review_states(session, user, now=NOW)}
    assert states == {"Limits": "not planned yet", "Series": "missed"}
