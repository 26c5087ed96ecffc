"""Where each spaced review stands against the plan, in the words `plan` uses for its work.

The planner places a review only between its review day and `min_review_interval_days` later
(planner/core.py): a review whose days have passed is never planned again, and until a new
scored result for the topic sets the next review date it would stay "overdue" with nothing in
the calendar. `tasks --summary` and `plan` say so instead of leaving it unexplained:

- planned / done: a block of the plan (in the calendar), or one already done;
- later: planned beyond the written window (the sync's "later" blocks);
- at risk: its day has no free time left (the sync's at-risk entry for it);
- missed: its day has passed — not planned; a scored result for the topic sets the next one;
- not planned yet: its day is after what the last sync planned;
- off: spaced repetition is off in the student's preferences.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Course, MasteryRecord, StudyTask, SyncRun, Topic, User, UserPreferences
from planner.estimate import review_id
from planner.vocabulary import TaskStatus

ReviewStateName = Literal["planned", "done", "later", "at risk", "missed", "not planned yet", "off"]
MISSED_HINT = "a new scored result for the topic ('studyplanner performance add') sets the next one"


@dataclass(frozen=True, slots=True)
class ReviewState:
    topic: str
    course: str
    review_on: date
    state: ReviewStateName
    start: datetime | None  # the planned block's start, when there is one
    text: str  # the state in one clause, times in the student's zone


def review_states(session: Session, user: User, *, now: datetime) -> list[ReviewState]:
    """Every topic with a review date, oldest first."""
    zone = ZoneInfo(user.timezone)
    today = now.astimezone(zone).date()
    prefs = session.scalars(
        select(UserPreferences).where(UserPreferences.user_id == user.id)
    ).first()
    enabled = prefs.enable_spaced_repetition if prefs is not None else True
    interval = max(1, prefs.min_review_interval_days if prefs is not None else 1)
    topics = {
        t.id: (t.name, c.code)
        for t, c in session.execute(
            select(Topic, Course).join(Course).where(Course.user_id == user.id)
        )
    }
    records = session.scalars(
        select(MasteryRecord)
        .where(MasteryRecord.user_id == user.id, MasteryRecord.next_review_date.is_not(None))
        .order_by(MasteryRecord.next_review_date, MasteryRecord.topic_id)
    ).all()
    ids = {
        m.topic_id: uuid.UUID(review_id(str(m.topic_id), m.next_review_date.toordinal()))
        for m in records
        if m.next_review_date is not None
    }
    tasks = {
        t.id: t
        for t in session.scalars(select(StudyTask).where(StudyTask.id.in_(list(ids.values()))))
    }
    details = _last_details(session, user.id)
    later = {b["title"]: b for b in (details.get("later") or {}).get("blocks", [])}
    risky = [str(i.get("reason", "")) for i in details.get("at_risk", [])]
    out = []
    for record in records:
        day = record.next_review_date
        if day is None or record.topic_id not in topics:
            continue
        name, code = topics[record.topic_id]
        task = tasks.get(ids[record.topic_id])
        title = f"{code}: review {name}"
        state: ReviewStateName
        start: datetime | None = None
        if not enabled:
            state, text = "off", "off: spaced repetition is off in your preferences"
        elif task is not None and task.status is TaskStatus.COMPLETED:
            state, text = "done", "done"
        elif task is not None and task.scheduled_start is not None and task.status in _LIVE:
            state, start = "planned", task.scheduled_start
            text = f"planned {start.astimezone(zone):%a %d %b %H:%M}"
        elif day + timedelta(days=interval) <= today:
            state = "missed"
            text = f"missed: its review day has passed, so it is not planned; {MISSED_HINT}"
        elif title in later:
            state, start = "later", datetime.fromisoformat(later[title]["start"])
            text = (
                f"later: planned {start.astimezone(zone):%a %d %b %H:%M}, after the written "
                "window; it reaches your calendar as the window moves on"
            )
        elif any(f"review of {name}:" in reason for reason in risky):
            state, text = "at risk", f"at risk: no free time left on {day:%a %d %b} for it"
        else:
            state, text = (
                "not planned yet",
                "not planned yet: its day is after what the last sync planned",
            )
        out.append(ReviewState(name, code, day, state, start, text))
    return out


_LIVE = frozenset({TaskStatus.PENDING, TaskStatus.SCHEDULED, TaskStatus.IN_PROGRESS})


def missed_line(states: list[ReviewState]) -> tuple[str, str] | None:
    """(label, text) for `plan`: the reviews whose day passed, as one line beside at risk/later."""
    missed = [s for s in states if s.state == "missed"]
    if not missed:
        return None
    names = ", ".join(f"{s.topic} ({s.review_on:%d %b})" for s in missed[:6])
    more = f" and {len(missed) - 6} more" if len(missed) > 6 else ""
    return (
        "missed",
        f"{len(missed)} spaced review(s) are past their review day and not planned: "
        f"{names}{more}; {MISSED_HINT} ('studyplanner tasks --summary' lists them)",
    )


def _last_details(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    last = session.scalars(
        select(SyncRun.details)
        .where(SyncRun.user_id == user_id, SyncRun.finished_at.is_not(None))
        .order_by(SyncRun.started_at.desc())
    ).first()
    return dict(last or {})
