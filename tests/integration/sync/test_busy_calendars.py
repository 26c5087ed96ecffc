"""Busy time by default from every calendar the student owns (or shows), never from the study
calendar: real client, Google emulator, real database."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from db.models import StudyTask
from db.session import session_scope
from planner.lifecycle import TaskStatus
from tests.integration.sync.conftest import Student


def planned(student: Student) -> list[tuple[str, datetime, datetime]]:
    with session_scope(student.engine) as session:
        return [
            (t.title, t.scheduled_start, t.scheduled_end)
            for t in session.scalars(
                select(StudyTask).where(
                    StudyTask.user_id == student.user_id,
                    StudyTask.status == TaskStatus.SCHEDULED,
                )
            )
            if t.scheduled_start is not None and t.scheduled_end is not None
        ]


def test_a_second_calendar_is_busy_time_and_the_study_calendar_is_not(student: Student) -> None:
    first = student.sync()
    assert first.counts["busy_calendars"] == 1  # primary: the study calendar is left out
    before = planned(student)
    assert before
    # The student's class schedule, in a second calendar, lands on every planned block.
    classes = student.google.admin.add_calendar("Classes", user=student.calendar_owner)
    for _title, start, end in before:
        student.google.admin.add_busy_event(classes, start, end, summary="Lecture")

    second = student.sync()
    assert second.counts["busy_calendars"] == 2  # primary and Classes, never "Study plan"
    after = planned(student)
    busy = [(start, end) for _title, start, end in before]
    for title, start, end in after:
        assert all(end <= b_start or start >= b_end for b_start, b_end in busy), title

    # The study calendar holds the plan; were it read as busy, every block would block itself
    # and move again. Nothing moves, nothing is written.
    third = student.sync()
    assert not any(k.startswith("tasks_") and v for k, v in third.counts.items()), third.counts
    assert "google_writes" not in third.counts
    assert sorted(planned(student)) == sorted(after)
