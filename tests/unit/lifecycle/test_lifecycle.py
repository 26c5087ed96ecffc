"""Task lifecycle: every legal transition, every illegal one, expiry selection."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.lifecycle import (
    EventSource,
    IllegalTransition,
    TaskEventType,
    TaskStatus,
    created,
    expired_tasks,
    legal_targets,
    note,
    transition,
)

NOW = datetime(2026, 10, 5, 18, 30, tzinfo=UTC)
S = TaskStatus
E = TaskEventType

LEGAL: dict[tuple[TaskStatus, TaskStatus], TaskEventType] = {
    (S.PENDING, S.SCHEDULED): E.SCHEDULED,
    (S.PENDING, S.SKIPPED): E.STATUS_CHANGED,
    (S.SCHEDULED, S.SCHEDULED): E.RESCHEDULED,
    (S.SCHEDULED, S.IN_PROGRESS): E.STARTED,
    (S.SCHEDULED, S.COMPLETED): E.STATUS_CHANGED,
    (S.SCHEDULED, S.SKIPPED): E.STATUS_CHANGED,
    (S.SCHEDULED, S.EXPIRED): E.STATUS_CHANGED,
    (S.IN_PROGRESS, S.COMPLETED): E.STATUS_CHANGED,
    (S.IN_PROGRESS, S.SKIPPED): E.STATUS_CHANGED,
    (S.COMPLETED, S.SCHEDULED): E.REOPENED,
    (S.COMPLETED, S.IN_PROGRESS): E.REOPENED,
    (S.SKIPPED, S.SCHEDULED): E.REOPENED,
    (S.EXPIRED, S.SCHEDULED): E.SCHEDULED,
}


@pytest.mark.parametrize(("pair", "event"), list(LEGAL.items()), ids=lambda v: str(v))
def test_every_legal_transition(pair: tuple[TaskStatus, TaskStatus], event: TaskEventType) -> None:
    current, target = pair
    draft = transition(current, target, source="notion", at=NOW, details={"page": "abc"})
    assert draft.event_type is event
    assert draft.source is EventSource.NOTION
    assert draft.at == NOW
    assert (draft.from_status, draft.to_status) == (current, target)
    assert draft.payload == {"page": "abc", "from": current.value, "to": target.value}
    json.dumps(dict(draft.payload))  # storable in a JSON column


def test_legal_targets_match_the_table() -> None:
    for status in TaskStatus:
        expected = {target for (source, target) in LEGAL if source is status}
        assert set(legal_targets(status)) == expected
        assert set(legal_targets(status.value)) == expected


@settings(max_examples=200, deadline=None)
@given(current=st.sampled_from(list(TaskStatus)), target=st.sampled_from(list(TaskStatus)))
def test_all_pairs_either_legal_or_raise_a_useful_error(
    current: TaskStatus, target: TaskStatus
) -> None:
    if (current, target) in LEGAL:
        assert transition(current, target, source="planner", at=NOW).to_status is target
        return
    with pytest.raises(IllegalTransition) as info:
        transition(current, target, source="planner", at=NOW)
    message = str(info.value)
    assert f"{current.value} → {target.value}" in message
    for legal in legal_targets(current):
        assert legal.value in message
    assert isinstance(info.value, ValueError)
    assert info.value.current is current and info.value.target is target


def test_illegal_message_example() -> None:
    with pytest.raises(
        IllegalTransition,
        match=r"illegal task status change expired → completed; from expired the legal targets "
        r"are: scheduled",
    ):
        transition("expired", "completed", source="notion", at=NOW)


def test_task_updates_set_actual_times() -> None:
    started = transition("scheduled", "in_progress", source="notion", at=NOW)
    assert started.task_updates == {"actual_start": NOW}
    done = transition("in_progress", "completed", source="notion", at=NOW)
    assert done.task_updates == {"actual_end": NOW}
    ticked = transition("scheduled", "completed", source="notion", at=NOW)
    assert ticked.task_updates == {"actual_end": NOW}
    reopened = transition("completed", "in_progress", source="notion", at=NOW)
    assert reopened.event_type is E.REOPENED
    assert reopened.task_updates == {"actual_end": None}
    assert transition("scheduled", "scheduled", source="google", at=NOW).task_updates == {}


def test_timestamps_are_normalised_to_utc_and_must_be_aware() -> None:
    local = datetime(2026, 10, 5, 11, 30, tzinfo=ZoneInfo("America/Los_Angeles"))
    draft = transition("scheduled", "in_progress", source="cli", at=local)
    assert draft.at == NOW and draft.at.tzinfo is UTC
    with pytest.raises(ValueError, match="timezone-aware"):
        transition("scheduled", "in_progress", source="cli", at=datetime(2026, 10, 5))


def test_unknown_status_and_source_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="target must be one of pending, scheduled"):
        transition("scheduled", "done", source="cli", at=NOW)
    with pytest.raises(ValueError, match="current must be one of"):
        transition("archived", "scheduled", source="cli", at=NOW)
    with pytest.raises(ValueError, match="source must be one of planner, google, notion, cli"):
        transition("scheduled", "completed", source="slack", at=NOW)


def test_created_and_note_events() -> None:
    first = created("pending", source="planner", at=NOW, details={"title": "Read 2.1"})
    assert first.event_type is E.CREATED
    assert (first.from_status, first.to_status) == (None, S.PENDING)
    assert first.payload == {"title": "Read 2.1", "to": "pending"}
    with pytest.raises(ValueError, match="starts pending or scheduled, not completed"):
        created("completed", source="planner", at=NOW)

    synced = note("synced", status="scheduled", source="google", at=NOW, details={"etag": "1"})
    assert synced.event_type is E.SYNCED and synced.to_status is S.SCHEDULED
    with pytest.raises(ValueError, match=r"status changes go through transition\(\)"):
        note("started", status="scheduled", source="cli", at=NOW)


def test_enums_are_plain_strings() -> None:
    assert isinstance(TaskStatus.IN_PROGRESS, str)
    assert TaskStatus("in_progress") is TaskStatus.IN_PROGRESS
    assert f"{TaskEventType.STATUS_CHANGED}" == "status_changed"
    assert [s.value for s in EventSource] == ["planner", "google", "notion", "cli", "system", "api"]


# --- expiry -------------------------------------------------------------------------------


@dataclass
class Task:
    name: str
    status: str
    scheduled_end: datetime | None
    actual_start: datetime | None = None


def test_expired_tasks_selects_scheduled_tasks_past_their_end_without_a_start() -> None:
    tasks = [
        Task("past", "scheduled", NOW - timedelta(minutes=1)),
        Task("ends-now", "scheduled", NOW),
        Task("future", "scheduled", NOW + timedelta(minutes=1)),
        Task(
            "started", "scheduled", NOW - timedelta(hours=2), actual_start=NOW - timedelta(hours=3)
        ),
        Task("in-progress", "in_progress", NOW - timedelta(hours=2)),
        Task("done", "completed", NOW - timedelta(hours=2)),
        Task("unplaced", "pending", None),
        Task("no-end", "scheduled", None),
        Task("past-local", "scheduled", datetime(2026, 10, 5, 8, 0, tzinfo=ZoneInfo("Asia/Tokyo"))),
    ]
    assert [t.name for t in expired_tasks(tasks, now=NOW)] == ["past", "ends-now", "past-local"]
    grace = expired_tasks(tasks, now=NOW, grace=timedelta(minutes=30))
    assert [t.name for t in grace] == ["past-local"]


def test_expired_then_replanned() -> None:
    (task,) = expired_tasks([Task("t", "scheduled", NOW - timedelta(hours=1))], now=NOW)
    expired = transition(task.status, "expired", source="system", at=NOW)
    assert expired.event_type is E.STATUS_CHANGED and expired.source is EventSource.SYSTEM
    again = transition("expired", "scheduled", source="planner", at=NOW)
    assert again.event_type is E.SCHEDULED
