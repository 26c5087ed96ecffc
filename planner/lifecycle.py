"""The study-task lifecycle (seed 003, issue 3): which status changes are legal, and the
``task_events`` row each one appends.

Pure: no database, no clock reads. The shell calls ``transition`` before it changes a task's
status, writes the returned draft as a ``task_events`` row in the same transaction, and applies
``draft.task_updates`` (actual_start / actual_end) to the task.

Legal changes and the event each one appends:

==============  ===========  ==============  =============================================
from            to           event           why
==============  ===========  ==============  =============================================
pending         scheduled    scheduled       the planner placed it
pending         skipped      status_changed  dropped before it was placed
scheduled       scheduled    rescheduled     moved (planner, or the user in Google/Notion)
scheduled       in_progress  started         the student started
scheduled       completed    status_changed  ticked Done directly in Notion
scheduled       skipped      status_changed  the student skipped it
scheduled       expired      status_changed  scheduled_end passed without a start
in_progress     completed    status_changed  finished
in_progress     skipped      status_changed  abandoned
completed       scheduled    reopened        Notion "To do" after "Done"
completed       in_progress  reopened        Notion "In progress" after "Done"
skipped         scheduled    reopened        un-skipped
expired         scheduled    scheduled       the planner placed the missed work again
==============  ===========  ==============  =============================================

Everything else raises ``IllegalTransition``. ``created`` builds a new task's first event and
``note`` the events that do not change the status (submitted, evaluated, synced, conflict).

The enums are plain ``StrEnum`` values so the SQLAlchemy models can reuse them as column types.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from planner.vocabulary import TaskStatus

__all__ = [
    "EventSource",
    "IllegalTransition",
    "TaskEventDraft",
    "TaskEventType",
    "TaskStatus",
    "created",
    "expired_tasks",
    "legal_targets",
    "note",
    "transition",
]


class TaskEventType(StrEnum):
    CREATED = "created"
    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    STARTED = "started"
    SUBMITTED = "submitted"
    EVALUATED = "evaluated"
    STATUS_CHANGED = "status_changed"
    SYNCED = "synced"
    CONFLICT = "conflict"
    REOPENED = "reopened"


class EventSource(StrEnum):
    PLANNER = "planner"
    GOOGLE = "google"
    NOTION = "notion"
    CLI = "cli"
    SYSTEM = "system"
    API = "api"  # the HTTP API (a front end, the curriculum orchestrator, a portal)


_S = TaskStatus
_E = TaskEventType

# (from, to) → the event that records it. Anything not listed is illegal.
_TRANSITIONS: Mapping[tuple[TaskStatus, TaskStatus], TaskEventType] = {
    (_S.PENDING, _S.SCHEDULED): _E.SCHEDULED,
    (_S.PENDING, _S.SKIPPED): _E.STATUS_CHANGED,
    (_S.SCHEDULED, _S.SCHEDULED): _E.RESCHEDULED,
    (_S.SCHEDULED, _S.IN_PROGRESS): _E.STARTED,
    # Ticking "Done" in Notion without ever marking "In progress" is normal.
    (_S.SCHEDULED, _S.COMPLETED): _E.STATUS_CHANGED,
    (_S.SCHEDULED, _S.SKIPPED): _E.STATUS_CHANGED,
    (_S.SCHEDULED, _S.EXPIRED): _E.STATUS_CHANGED,
    (_S.IN_PROGRESS, _S.COMPLETED): _E.STATUS_CHANGED,
    (_S.IN_PROGRESS, _S.SKIPPED): _E.STATUS_CHANGED,
    # Notion "To do" / "In progress" after "Done": the student was not finished after all.
    (_S.COMPLETED, _S.SCHEDULED): _E.REOPENED,
    (_S.COMPLETED, _S.IN_PROGRESS): _E.REOPENED,
    (_S.SKIPPED, _S.SCHEDULED): _E.REOPENED,
    # The planner places expired work again.
    (_S.EXPIRED, _S.SCHEDULED): _E.SCHEDULED,
}

_LEGAL: Mapping[TaskStatus, tuple[TaskStatus, ...]] = {
    status: tuple(target for (source, target) in _TRANSITIONS if source is status)
    for status in TaskStatus
}


class IllegalTransition(ValueError):
    """A status change the lifecycle does not allow. ``current``, ``target`` and ``legal`` say
    which."""

    def __init__(self, current: TaskStatus, target: TaskStatus) -> None:
        self.current = current
        self.target = target
        self.legal = _LEGAL[current]
        allowed = ", ".join(s.value for s in self.legal) or "none"
        super().__init__(
            f"illegal task status change {current.value} → {target.value}; "
            f"from {current.value} the legal targets are: {allowed}"
        )


@dataclass(frozen=True, slots=True)
class TaskEventDraft:
    """A ``task_events`` row to append (without task id and row id, which the shell owns).

    ``payload`` is JSON-able: ``from``/``to`` statuses plus the caller's ``details``.
    ``task_updates`` are the task columns this change sets (``actual_start``, ``actual_end``).
    """

    event_type: TaskEventType
    source: EventSource
    at: datetime
    from_status: TaskStatus | None
    to_status: TaskStatus
    payload: Mapping[str, Any] = field(hash=False)
    task_updates: Mapping[str, datetime | None] = field(hash=False)


def legal_targets(status: TaskStatus | str) -> tuple[TaskStatus, ...]:
    """The statuses a task in ``status`` may move to, in a fixed order."""
    return _LEGAL[_status(status, "status")]


def transition(
    current: TaskStatus | str,
    target: TaskStatus | str,
    *,
    source: EventSource | str,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> TaskEventDraft:
    """Check ``current → target`` and return the event that records it.

    Raises ``IllegalTransition`` (a ValueError) for a change the lifecycle forbids and ValueError
    for an unknown status or source or a naive ``at``.
    """
    current_status = _status(current, "current")
    target_status = _status(target, "target")
    event_source = _source(source)
    when = _aware_utc(at)
    event_type = _TRANSITIONS.get((current_status, target_status))
    if event_type is None:
        raise IllegalTransition(current_status, target_status)

    payload: dict[str, Any] = dict(details or {})
    payload["from"] = current_status.value
    payload["to"] = target_status.value
    return TaskEventDraft(
        event_type=event_type,
        source=event_source,
        at=when,
        from_status=current_status,
        to_status=target_status,
        payload=payload,
        task_updates=_task_updates(current_status, target_status, when),
    )


def created(
    initial: TaskStatus | str,
    *,
    source: EventSource | str,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> TaskEventDraft:
    """The ``created`` event of a new task; a task is born ``pending`` or ``scheduled``."""
    status = _status(initial, "initial")
    if status not in (TaskStatus.PENDING, TaskStatus.SCHEDULED):
        raise ValueError(f"a new task starts pending or scheduled, not {status.value}")
    payload: dict[str, Any] = dict(details or {})
    payload["to"] = status.value
    return TaskEventDraft(
        event_type=TaskEventType.CREATED,
        source=_source(source),
        at=_aware_utc(at),
        from_status=None,
        to_status=status,
        payload=payload,
        task_updates={},
    )


_NOTES = frozenset(
    {TaskEventType.SUBMITTED, TaskEventType.EVALUATED, TaskEventType.SYNCED, TaskEventType.CONFLICT}
)


def note(
    event_type: TaskEventType | str,
    *,
    status: TaskStatus | str,
    source: EventSource | str,
    at: datetime,
    details: Mapping[str, Any] | None = None,
) -> TaskEventDraft:
    """An event that records something without changing the status (submitted, evaluated,
    synced, conflict)."""
    try:
        kind = TaskEventType(event_type)
    except ValueError:
        kind = None
    if kind not in _NOTES:
        allowed = ", ".join(sorted(e.value for e in _NOTES))
        raise ValueError(
            f"note() records only {allowed}; got {event_type!r} "
            "(status changes go through transition())"
        )
    assert kind is not None
    current = _status(status, "status")
    return TaskEventDraft(
        event_type=kind,
        source=_source(source),
        at=_aware_utc(at),
        from_status=current,
        to_status=current,
        payload=dict(details or {}),
        task_updates={},
    )


class ExpirableTask(Protocol):
    """What ``expired_tasks`` reads from a task (a StudyTask row fits)."""

    @property
    def status(self) -> str: ...

    @property
    def scheduled_end(self) -> datetime | None: ...

    @property
    def actual_start(self) -> datetime | None: ...


T = TypeVar("T", bound=ExpirableTask)


def expired_tasks(tasks: Iterable[T], *, now: datetime, grace: timedelta = timedelta(0)) -> list[T]:
    """The scheduled tasks whose ``scheduled_end + grace`` is at or before ``now`` and that were
    never started, in input order. Call ``transition(..., "expired", ...)`` on each."""
    cutoff = _aware_utc(now) - grace
    selected: list[T] = []
    for task in tasks:
        if task.status != TaskStatus.SCHEDULED or task.actual_start is not None:
            continue
        end = task.scheduled_end
        if end is None:
            continue
        if _aware_utc(end) <= cutoff:
            selected.append(task)
    return selected


def _task_updates(
    current: TaskStatus, target: TaskStatus, at: datetime
) -> dict[str, datetime | None]:
    if target is TaskStatus.IN_PROGRESS and current is not TaskStatus.COMPLETED:
        return {"actual_start": at}
    if target is TaskStatus.COMPLETED:
        return {"actual_end": at}
    if current is TaskStatus.COMPLETED:
        # Reopened: the task is not finished any more; when it was started still holds.
        return {"actual_end": None}
    return {}


def _status(value: TaskStatus | str, name: str) -> TaskStatus:
    try:
        return TaskStatus(value)
    except ValueError:
        allowed = ", ".join(s.value for s in TaskStatus)
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}") from None


def _source(value: EventSource | str) -> EventSource:
    try:
        return EventSource(value)
    except ValueError:
        allowed = ", ".join(s.value for s in EventSource)
        raise ValueError(f"source must be one of {allowed}, got {value!r}") from None


def _aware_utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"timestamps must be timezone-aware, got naive {value.isoformat()}")
    return value.astimezone(UTC)
